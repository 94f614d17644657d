package io.snapcoherence.coherence;

import io.snapcoherence.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class PeerCodecTest {
    private static final Plan PLAN = new Plan(7, 2, List.of(new Target("kubelet", "1.29/stable", "amd64", 1350)),
            false);

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
    void theSnapsAReportWasWrittenForRoundTripAndBadOnesMakeItUnreadable() {
        var report = new UnitReport("snap-coherence/3", Role.WORKER,
                Map.of("kubelet", new InstalledRevision("1.29/stable", 1342)), Optional.empty())
                .managing(List.of("kubelet", "kubectl"));
        Map<String, String> databag = PeerCodec.encodeUnit(report);
        assertThat(databag).containsEntry("managed", "[\"kubectl\",\"kubelet\"]");
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", databag)).isEqualTo(new UnitReading.Reported(report));
        // A report without the key (the previous version) speaks for every snap, as before.
        assertThat(without(databag, "managed").report().managed()).isEmpty();
        unreadableWithAnyOf(databag, "managed", "{}", "[1]", "[\"Kubelet\"]", "[\"" + "a".repeat(41) + "\"]");
    }

    /** The report decoded from the databag without {@code key}. */
    private static UnitReading.Reported without(Map<String, String> databag, String key) {
        var without = new java.util.HashMap<>(databag);
        without.remove(key);
        return (UnitReading.Reported) PeerCodec.decodeUnit("snap-coherence/3", without);
    }

    /** The databag with each of these values under {@code key} is unreadable. */
    private static void unreadableWithAnyOf(Map<String, String> databag, String key, String... values) {
        for (String bad : values) {
            var broken = new java.util.HashMap<>(databag);
            broken.put(key, bad);
            assertThat(PeerCodec.decodeUnit("snap-coherence/3", broken)).as(bad)
                    .isInstanceOf(UnitReading.Unreadable.class);
        }
    }

    @Test
    void theSnapsADoneCoveredRoundTripOnlyWithADoneAndBadOnesMakeItUnreadable() {
        Plan plan = new Plan(7, 2, List.of(new Target("kubelet", "1.29/stable", "amd64", 1350)), false);
        var report = new UnitReport("snap-coherence/3", Role.WORKER, Map.of(),
                Optional.of(Progress.done(plan, List.of("kubelet", "kube-proxy")))).managing(List.of("kubelet"));
        Map<String, String> databag = PeerCodec.encodeUnit(report);
        assertThat(databag).containsEntry("covers", "[\"kube-proxy\",\"kubelet\"]");
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", databag)).isEqualTo(new UnitReading.Reported(report));
        // The previous version's done says nothing of it: it covers every snap.
        assertThat(without(databag, "covers").report().progress()).contains(Progress.done(plan));
        var failed = new java.util.HashMap<>(databag);
        failed.put("progress", "{\"plan\":7,\"attempt\":2,\"phase\":\"failed\",\"failure\":{\"snap\":"
                + "\"kubelet\",\"revision\":1350,\"error\":\"x\"}}");
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", failed)).isEqualTo(new UnitReading.Unreadable(
                new Malformed("snap-coherence/3", "covers without a done progress")));
        unreadableWithAnyOf(databag, "covers", "{}", "[1]", "[\"Kubelet\"]", names(65));
        // Two configs' worth: the snaps config when it verified, and the plan's, made under another (32 each).
        var wide = new java.util.HashMap<>(databag);
        wide.put("covers", names(64));
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", wide)).isInstanceOf(UnitReading.Reported.class);
    }

    /** A JSON list of {@code count} snap names. */
    private static String names(int count) {
        return Json.write(java.util.stream.IntStream.range(0, count).mapToObj(i -> "snap-" + i).toList());
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
    void theSoakEntryIsReadWithTheRolloutState() {
        var state = new RolloutState(Optional.of(PLAN), List.of("snap-coherence/2"), Optional.empty(), false);
        Map<String, String> databag = new java.util.HashMap<>(PeerCodec.encodeApp(state));
        Soak.Entry entry = new Soak.Entry(PLAN.id(), PLAN.attempt(), Soak.Stage.CANARY, "snap-coherence/1",
                java.time.Instant.parse("2026-11-25T10:32:10Z"), false);
        databag.put(Soak.KEY, entry.encode());
        assertThat(PeerCodec.decodeApp("snap-coherence", databag)).isEqualTo(new PeerCodec.AppReading.Read(state,
                Optional.empty(), Offers.NONE, Optional.empty(), Optional.of(entry)));
    }

    @Test
    void aPlanThatReplacedAHaltedOneRoundTripsAndABadReplacesMakesTheAppDataUnreadable() {
        var replacing = new Plan(8, 1, PLAN.targets(), false, Optional.of(7L));
        var state = new RolloutState(Optional.of(replacing), List.of("snap-coherence/1"), Optional.empty(), false);
        Map<String, String> databag = PeerCodec.encodeApp(state);
        assertThat(databag.get("plan")).contains("\"replaces\":7");
        assertThat(PeerCodec.decodeApp("snap-coherence", databag)).isEqualTo(new PeerCodec.AppReading.Read(state));
        // A plan that replaced none has no such key, as an earlier version wrote it.
        assertThat(PeerCodec.encodeApp(new RolloutState(Optional.of(PLAN), List.of(), Optional.empty(), false))
                .get("plan")).doesNotContain("replaces");
        String good = databag.get("plan");
        for (String bad : List.of("0", "8", "9", "\"7\"", "7.5", "null", "-1")) {
            databag.put("plan", good.replace("\"replaces\":7", "\"replaces\":" + bad));
            assertThat(PeerCodec.decodeApp("snap-coherence", databag)).as(bad)
                    .isInstanceOf(PeerCodec.AppReading.Unreadable.class);
        }
    }

    @Test
    void theWindowInForceRoundTripsAndABadOneMakesTheAppDataUnreadable() {
        var state = new RolloutState(Optional.of(PLAN), List.of("snap-coherence/2"), Optional.empty(), false);
        Map<String, String> databag = PeerCodec.encodeApp(state, Optional.empty(), Offers.NONE, Optional.of(2));
        assertThat(databag).containsEntry("window", "2");
        assertThat(PeerCodec.decodeApp("snap-coherence", databag))
                .isEqualTo(new PeerCodec.AppReading.Read(state, Optional.empty(), Offers.NONE, Optional.of(2)));
        assertThat(PeerCodec.encodeApp(state)).containsEntry("window", ""); // none: deleted
        for (String bad : List.of("0", "101", "\"2\"", "1.5")) {
            databag.put("window", bad);
            assertThat(PeerCodec.decodeApp("snap-coherence", databag)).as(bad)
                    .isInstanceOf(PeerCodec.AppReading.Unreadable.class);
        }
    }

    @Test
    void anEmptyDatabagIsAUnitThatHasNotReportedYet() {
        assertThat(PeerCodec.decodeUnit("snap-coherence/4", Map.of()))
                .isEqualTo(new UnitReading.Unreported("snap-coherence/4"));
    }

    @Test
    void anotherSchemaOrBrokenDataIsReportedNeverMisread() {
        assertThat(unreadable(Map.of("schema", "2", "role", "worker", "installed", "{}")))
                .isEqualTo("schema 2 (this charm reads schema 1)"); // unit databags are still schema 1
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

    @Test
    void aUnitsArchitectureAndViewRoundTripAndBadOnesMakeTheReportUnreadable() {
        StoreView view = StoreView.news(java.time.Instant.parse("2026-11-25T10:00:00Z"), 3, "http://proxy",
                Map.of(new SnapChannel("kubelet", "1.29/stable"), 4154));
        var report = new UnitReport("snap-coherence/3", Role.WORKER,
                Map.of("kubelet", new InstalledRevision("1.29/stable", 4104)), Optional.empty(), Optional.empty(),
                "arm64", Optional.of(view));
        Map<String, String> databag = PeerCodec.encodeUnit(report);
        assertThat(databag).containsEntry("schema", "1").containsEntry("arch", "arm64").containsEntry("offers",
                "{\"at\":\"2026-11-25T10:00:00Z\",\"round\":3,\"answer\":false,\"proxy\":\"http://proxy\","
                        + "\"serves\":{\"kubelet 1.29/stable\":4154}}");
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", databag)).isEqualTo(new UnitReading.Reported(report));
        var couldNot = report.on("arm64", Optional.of(StoreView.unavailable(view.at(), 3, "http://proxy",
                "not registered")));
        assertThat(PeerCodec.decodeUnit("snap-coherence/3", PeerCodec.encodeUnit(couldNot)))
                .isEqualTo(new UnitReading.Reported(couldNot));

        Map<String, String> bad = new java.util.HashMap<>(databag);
        bad.put("arch", "ARM 64");
        assertThat(unreadable(bad)).isEqualTo("arch ARM 64 is not an architecture name");
        bad = new java.util.HashMap<>(databag);
        bad.put("offers", "{\"at\":\"2026-11-25T10:00:00Z\",\"round\":3,\"answer\":true,\"proxy\":\"\","
                + "\"serves\":{\"kubelet\":4154}}");
        assertThat(unreadable(bad)).isEqualTo("offers key kubelet is not \"<snap> <channel>\"");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= StoreView.MAX_ENTRIES; i++) {
            many.append(i == 0 ? "" : ",").append("\"s").append(i).append(" c\":1");
        }
        bad.put("offers", "{\"at\":\"2026-11-25T10:00:00Z\",\"round\":0,\"answer\":false,\"proxy\":\"\","
                + "\"serves\":{" + many + "}}");
        assertThat(unreadable(bad)).isEqualTo("offers.serves holds 65 entries, more than 64");
    }

    @Test
    void theAppDatabagOfSchema2HoldsTargetsPerArchitectureTheOffersTheCheckRoundAndARefreshRequest() {
        var time = java.time.Instant.parse("2026-11-25T10:00:00Z");
        var plan = new Plan(7, 1, List.of(new Target("kubelet", "1.29/stable", "amd64", 3154),
                new Target("kubelet", "1.29/stable", "arm64", 4154)), false);
        var state = new RolloutState(Optional.of(plan), List.of("snap-coherence/2"),
                Optional.of(new Halt("snap-coherence/2", "failed")), false, Optional.of(java.util.Set.of()),
                Optional.of(new RefreshRequest(time, Optional.of(7L))));
        var offers = new Offers("http://proxy", Map.of("arm64", Map.of(new SnapChannel("kubelet", "1.29/stable"),
                new Offers.Offer(4154, time, "snap-coherence/3"))),
                new CheckRound(2, time, List.of("snap-coherence/3")));
        Map<String, String> databag = PeerCodec.encodeApp(state, Optional.empty(), offers);
        assertThat(databag).containsEntry("schema", "2")
                .containsEntry("check", "{\"round\":2,\"at\":\"2026-11-25T10:00:00Z\","
                        + "\"asked\":[\"snap-coherence/3\"]}")
                .containsEntry("refresh", "{\"asked\":\"2026-11-25T10:00:00Z\",\"replaces\":7}");
        assertThat(databag.get("plan")).contains("{\"snap\":\"kubelet\",\"channel\":\"1.29/stable\",\"arch\":\"arm64\","
                + "\"revision\":4154}");
        assertThat(PeerCodec.decodeApp("snap-coherence", databag))
                .isEqualTo(new PeerCodec.AppReading.Read(state, Optional.empty(), offers));
    }

    @Test
    void theAppDatabagOfThePreviousVersionIsReadItsTargetsForEveryArchitecture() {
        Map<String, String> before = Map.of("schema", "1", "plan", "{\"id\":3,\"attempt\":1,\"targets\":"
                + "[{\"snap\":\"kubelet\",\"channel\":\"1.29/stable\",\"revision\":3154}],\"complete\":false}",
                "grants", "[\"snap-coherence/1\"]");
        var read = (PeerCodec.AppReading.Read) PeerCodec.decodeApp("snap-coherence", before);
        Plan plan = read.state().plan().orElseThrow();
        assertThat(plan.targets()).containsExactly(new Target("kubelet", "1.29/stable", Target.ANY_ARCH, 3154));
        var arm64 = Map.of("kubelet", new InstalledRevision("1.29/stable", 4104));
        assertThat(plan.pendingOn("arm64", arm64)).hasSize(1);
        assertThat(read.offers()).isEqualTo(Offers.NONE);
        // Written again as schema 2, the target keeps meaning every architecture.
        assertThat(PeerCodec.decodeApp("snap-coherence", PeerCodec.encodeApp(read.state()))).isEqualTo(read);
        // A schema this version does not know is said, not guessed at.
        assertThat(PeerCodec.decodeApp("snap-coherence", Map.of("schema", "3", "grants", "[]")))
                .isEqualTo(new PeerCodec.AppReading.Unreadable(new Malformed("snap-coherence",
                        "schema 3 (this charm reads schema 1 and 2)")));
    }

    @Test
    void theLargestOffersTheLeaderKeepsFitJujusValueLimit() {
        Map<String, Map<SnapChannel, Offers.Offer>> byArch = new java.util.TreeMap<>();
        var time = java.time.Instant.parse("2026-11-25T10:00:00.123456789Z");
        for (int i = 0; i < Offers.MAX_ENTRIES; i++) {
            // snap names are at most 40 characters; a channel with a branch; unit numbers in the thousands
            String snap = ("snap-" + i + "-").repeat(10).substring(0, 40);
            byArch.computeIfAbsent(i % 2 == 0 ? "amd64" : "ppc64el", a -> new java.util.TreeMap<>())
                    .put(new SnapChannel(snap, "1.29/stable/hotfix-" + i), new Offers.Offer(Integer.MAX_VALUE, time,
                            "snap-coherence/" + (10_000 + i)));
        }
        var offers = new Offers("http://snap-store-proxy.internal.example.com:8080", byArch, CheckRound.NONE);
        String value = PeerCodec.encodeApp(RolloutState.EMPTY, Optional.empty(), offers).get("offers");
        assertThat(value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThan(64 * 1024);
        assertThat(((PeerCodec.AppReading.Read) PeerCodec.decodeApp("app", Map.of("schema", "2", "offers", value)))
                .offers().size()).isEqualTo(Offers.MAX_ENTRIES);
    }

    private static String unreadable(Map<String, String> databag) {
        UnitReading reading = PeerCodec.decodeUnit("snap-coherence/1", databag);
        assertThat(reading).isInstanceOf(UnitReading.Unreadable.class);
        return ((UnitReading.Unreadable) reading).malformed().reason();
    }
}
