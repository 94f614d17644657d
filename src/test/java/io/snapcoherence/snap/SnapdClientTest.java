package io.snapcoherence.snap;

import io.snapcoherence.snap.fakesnapd.FakeSnapd;
import io.snapcoherence.snap.fakesnapd.FakeSnapdState;
import io.snapcoherence.snap.fakesnapd.FakeSnapdState.RefreshPlan;
import io.snapcoherence.snap.fakestore.FakeAssertions;
import io.snapcoherence.sim.SimClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@link SnapdClient} against the fake snapd over a real UNIX socket: every request, its errors and transport
 * faults.
 */
class SnapdClientTest {
    private static final Instant START = Instant.parse("2026-11-30T10:00:00Z");
    private static final String CH = "1.29/stable";
    /** Limits far above the fake's milliseconds, so a loaded machine does not turn an answer into a timeout. */
    private static final SnapdClient.Limits LIMITS = new SnapdClient.Limits(Duration.ofSeconds(10),
            Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(5));
    /** Short limits for the cases that wait for an answer that never comes. */
    private static final SnapdClient.Limits SHORT = new SnapdClient.Limits(Duration.ofMillis(300),
            Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofMillis(5));

    @TempDir
    Path dir;
    private final SimClock clock = new SimClock(START);
    private FakeSnapd snapd;
    private FakeSnapdState state;
    private SnapdClient client;
    private SnapdClient impatient;

    @BeforeEach
    void start() throws IOException {
        state = new FakeSnapdState(clock);
        snapd = FakeSnapd.at(dir.resolve("run/snapd.socket"), state);
        client = new SnapdClient(snapd.socket(), LIMITS, SnapdClient.MAX_RESPONSE_BYTES);
        impatient = new SnapdClient(snapd.socket(), SHORT, SnapdClient.MAX_RESPONSE_BYTES);
        state.publish("kubelet", CH, 1342, "1.29.3").publish("kubectl", CH, 500, "1.29.3")
                .install("kubelet", CH, 1342, "daemon").install("kubectl", CH, 500);
    }

    @AfterEach
    void stop() {
        snapd.close();
    }

    private static SnapError failure(Runnable call) {
        SnapException e = catchThrowableOfType(SnapException.class, call::run);
        assertThat(e).as("a SnapException").isNotNull();
        return e.error();
    }

    // ---- the machine ---------------------------------------------------------------------------------------

    @Test
    void systemInfoReadsVersionArchitectureAndTheEffectiveHold() {
        state.version("2.57.6").lastRefresh(START.minus(Duration.ofDays(10)))
                .config("refresh.hold", "2027-12-01T00:00:00Z");

        SystemInfo info = client.systemInfo();

        assertThat(info.version()).isEqualTo("2.57.6");
        assertThat(info.architecture()).isEqualTo("amd64");
        assertThat(info.perSnapHolds()).isFalse();
        assertThat(info.lastRefresh()).contains(START.minus(Duration.ofDays(10)));
        // 2.57 caps a hold at the last refresh plus 95 days
        assertThat(info.refreshHold()).contains(START.plus(Duration.ofDays(85)));
    }

    @Test
    void systemInfoOfANewSnapdHasPerSnapHoldsAndNoCap() {
        state.version("2.68.5").config("refresh.hold", "2027-12-01T00:00:00Z");

        SystemInfo info = client.systemInfo();

        assertThat(info.perSnapHolds()).isTrue();
        assertThat(info.refreshHold()).contains(Instant.parse("2027-12-01T00:00:00Z"));
        assertThat(info.lastRefresh()).isEmpty();
    }

