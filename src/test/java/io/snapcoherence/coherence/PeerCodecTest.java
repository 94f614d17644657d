package io.snapcoherence.coherence;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class PeerCodecTest {
    private static final Plan PLAN = new Plan(7, 2, List.of(new Target("kubelet", "1.29/stable", 1350)), false);

    @Test
    void aUnitReportRoundTrips() {
        var report = new UnitReport("snap-coherence/3", Role.WORKER,
                Map.of("kubelet", new InstalledRevision("1.29/stable", 1342)),
                Optional.of(Progress.failed(PLAN, Phase.REVERTED, new Failure("kubelet", 1350, "cannot refresh"))));
        Map<String, String> databag = PeerCodec.encodeUnit(report);
        assertThat(databag).containsEntry("schema", "1").containsEntry("role", "worker")
                .containsEntry("installed", "{\"kubelet\":{\"channel\":\"1.29/stable\",\"revision\":1342}}");
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", databag)).isEqualTo(new UnitReading.Reported(report));
    }

    @Test
    void aWitnessedFailureRoundTripsAndABrokenOneMakesTheReportUnreadable() {
        Witnessed seen = new Witnessed("snap-coherence/4", Progress.failed(PLAN, Phase.FAILED,
                new Failure("kubelet", 1350, "download failed")));
        var report = new UnitReport("snap-coherence/3", Role.WORKER, Map.of(), Optional.empty(), Optional.of(seen));
        Map<String, String> databag = PeerCodec.encodeUnit(report);
        assertThat(databag.get("witnessed")).isEqualTo("{\"unit\":\"snap-coherence/4\",\"plan\":7,\"attempt\":2,"
                + "\"phase\":\"failed\",\"failure\":{\"snap\":\"kubelet\",\"revision\":1350,\"error\":\"download failed\"}}");
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", databag)).isEqualTo(new UnitReading.Reported(report));

        Map<String, String> done = new java.util.HashMap<>(databag);
        done.put("witnessed", "{\"unit\":\"snap-coherence/4\",\"plan\":7,\"attempt\":2,\"phase\":\"done\"}");
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", done)).isEqualTo(new UnitReading.Unreadable(
                new Malformed("snap-coherence/3", "witnessed phase done is not a failure")));
    }

    @Test
    void aFailuresErrorIsCutToABoundedLength() {
        Failure failure = new Failure("kubelet", 1350, "x".repeat(10_000));
        assertThat(failure.error()).hasSize(Failure.MAX_ERROR).endsWith("...");
    }

    @Test
    void anAbsentProgressIsEncodedAsADeletion() {
        var report = new UnitReport("snap-coherence/0", Role.CONTROL_PLANE, Map.of(), Optional.empty());
        Map<String, String> databag = PeerCodec.encodeUnit(report);
        assertThat(databag).containsEntry("progress", "");
        assertThat(PeerCodec.decodeUnit("snap-coherence/0", databag)).isEqualTo(new UnitReading.Reported(report));
    }

    @Test
    void theAppDatabagRoundTrips() {
        var state = new RolloutState(Optional.of(PLAN), List.of("snap-coherence/10", "snap-coherence/2"),
                Optional.of(new Halt("snap-coherence/2", "kubelet 1350 failed")), true);
        Map<String, String> databag = PeerCodec.encodeApp(state);
        // Grants keep the order they were granted in: units pace themselves by it.
        assertThat(databag).containsEntry("grants", "[\"snap-coherence/10\",\"snap-coherence/2\"]")
                .containsEntry("paused", "true");
        assertThat(PeerCodec.decodeApp("snap-coherence", databag)).isEqualTo(new PeerCodec.AppReading.Read(state));
        assertThat(PeerCodec.decodeApp("snap-coherence", PeerCodec.encodeApp(RolloutState.EMPTY)))
                .isEqualTo(new PeerCodec.AppReading.Read(RolloutState.EMPTY));
        var requested = new RolloutState(Optional.of(PLAN), List.of(), Optional.empty(), false,
                Optional.of(java.util.Set.of("kubelet", "kubectl")));
        Map<String, String> withRequest = PeerCodec.encodeApp(requested);
        assertThat(withRequest).containsEntry("requested", "[\"kubectl\",\"kubelet\"]");
        assertThat(PeerCodec.decodeApp("snap-coherence", withRequest)).isEqualTo(new PeerCodec.AppReading.Read(requested));
        withRequest.put("requested", "{}");
        assertThat(PeerCodec.decodeApp("snap-coherence", withRequest))
                .isEqualTo(new PeerCodec.AppReading.Unreadable(new Malformed("snap-coherence", "requested is not a list")));
    }

    @Test
    void anEmptyDatabagIsAUnitThatHasNotReportedYet() {
        assertThat(PeerCodec.decodeUnit("snap-coherence/4", Map.of()))
                .isEqualTo(new UnitReading.Unreported("snap-coherence/4"));
    }

    @Test
    void anotherSchemaOrBrokenDataIsReportedNeverMisread() {
        assertThat(unreadable(Map.of("schema", "2", "role", "worker", "installed", "{}")))
                .isEqualTo("schema 2 (this charm reads schema 1)");
        assertThat(unreadable(Map.of("role", "worker"))).isEqualTo("no schema");
        assertThat(unreadable(Map.of("schema", "1", "role", "etcd", "installed", "{}"))).isEqualTo("unknown role etcd");
        assertThat(unreadable(Map.of("schema", "1", "role", "worker", "installed", "{not json")))
                .startsWith("installed is not JSON");
        assertThat(unreadable(Map.of("schema", "1", "role", "worker",
                "installed", "{\"kubelet\":{\"channel\":\"1.29/stable\",\"revision\":-3}}")))
                .isEqualTo("revision is not a positive integer");
        assertThat(unreadable(Map.of("schema", "1", "role", "worker", "installed", "{}",
                "progress", "{\"plan\":1,\"attempt\":1,\"phase\":\"failed\"}")))
                .isEqualTo("progress phase failed without a failure");

        var app = PeerCodec.decodeApp("snap-coherence", Map.of("schema", "1", "grants", "{}"));
        assertThat(app).isEqualTo(new PeerCodec.AppReading.Unreadable(
                new Malformed("snap-coherence", "grants is not a list")));
    }

    private static String unreadable(Map<String, String> databag) {
        UnitReading reading = PeerCodec.decodeUnit("snap-coherence/1", databag);
        assertThat(reading).isInstanceOf(UnitReading.Unreadable.class);
        return ((UnitReading.Unreadable) reading).malformed().reason();
    }
}
