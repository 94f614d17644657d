package io.snapcoherence.snap.contract;

import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.SystemInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the charm relies on from each {@link Snaps} method, stated once and held to every implementation
 * ({@link #fixture()}): the charm's {@link SnapdClient} on a real snapd 2.57 with a store and on a real snapd 2.68
 * with local snaps and holds, the same client on the project's fake snapd, and the simulator's in-memory machine.
 * Each expectation was observed on a real snapd (docs/real-snapd.md names the version); {@link SnapdApiContract}
 * holds the same snapds to the REST answers underneath. What only a store-backed snapd, a store with channel maps
 * or per-snap holds can show is skipped elsewhere, saying why.
 *
 * <p>Test snaps ({@link SnapdSetup}): {@code kubectl} (no services) and {@code kubelet} (service {@code daemon});
 * a local snap's revision n is {@code -n} (snapd's {@code xn}). Time: a real snapd works on its own while a test
 * polls; the simulated machine works a scheduler round per {@link SnapsFixture#letSnapdWork}, and its
 * {@link Snaps#await} returns at once (no time passes inside a hook), so waiting for a change is "let snapd work,
 * then await", until ready.
 */
public abstract class SnapsContract {
    private static final String CH = "1.29/stable";
    /** How long a test waits for snapd to get somewhere before it fails with the last state. */
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    /** The error text of a refresh whose services fail, up to the part that differs between versions. */
    private static final String SERVICES_FAILED = " services (systemctl command [start snap.kubelet.daemon.service] "
            + "failed with exit status 1: ";

    protected abstract SnapsFixture fixture();

    private Snaps snaps() {
        return fixture().snaps();
    }

    @BeforeEach
    void startFromAKnownState() {
        fixture().reset();
    }

    @AfterEach
    void releaseWhatATestHeld() {
        fixture().releaseServiceStarts("kubelet");
        fixture().startStore();
    }

    // ---- the machine ---------------------------------------------------------------------------------------

    @Test
    void systemInfoNamesTheVersionAndArchitectureAndNoHoldOrLastRefreshYet() {
        SystemInfo info = snaps().systemInfo();

        assertThat(info.version()).isEqualTo(fixture().version());
        assertThat(info.architecture()).isEqualTo(dpkgArchitecture());
        assertThat(info.perSnapHolds()).isEqualTo(fixture().perSnapHolds());
        assertThat(info.refreshHold()).isEmpty();
        assertThat(info.lastRefresh()).isEmpty();
    }

    @Test
    void listGivesTheFullTrackingChannelTheRevisionAndNoHold() {
        fixture().install("kubelet", "1.29/stable/hotfix", 1);
        fixture().install("kubectl", CH, 2);

        List<InstalledSnap> listed = snaps().list();

        if (fixture().storeBacked()) {
            // the branch as snapd tracks it, never shortened the way `snap list` prints it
            assertThat(listed(listed, "kubelet")).returns(1, InstalledSnap::revision)
                    .returns("1.29/stable/hotfix", InstalledSnap::tracking)
                    .returns(Optional.empty(), InstalledSnap::hold);
            assertThat(listed(listed, "kubectl")).returns(2, InstalledSnap::revision)
                    .returns(CH, InstalledSnap::tracking);
        } else {
            // a local snap: revision x1 is -1 (local revisions count per snap), and it tracks no channel
            assertThat(listed(listed, "kubelet")).returns(-1, InstalledSnap::revision)
                    .returns("", InstalledSnap::tracking).returns(Optional.empty(), InstalledSnap::hold);
            assertThat(listed(listed, "kubectl")).returns(-1, InstalledSnap::revision);
        }
    }

    @Test
    void servicesListOnlySnapsWithServices() {
        fixture().install("kubelet", CH, 1);
        fixture().install("kubectl", CH, 1);

        List<SnapService> services = snaps().services();

        assertThat(services).filteredOn(s -> s.snap().equals("kubelet"))
                .containsExactly(new SnapService("kubelet", "daemon", true, true));
        // kubectl has none: it is absent, and asking for all services is no error because of it
        assertThat(services).noneMatch(s -> s.snap().equals("kubectl"));
    }

    // ---- the store ---------------------------------------------------------------------------------------

    @Test
    void refreshCandidatesListAnUpdateOnlyWhenThereIsOneEvenForSnapsHeldByRefreshHold() {
        assumeTrue(fixture().storeBacked(), "local snaps only: no store to ask");
        fixture().install("kubelet", CH, 1);
        fixture().install("kubectl", CH, 1);

        assertThat(testSnaps(snaps().refreshCandidates())).isEmpty();

        fixture().publish("kubelet", 2);
        assertThat(testSnaps(snaps().refreshCandidates()))
                .extracting(RefreshCandidate::name, RefreshCandidate::revision)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("kubelet", 2));

        // what an explicit refresh would get: refresh.hold only keeps snapd's own timer away
        snaps().setSystem("refresh.hold",
                Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(testSnaps(snaps().refreshCandidates())).extracting(RefreshCandidate::name)
                .containsExactly("kubelet");
    }

    // ---- changes -------------------------------------------------------------------------------------------

    @Test
    void aRefreshIsDoingWithTheNewRevisionListedFromLinkSnapUntilSnapdSaysDone() {
        fixture().install("kubelet", CH, 1);
        fixture().install("kubectl", CH, 1);
        fixture().holdServiceStarts("kubelet");

        String id = startSecondRevision("kubelet", false);

        // link-snap switched the revision, start-snap-services waits: the change is not done (between its tasks
        // snapd may show Do for a moment, not ready either)
        Change running = awaitChange(id, c -> revisionOf("kubelet") == revision(2) && c.status().equals("Doing"),
                "kubelet listed at its new revision");
        assertThat(running).returns(id, Change::id).returns(ownKind(), Change::kind).returns(false, Change::ready)
                .returns(Optional.empty(), Change::error);
        assertThat(snaps().changesInProgress("kubelet")).extracting(Change::id).containsExactly(id);
        assertThat(snaps().changesInProgress("kubectl")).isEmpty();
        // its services were stopped before link-snap and start only later
        assertThat(snaps().services()).filteredOn(s -> s.snap().equals("kubelet")).extracting(SnapService::active)
                .containsExactly(false);
        // await gives the state it last saw once the wait is over, not much later
        Instant before = Instant.now();
        assertThat(snaps().await(id, Duration.ofSeconds(1)).ready()).isFalse();
        assertThat(Duration.between(before, Instant.now())).isLessThan(Duration.ofSeconds(3));

        fixture().releaseServiceStarts("kubelet");
        Change done = awaitReady(id);

        assertThat(done).returns(ownKind(), Change::kind).returns("Done", Change::status).returns(true, Change::done)
                .returns(Optional.empty(), Change::error);
        InstalledSnap kubelet = listed(snaps().list(), "kubelet");
        assertThat(kubelet.revision()).isEqualTo(revision(2));
        if (fixture().storeBacked()) {
            assertThat(kubelet.tracking()).isEqualTo(CH);
        }
        assertThat(snaps().services()).filteredOn(s -> s.snap().equals("kubelet"))
                .containsExactly(new SnapService("kubelet", "daemon", true, true));
        assertThat(snaps().changesInProgress("kubelet")).isEmpty();
    }

    @Test
    void aRefreshWhoseServicesFailIsUndoneAfterLinkSnapAndFailsWithSnapdsWords() {
        fixture().install("kubelet", CH, 1);
        fixture().holdServiceStarts("kubelet"); // the new services fail at once; the old ones' restart waits here

        String id = startSecondRevision("kubelet", true);

        // on its way snapd shows Do, Doing and Undo too (tasks waiting for their turn): none of them is ready
        Change undoing = awaitChange(id, c -> c.status().equals("Undoing") || c.ready(), "the undo");
        assertThat(undoing).returns("Undoing", Change::status).returns(false, Change::ready);
        assertThat(snaps().changesInProgress("kubelet")).extracting(Change::id).containsExactly(id);
        fixture().releaseServiceStarts("kubelet");
        Change failed = awaitReady(id);

        assertThat(failed).returns("Error", Change::status).returns(true, Change::failed).returns(false, Change::done);
        String revision = fixture().storeBacked() ? "(2)" : "(unset)";
        assertThat(failed.error()).hasValueSatisfying(error -> assertThat(error)
                .startsWith("cannot perform the following tasks:\n- Start snap \"kubelet\" " + revision
                        + SERVICES_FAILED)
                .contains("Job for snap.kubelet.daemon.service failed because the control process exited with "
                        + "error code."));
        assertThat(revisionOf("kubelet")).isEqualTo(revision(1));
        assertThat(snaps().services()).filteredOn(s -> s.snap().equals("kubelet"))
                .containsExactly(new SnapService("kubelet", "daemon", true, true));
        assertThat(snaps().changesInProgress("kubelet")).isEmpty();
    }

    @Test
    void anotherChangeOfTheSnapWhileOneRunsIsAConflictAndOtherSnapsAreFree() {
        fixture().install("kubelet", CH, 1);
        fixture().install("kubectl", CH, 1);
        fixture().holdServiceStarts("kubelet");
        String id = startSecondRevision("kubelet", false);
        awaitThat(() -> revisionOf("kubelet") == revision(2), "kubelet listed at its new revision");
        String conflict = "snap \"kubelet\" has \"" + ownKind() + "\" change in progress";

        assertThat(failure(() -> snaps().startRevert("kubelet")))
                .isEqualTo(new SnapError.ChangeConflict("kubelet", conflict));
        if (fixture().storeBacked()) {
            assertThat(failure(() -> snaps().startRefresh("kubelet", CH, 2)))
                    .isEqualTo(new SnapError.ChangeConflict("kubelet", conflict));
            fixture().publish("kubectl", 2);
            awaitDone(snaps().startRefresh("kubectl", CH, 2));
        }

        fixture().releaseServiceStarts("kubelet");
        assertThat(awaitReady(id).done()).isTrue();
    }

    @Test
    void aChangeSnapdDoesNotKnowIsA404() {
        SnapError error = failure(() -> snaps().change("999999"));

        // what MachineReading takes for a change snapd pruned
        assertThat(error).isInstanceOfSatisfying(SnapError.Other.class,
                other -> assertThat(other.status()).isEqualTo(404));
    }

    @Test
    void aRefreshOfASnapNotInstalledOrOfALocalSnapIsRefused() {
        if (fixture().storeBacked()) {
            assertThat(failure(() -> snaps().startRefresh("kubelet", CH, 2)))
                    .isEqualTo(new SnapError.NotInstalled("kubelet"));
        } else {
            fixture().install("kubelet", CH, 1);
            assertThat(failure(() -> snaps().startRefresh("kubelet", CH, 2)))
                    .isEqualTo(new SnapError.Other(400, "snap-local", "cannot perform operation on local snap"));
        }
    }

    @Test
    void revertGoesBackToThePreviousRevisionAndWithoutOneThereIsNothingToRevertTo() {
        fixture().install("kubelet", CH, 1);
        // installed once, and not installed at all: snapd answers both the same way
        assertThat(failure(() -> snaps().startRevert("kubelet")))
                .isEqualTo(new SnapError.NoRevisionToRevert("kubelet"));
        assertThat(failure(() -> snaps().startRevert("kubectl")))
                .isEqualTo(new SnapError.NoRevisionToRevert("kubectl"));
        awaitDone(startSecondRevision("kubelet", false));
        assertThat(snaps().laterRevisions()).doesNotContainKey("kubelet");

        Change reverted = awaitDone(snaps().startRevert("kubelet"));

        assertThat(reverted.kind()).isEqualTo("revert-snap");
        InstalledSnap kubelet = listed(snaps().list(), "kubelet");
        assertThat(kubelet.revision()).isEqualTo(revision(1));
        // The revision reverted from stays in the sequence after the current one: what snapd's Block hides.
        assertThat(snaps().laterRevisions()).containsEntry("kubelet", List.of(revision(2)));
        if (fixture().storeBacked()) {
            assertThat(kubelet.tracking()).isEqualTo(CH);
        }
        assertThat(failure(() -> snaps().startRevert("kubelet")))
                .isEqualTo(new SnapError.NoRevisionToRevert("kubelet"));
    }

    // ---- configuration ---------------------------------------------------------------------------------------

    @Test
    void refreshHoldSetToADateThenEmptyThenUnset() {
        Instant until = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);

        snaps().setSystem("refresh.hold", until.toString());
        assertThat(snaps().getSystem("refresh.hold")).hasValue(until.toString());
        // system-info gives the hold in effect, to the minute
        assertThat(snaps().systemInfo().refreshHold()).hasValue(until.truncatedTo(ChronoUnit.MINUTES));

        snaps().setSystem("refresh.hold", "");
        assertThat(snaps().getSystem("refresh.hold")).hasValue("");
        assertThat(snaps().systemInfo().refreshHold()).isEmpty();

        snaps().unsetSystem("refresh.hold");
        assertThat(snaps().getSystem("refresh.hold")).isEmpty();
        assertThat(snaps().systemInfo().refreshHold()).isEmpty();
    }

    @Test
    void refreshHoldForeverHoldsFrom258AndIsRefusedBefore() {
        if (fixture().perSnapHolds()) {
            snaps().setSystem("refresh.hold", "forever");
            assertThat(snaps().getSystem("refresh.hold")).hasValue("forever");
            // shown as now plus the largest time.Duration, about 292 years
            assertThat(snaps().systemInfo().refreshHold()).hasValueSatisfying(hold ->
                    assertThat(hold).isAfter(Instant.now().plus(Duration.ofDays(365 * 200))));
            return;
        }
        SnapError refused = failure(() -> snaps().setSystem("refresh.hold", "forever"));

        // snapd's configure change failed: its error text, no HTTP status of its own
        assertThat(refused).isEqualTo(new SnapError.Other(0, "", "cannot perform the following tasks:\n"
                + "- Run configure hook of \"core\" snap (run hook \"configure\": refresh.hold cannot be parsed: "
                + "parsing time \"forever\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"forever\" as \"2006\")"));
        assertThat(snaps().getSystem("refresh.hold")).isEmpty();
    }

    @Test
    void refreshHoldBefore258HoldsNoLongerThan95DaysAfterTheLastRefreshOrSeeding() {
        Instant value = Instant.now().plus(Duration.ofDays(200)).truncatedTo(ChronoUnit.SECONDS);

        snaps().setSystem("refresh.hold", value.toString());

        Instant effective = snaps().systemInfo().refreshHold().orElseThrow();
        if (fixture().perSnapHolds()) {
            assertThat(effective).isEqualTo(value.truncatedTo(ChronoUnit.MINUTES));
        } else {
            // never auto-refreshed: the cap counts from seeding, which is recent here
            assertThat(effective).isBefore(value).isAfter(Instant.now())
                    .isBeforeOrEqualTo(Instant.now().plus(Duration.ofDays(95)));
        }
        assertThat(snaps().getSystem("refresh.hold")).hasValue(value.toString());
    }

    @Test
    void proxyStoreWithoutAMatchingStoreAssertionIsRefusedAndStaysUnset() {
        assertThat(failure(() -> snaps().setSystem("proxy.store", "abc")))
                .isEqualTo(new SnapError.NoMatchingStoreAssertion("abc"));
        assertThat(snaps().getSystem("proxy.store")).isEmpty();
    }

    // ---- holds, assertions -----------------------------------------------------------------------------------

    @Test
    void perSnapHoldsFrom258EvenWhileTheSnapChangesAndRefusedBefore() {
        fixture().install("kubelet", CH, 1);
        if (!fixture().perSnapHolds()) {
            assertThat(failure(() -> snaps().hold(List.of("kubelet"))))
                    .isEqualTo(new SnapError.Other(400, "", "unsupported multi-snap operation \"hold\""));
            assertThat(failure(() -> snaps().unhold(List.of("kubelet"))))
                    .isEqualTo(new SnapError.Other(400, "", "unsupported multi-snap operation \"unhold\""));
            return;
        }
        snaps().hold(List.of("kubelet"));
        // "forever" is now plus the largest time.Duration, about 292 years
        assertThat(listed(snaps().list(), "kubelet").hold()).hasValueSatisfying(until ->
                assertThat(until).isAfter(Instant.now().plus(Duration.ofDays(365 * 200))));

        snaps().unhold(List.of("kubelet"));
        assertThat(listed(snaps().list(), "kubelet").hold()).isEmpty();

        // one snap not installed refuses the whole request, without a kind
        assertThat(failure(() -> snaps().hold(List.of("kubelet", "nosuch")))).isEqualTo(new SnapError.Other(400, "",
                "cannot hold \"kubelet\", \"nosuch\": snap \"nosuch\" is not installed"));
        assertThat(listed(snaps().list(), "kubelet").hold()).isEmpty();

        fixture().holdServiceStarts("kubelet");
        String id = startSecondRevision("kubelet", false);
        awaitThat(() -> revisionOf("kubelet") == revision(2), "kubelet listed at its new revision");
        snaps().hold(List.of("kubelet"));
        assertThat(listed(snaps().list(), "kubelet").hold()).isPresent();
        fixture().releaseServiceStarts("kubelet");
        assertThat(awaitReady(id).done()).isTrue();
    }

    @Test
    void ackRejectsGarbageAndAnEmptyStreamAndNoStoreIsKnown() {
        assertThat(failure(() -> snaps().ack("<html>oops</html>\n".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(new SnapError.AssertionsRejected(
                        "cannot decode request body into assertions: unexpected EOF"));
        // snapd itself would acknowledge an empty stream silently: the charm must not take that for a registration
        assertThat(failure(() -> snaps().ack(new byte[0]))).isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(snaps().knownStores()).isEmpty();
    }

    // ---- the store unreachable -------------------------------------------------------------------------------

    /**
     * A store that refuses connections: snapd retries for about 32 s (store/store.go defaultRetryStrategy) and then
     * says why without an error kind. The charm gets {@link SnapError.StoreUnreachable} with snapd's words, a
     * transient error, within the client's store limit; nothing changed on the machine.
     */
    @Test
    void aStoreThatRefusesConnectionsIsUnreachableInSnapdsWordsWithinTheStoreLimit() throws Exception {
        assumeTrue(fixture().storeBacked(), "local snaps only: no store to lose");
        fixture().install("kubectl", CH, 1);
        fixture().publish("kubectl", 2);
        fixture().stopStore();

        Map<String, Runnable> calls = new LinkedHashMap<>();
        calls.put("refreshCandidates", () -> snaps().refreshCandidates());
        calls.put("startRefresh", () -> snaps().startRefresh("kubectl", CH, 2));
        Map<String, Timed> outcomes = timedAtOnce(calls);

        Duration limit = SnapdClient.Limits.DEFAULT.store();
        outcomes.forEach((call, outcome) -> {
            System.out.println("store refusing connections: " + call + " took " + outcome.took().toMillis() + " ms: "
                    + outcome.error());
            assertThat(outcome.error()).as(call).isInstanceOf(SnapError.StoreUnreachable.class);
            assertThat(outcome.error().isTransient()).isTrue();
            assertThat(outcome.took()).as(call).isLessThan(limit.plusSeconds(2));
        });
        assertThat(outcomes.get("refreshCandidates").error().describe())
                .startsWith("store unreachable: cannot list updates: ").endsWith("connect: connection refused");
        assertThat(outcomes.get("startRefresh").error().describe())
                .startsWith("store unreachable: cannot refresh \"kubectl\": ").endsWith("connect: connection refused");
        if (outcomes.containsKey("info")) {
            assertThat(outcomes.get("info").error().describe()).startsWith("store unreachable: Get \"")
                    .contains("/v2/snaps/info/kubectl?").endsWith("connect: connection refused");
        }
        assertThat(revisionOf("kubectl")).isEqualTo(1);
        assertThat(snaps().changesInProgress("kubectl")).isEmpty();
    }

    private record Timed(SnapError error, Duration took) {
    }

    /** Runs the calls at once where the implementation allows it (each waits for snapd's retries), else in turn. */
    private Map<String, Timed> timedAtOnce(Map<String, Runnable> calls) throws Exception {
        Map<String, Timed> outcomes = new LinkedHashMap<>();
        if (!fixture().concurrent()) {
            calls.forEach((name, call) -> outcomes.put(name, timed(call)));
            return outcomes;
        }
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            Map<String, Future<Timed>> running = new LinkedHashMap<>();
            calls.forEach((name, call) -> running.put(name, pool.submit(() -> timed(call))));
            for (Map.Entry<String, Future<Timed>> entry : running.entrySet()) {
                outcomes.put(entry.getKey(), entry.getValue().get());
            }
        } finally {
            pool.shutdownNow();
        }
        return outcomes;
    }

    private static Timed timed(Runnable call) {
        Instant start = Instant.now();
        SnapError error = failure(call);
        return new Timed(error, Duration.between(start, Instant.now()));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /** Store: refresh to revision 2 (published first). Local: revision 2's file as the next local revision. */
    private String startSecondRevision(String snap, boolean broken) {
        if (fixture().storeBacked()) {
            if (broken) {
                fixture().publishBroken(snap, 2);
            } else {
                fixture().publish(snap, 2);
            }
            return snaps().startRefresh(snap, CH, 2);
        }
        return fixture().sideload(snap, 2, broken);
    }

    /** The kind of the changes the test starts: refresh-snap, or install-snap for a local file. */
    private String ownKind() {
        return fixture().storeBacked() ? "refresh-snap" : "install-snap";
    }

    /** Revision n of a test snap as listed: n from the store, -n as a local snap (the n-th file sent). */
    private int revision(int n) {
        return fixture().storeBacked() ? n : -n;
    }

    private int revisionOf(String snap) {
        return listed(snaps().list(), snap).revision();
    }

    /** Lets snapd work and awaits the change until snapd says it is ready. */
    private Change awaitReady(String id) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (true) {
            fixture().letSnapdWork();
            Change change = snaps().await(id, Duration.ofSeconds(5));
            if (change.ready()) {
                return change;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("change " + id + " not ready after " + PATIENCE.toSeconds() + " s: " + change);
            }
        }
    }

    private Change awaitDone(String id) {
        Change change = awaitReady(id);
        assertThat(change.done()).as("change %s: %s", id, change).isTrue();
        return change;
    }

    /** Polls the change until it satisfies the condition, letting snapd work in between; returns what it saw. */
    private Change awaitChange(String id, Predicate<Change> condition, String what) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (true) {
            Change change = snaps().change(id);
            if (condition.test(change)) {
                return change;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not seen within " + PATIENCE.toSeconds() + " s: " + what + ": " + change);
            }
            letSnapdWork();
        }
    }

    /** Polls a condition, letting snapd work in between; fails after {@link #PATIENCE}. */
    private void awaitThat(BooleanSupplier condition, String what) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not seen within " + PATIENCE.toSeconds() + " s: " + what);
            }
            letSnapdWork();
        }
    }

    private void letSnapdWork() {
        fixture().letSnapdWork();
        try {
            Thread.sleep(20); // paces a poll with a deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static SnapError failure(Runnable call) {
        SnapException thrown = catchThrowableOfType(SnapException.class, call::run);
        assertThat(thrown).as("a SnapException").isNotNull();
        return thrown.error();
    }

    private static InstalledSnap listed(List<InstalledSnap> snaps, String name) {
        return snaps.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not listed: " + snaps));
    }

    private static List<RefreshCandidate> testSnaps(List<RefreshCandidate> candidates) {
        List<RefreshCandidate> ours = new ArrayList<>();
        for (RefreshCandidate candidate : candidates) {
            if (candidate.name().equals("kubelet") || candidate.name().equals("kubectl")) {
                ours.add(candidate);
            }
        }
        return ours;
    }

    /** The machine's architecture as dpkg names it (snapd's arch.DpkgArchitecture). */
    private static String dpkgArchitecture() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch;
        };
    }
}