    @Test
    void listGivesTheFullTrackingChannelRevisionVersionAndHold() {
        state.publish("kube-proxy", "1.29/stable/hotfix-1", 77, "1.29.3+h1")
                .install("kube-proxy", "1.29/stable/hotfix-1", 77).install("local-tool", "", -2);
        client.hold(List.of("kubelet"));

        List<InstalledSnap> snaps = client.list();

        assertThat(snaps).extracting(InstalledSnap::name, InstalledSnap::revision, InstalledSnap::tracking,
                InstalledSnap::version).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("kube-proxy", 77, "1.29/stable/hotfix-1", "1.29.3+h1"),
                org.assertj.core.groups.Tuple.tuple("kubectl", 500, CH, "1.29.3"),
                org.assertj.core.groups.Tuple.tuple("kubelet", 1342, CH, "1.29.3"),
                org.assertj.core.groups.Tuple.tuple("local-tool", -2, "", "1.0"));
        assertThat(snaps).filteredOn(s -> s.name().equals("kubelet")).singleElement()
                .satisfies(s -> assertThat(s.hold()).hasValueSatisfying(h -> assertThat(h).isAfter(
                        START.plus(Duration.ofDays(365 * 200)))));
        assertThat(snaps).filteredOn(s -> !s.name().equals("kubelet")).allSatisfy(s -> assertThat(s.hold()).isEmpty());
    }

    @Test
    void servicesListsEveryServiceAndSnapsWithoutServicesHaveNone() {
        state.breakServices("kubelet");

        assertThat(client.services()).containsExactly(new SnapService("kubelet", "daemon", true, false));
        assertThat(snapd.requests()).containsExactly("GET /v2/apps?select=service");
    }

    // ---- the store -----------------------------------------------------------------------------------------

    @Test
    void refreshCandidatesAreTheInstalledSnapsWhoseChannelMoved() {
        assertThat(client.refreshCandidates()).isEmpty();

        state.publish("kubelet", CH, 1350, "1.29.4");

        assertThat(client.refreshCandidates()).containsExactly(new RefreshCandidate("kubelet", CH, 1350, "1.29.4"));
    }

    @Test
    void anUnreachableStoreIsTransientWhereverSnapdAsksIt() {
        state.storeUnreachable(true);

        SnapError candidates = failure(() -> client.refreshCandidates());
        SnapError refresh = failure(() -> client.startRefresh("kubelet", CH, 1342 + 8));

        assertThat(List.of(candidates, refresh)).allSatisfy(error -> {
            assertThat(error).isInstanceOf(SnapError.StoreUnreachable.class);
            assertThat(error.isTransient()).isTrue();
        });
    }

    // ---- changes -------------------------------------------------------------------------------------------

    @Test
    void aRefreshIsAChangeThatEndsDoneOnTheTarget() {
        state.publish("kubelet", CH, 1350, "1.29.4");

        String id = client.startRefresh("kubelet", CH, 1350);

        assertThat(client.change(id)).isEqualTo(new Change(id, "refresh-snap", "Done", true, Optional.empty()));
        assertThat(client.list()).filteredOn(s -> s.name().equals("kubelet")).extracting(InstalledSnap::revision)
                .containsExactly(1350);
        assertThat(snapd.requests()).contains("POST /v2/snaps/kubelet "
                + "{\"action\":\"refresh\",\"channel\":\"1.29/stable\",\"revision\":\"1350\"}");
    }

    @Test
    void theNewRevisionShowsFromLinkSnapWhileTheChangeIsStillDoing() {
        state.publish("kubelet", CH, 1350, "1.29.4").plan("kubelet", RefreshPlan.takes(Duration.ofMinutes(2)));

        String id = client.startRefresh("kubelet", CH, 1350);
        assertThat(client.change(id).status()).isEqualTo("Doing");
        assertThat(revision("kubelet")).isEqualTo(1342);

        clock.advance(Duration.ofMinutes(1)); // past link-snap
        Change linked = client.change(id);
        assertThat(linked.ready()).isFalse();
        assertThat(linked.done()).isFalse();
        assertThat(revision("kubelet")).isEqualTo(1350);

        clock.advance(Duration.ofMinutes(1));
        assertThat(client.change(id).done()).isTrue();
    }

    @Test
    void aRefreshFailingAfterLinkSnapIsUndoneWithSnapdsErrorText() {
        state.publish("kubelet", CH, 1350, "1.29.4")
                .plan("kubelet", RefreshPlan.failsAfterLinkSnap("systemctl start snap.kubelet.daemon failed"));

        Change change = client.change(client.startRefresh("kubelet", CH, 1350));

        assertThat(change.failed()).isTrue();
        assertThat(change.status()).isEqualTo("Error");
        assertThat(change.error()).contains("cannot perform the following tasks:\n"
                + "- Start snap \"kubelet\" (1350) services (systemctl start snap.kubelet.daemon failed)");
        assertThat(revision("kubelet")).isEqualTo(1342);
    }

    @Test
    void aBrokenRevisionFailsEveryRefreshToIt() {
        state.publishBroken("kubelet", CH, 1350);

        Change change = client.change(client.startRefresh("kubelet", CH, 1350));

        assertThat(change.failed()).isTrue();
        assertThat(change.error()).hasValueSatisfying(e -> assertThat(e).startsWith(
                "cannot perform the following tasks:\n- Start snap \"kubelet\" (1350) services ("));
        assertThat(revision("kubelet")).isEqualTo(1342);
        assertThat(client.change(client.startRefresh("kubelet", CH, 1350)).failed()).isTrue();
    }

    @Test
    void refreshErrorsAreTypedByKind() {
        state.publish("kubelet", CH, 1350, "1.29.4").holdServiceStarts("kubelet");
        client.startRefresh("kubelet", CH, 1350);

        assertThat(failure(() -> client.startRefresh("kubelet", CH, 1350))).isEqualTo(new SnapError.ChangeConflict(
                "kubelet", "snap \"kubelet\" has \"refresh-snap\" change in progress"));
        assertThat(failure(() -> client.startRefresh("kube-proxy", CH, 1))).isEqualTo(
                new SnapError.NotInstalled("kube-proxy"));
        assertThat(failure(() -> client.startRefresh("kubectl", CH, 999))).isEqualTo(
                new SnapError.RevisionNotAvailable("kubectl", "no snap revision available as specified"));
        state.foreignChange("kubectl", "auto-refresh");
        SnapError autoRefresh = failure(() -> client.startRefresh("kubectl", "1.29/candidate", 500));
        assertThat(autoRefresh).isEqualTo(new SnapError.ChangeConflict("kubectl",
                "snap \"kubectl\" has \"auto-refresh\" change in progress"));
        assertThat(autoRefresh.isTransient()).isTrue();
    }

    @Test
    void aRefreshToTheInstalledRevisionIsAChangeNotAnError() {
        String id = client.startRefresh("kubelet", CH, 1342);

        assertThat(client.change(id).done()).isTrue();
        assertThat(snapd.requests()).anyMatch(r -> r.startsWith("POST /v2/snaps/kubelet "));
        assertThat(revision("kubelet")).isEqualTo(1342);
    }

    @Test
    void aRevertIsAChangeAndNeedsAPreviousRevision() {
        assertThat(failure(() -> client.startRevert("kubelet"))).isEqualTo(new SnapError.NoRevisionToRevert("kubelet"));
        assertThat(failure(() -> client.startRevert("kube-proxy"))).isEqualTo(
                new SnapError.NoRevisionToRevert("kube-proxy"));
        state.publish("kubelet", CH, 1350, "1.29.4");
        client.startRefresh("kubelet", CH, 1350);

        assertThat(client.change(client.startRevert("kubelet")).done()).isTrue();
        assertThat(revision("kubelet")).isEqualTo(1342);
    }

    @Test
    void anUnknownChangeIsSnapdsOwnNotFound() {
        assertThat(failure(() -> client.change("99"))).isEqualTo(new SnapError.Other(404, "",
                "cannot find change with id \"99\""));
    }

    @Test
    void awaitReturnsOnceTheChangeIsReady() {
        state.publish("kubelet", CH, 1350, "1.29.4").plan("kubelet", RefreshPlan.takes(Duration.ofSeconds(30)));
        String id = client.startRefresh("kubelet", CH, 1350);
        Thread mover = new Thread(() -> {
            // snapd works on: the fake's clock moves once the client has polled (a condition, not a pause)
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (snapd.requests("GET /v2/changes/" + id).size() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            clock.advance(Duration.ofSeconds(30));
        });
        mover.start();

        Change change = client.await(id, Duration.ofSeconds(20));

        // the first poll saw it Doing (the clock moves only once a second poll has arrived): await polled on
        assertThat(change.done()).isTrue();
        assertThat(snapd.requests("GET /v2/changes/" + id).size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void theChangesInProgressOfASnapAreTheOnesNotReadyThatNameIt() {
        state.publish("kubelet", CH, 1350, "1.29.4").holdServiceStarts("kubelet");
        String id = client.startRefresh("kubelet", CH, 1350);
        client.hold(List.of("kubelet")); // a hold is a change of its own, Done, naming no snap

        assertThat(client.changesInProgress("kubelet")).extracting(Change::id, Change::kind, Change::status,
                Change::ready).containsExactly(org.assertj.core.groups.Tuple.tuple(id, "refresh-snap", "Doing", false));
        assertThat(client.changesInProgress("kubectl")).isEmpty();
        assertThat(snapd.requests()).contains("GET /v2/changes?select=in-progress&for=kubelet");

        state.releaseServiceStarts("kubelet");
        assertThat(client.changesInProgress("kubelet")).isEmpty();
    }

    @Test
    void awaitGivesUpAfterItsWaitAndReturnsTheLastStateSeen() {
        state.publish("kubelet", CH, 1350, "1.29.4").holdServiceStarts("kubelet");
        String id = client.startRefresh("kubelet", CH, 1350);
        long start = System.nanoTime();

        Change change = client.await(id, Duration.ofMillis(300));

        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isBetween(Duration.ofMillis(300), Duration.ofSeconds(5));
        assertThat(change.ready()).isFalse();
        assertThat(change.status()).isEqualTo("Doing");
        assertThat(revision("kubelet")).as("linked while services wait").isEqualTo(1350);
        state.releaseServiceStarts("kubelet");
        assertThat(client.await(id, Duration.ofSeconds(5)).done()).isTrue();
    }

    // ---- configuration, assertions, holds ------------------------------------------------------------------

    @Test
    void optionsAreReadSetEmptiedAndRemoved() {
        assertThat(client.getSystem("proxy.store")).isEmpty();
        client.setSystem("refresh.hold", "2027-01-01T00:00:00Z");
        assertThat(client.getSystem("refresh.hold")).contains("2027-01-01T00:00:00Z");
        client.setSystem("refresh.hold", "");
        assertThat(client.getSystem("refresh.hold")).as("set empty is not unset").contains("");
        client.unsetSystem("refresh.hold");
        assertThat(client.getSystem("refresh.hold")).isEmpty();
        assertThat(snapd.requests()).contains("PUT /v2/snaps/system/conf {\"refresh.hold\":null}");
    }

    @Test
    void proxyStoreNeedsAKnownStoreAssertionWithAUrl() {
        assertThat(failure(() -> client.setSystem("proxy.store", "abc"))).isEqualTo(
                new SnapError.NoMatchingStoreAssertion("abc"));
        state.knownStore("abc", Optional.empty());
        assertThat(failure(() -> client.setSystem("proxy.store", "abc"))).isEqualTo(
                new SnapError.StoreAssertionWithoutUrl("abc"));
        state.knownStore("abc", Optional.of("http://proxy.internal"));
        client.setSystem("proxy.store", "abc");
        assertThat(client.getSystem("proxy.store")).contains("abc");
    }

    @Test
    void aRefusedValueIsSnapdsOwnWords() {
        state.version("2.57.6");

        SnapError error = failure(() -> client.setSystem("refresh.hold", "forever"));

        assertThat(error).isInstanceOf(SnapError.Other.class);
        assertThat(error.describe()).contains("refresh.hold cannot be parsed: parsing time \"forever\"");
    }

    @Test
    void aConfigureChangeThatCannotBeFollowedIsATimeout() {
        snapd.misbehave("/v2/changes/", FakeSnapd.Misbehaviour.NEVER_ANSWER);

        SnapError error = failure(() -> impatient.setSystem("proxy.store", "abc"));

        assertThat(error).isInstanceOf(SnapError.Timeout.class);
        assertThat(error.describe()).contains("GET /v2/changes/");
    }

    @Test
    void storeAssertionsAreAcknowledgedOnlyWhenSnapdTrustsTheirSigner() {
        byte[] stream = FakeAssertions.streamFor("fake-store-id", "http://proxy.internal")
                .getBytes(StandardCharsets.UTF_8);

        SnapError untrusted = failure(() -> client.ack(stream));
        assertThat(untrusted).isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(untrusted.describe()).contains("failed signature verification");
        assertThat(client.knownStores()).isEmpty();

        state.trustSignKey(Assertions.parse(stream).get(0).header("sign-key-sha3-384").orElseThrow());
        client.ack(stream);
        assertThat(client.knownStores()).containsExactly(new StoreAssertion("fake-store-id",
                Optional.of("http://proxy.internal")));
    }

    @Test
    void garbageIsRejectedAndAnEmptyStreamIsNeverSent() {
        assertThat(failure(() -> client.ack("<html>oops</html>".getBytes(StandardCharsets.UTF_8)))).isEqualTo(
                new SnapError.AssertionsRejected("cannot decode request body into assertions: unexpected EOF"));
        snapd.clearRequests();

        assertThat(failure(() -> client.ack(" \n".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(snapd.requests()).isEmpty();
    }

    @Test
    void perSnapHoldsFromSnapd258() {
        state.version("2.63");
        client.hold(List.of("kubelet", "kubectl"));
        assertThat(state.held("kubelet")).isTrue();
        assertThat(state.held("kubectl")).isTrue();
        assertThat(snapd.requests()).containsExactly("POST /v2/snaps "
                + "{\"action\":\"hold\",\"snaps\":[\"kubelet\",\"kubectl\"],\"time\":\"forever\","
                + "\"hold-level\":\"general\"}");

        client.unhold(List.of("kubectl"));
        assertThat(state.held("kubectl")).isFalse();
        assertThat(state.held("kubelet")).isTrue();
    }

    @Test
    void snapd257RefusesPerSnapHoldsAndAnEmptyListSendsNothing() {
        state.version("2.57.6");

        assertThat(failure(() -> client.hold(List.of("kubelet")))).isEqualTo(
                new SnapError.Other(400, "", "unsupported multi-snap operation \"hold\""));
        snapd.clearRequests();
        client.hold(List.of());
        client.unhold(List.of()); // without names snapd would drop the system-wide refresh.hold
        assertThat(snapd.requests()).isEmpty();
    }

    // ---- the connection ------------------------------------------------------------------------------------

    /** Every request the interface makes, with arguments that would succeed. */
    private Map<String, Function<SnapdClient, Object>> everyRequest() {
        Map<String, Function<SnapdClient, Object>> calls = new LinkedHashMap<>();
        calls.put("systemInfo", SnapdClient::systemInfo);
        calls.put("list", SnapdClient::list);
        calls.put("services", SnapdClient::services);
        calls.put("refreshCandidates", SnapdClient::refreshCandidates);
        calls.put("startRefresh", c -> c.startRefresh("kubelet", CH, 1350));
        calls.put("startRevert", c -> c.startRevert("kubelet"));
        calls.put("change", c -> c.change("1"));
        calls.put("await", c -> c.await("1", Duration.ofMillis(100)));
        calls.put("changesInProgress", c -> c.changesInProgress("kubelet"));
        calls.put("ack", c -> {
            c.ack(FakeAssertions.streamFor("s", "http://p").getBytes(StandardCharsets.UTF_8));
            return null;
        });
        calls.put("knownStores", SnapdClient::knownStores);
        calls.put("getSystem", c -> c.getSystem("refresh.hold"));
        calls.put("setSystem", c -> {
            c.setSystem("refresh.hold", "2027-01-01T00:00:00Z");
            return null;
        });
        calls.put("unsetSystem", c -> {
            c.unsetSystem("refresh.hold");
            return null;
        });
        calls.put("hold", c -> {
            c.hold(List.of("kubelet"));
            return null;
        });
        calls.put("unhold", c -> {
            c.unhold(List.of("kubelet"));
            return null;
        });
        return calls;
    }

    @Test
    void everyRequestIsATimeoutWhenSnapdNeverAnswers() {
        snapd.misbehave("/", FakeSnapd.Misbehaviour.NEVER_ANSWER);
        everyRequest().forEach((name, call) -> {
            long start = System.nanoTime();
            assertThat(failure(() -> call.apply(impatient))).as(name).isInstanceOf(SnapError.Timeout.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(name).isLessThan(Duration.ofSeconds(3));
        });
    }

    @Test
    void everyRequestIsABadResponseNamingItWhenTheAnswerIsNotSnapds() {
        for (FakeSnapd.Misbehaviour misbehaviour : List.of(FakeSnapd.Misbehaviour.GARBAGE,
                FakeSnapd.Misbehaviour.TRUNCATED, FakeSnapd.Misbehaviour.OVERSIZE, FakeSnapd.Misbehaviour.NOT_JSON)) {
            snapd.misbehave("/", misbehaviour);
            everyRequest().forEach((name, call) -> {
                SnapError error = failure(() -> call.apply(client));
                assertThat(error).as(name + " " + misbehaviour + ": " + error)
                        .isInstanceOf(SnapError.BadResponse.class);
                assertThat(((SnapError.BadResponse) error).request()).as(name).matches("(GET|POST|PUT) /v2/.*");
                assertThat(error.isTransient()).isFalse();
            });
        }
    }

    @Test
    void aResultOfTheWrongShapeIsABadResponseWhereverTheClientReadsIt() {
        snapd.misbehave("/", FakeSnapd.Misbehaviour.WRONG_SHAPE);
        everyRequest().forEach((name, call) -> {
            if (name.equals("ack")) {
                call.apply(client); // a sync answer is all an acknowledgement needs: its result is not read
                return;
            }
            assertThat(failure(() -> call.apply(client))).as(name).isInstanceOf(SnapError.BadResponse.class);
        });
    }

    @Test
    void aConnectionClosedWithoutAnAnswerIsSnapdGoneForNow() {
        snapd.misbehave("/", FakeSnapd.Misbehaviour.CLOSE_AT_ONCE);
        everyRequest().forEach((name, call) -> assertThat(failure(() -> call.apply(client))).as(name)
                .isInstanceOf(SnapError.SnapdUnavailable.class));
    }

    @Test
    void noSocketOrNoListenerIsSnapdUnavailable() throws IOException {
        SnapdClient missing = new SnapdClient(dir.resolve("nowhere/snapd.socket"), LIMITS, 1 << 20);
        Path refusing = dir.resolve("refusing.socket");
        ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(refusing)).close();
        SnapdClient refused = new SnapdClient(refusing, LIMITS, 1 << 20);

        for (SnapdClient client : List.of(missing, refused)) {
            everyRequest().forEach((name, call) -> {
                SnapError error = failure(() -> call.apply(client));
                assertThat(error).as(name).isInstanceOf(SnapError.SnapdUnavailable.class);
                assertThat(error.isTransient()).isTrue();
            });
        }
    }

    @Test
    void largeAnswersWithoutContentLengthAreReadToTheClose() {
        for (int i = 0; i < 40; i++) {
            state.publish("snap-" + i, CH, 100 + i).install("snap-" + i, CH, 100 + i, "daemon");
        }

        assertThat(client.list()).hasSize(42);
        assertThat(client.services()).hasSize(41);
    }

    @Test
    void theSocketIsSnapdsOwnUnlessTheRootIsMoved() {
        assertThat(SnapdClient.socketPath(Map.of())).isEqualTo(Path.of("/run/snapd.socket"));
        assertThat(SnapdClient.socketPath(Map.of("SNAPPY_GLOBAL_ROOT", ""))).isEqualTo(Path.of("/run/snapd.socket"));
        assertThat(SnapdClient.socketPath(Map.of("SNAPPY_GLOBAL_ROOT", "/tmp/r"))).isEqualTo(
                Path.of("/tmp/r/run/snapd.socket"));
    }

    private int revision(String snap) {
        return client.list().stream().filter(s -> s.name().equals(snap)).findFirst().orElseThrow().revision();
    }
}
