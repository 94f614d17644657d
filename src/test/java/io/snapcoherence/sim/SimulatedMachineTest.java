package io.snapcoherence.sim;

import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.StoreAssertion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.groups.Tuple.tuple;

/** The simulated snapd follows what snapd's source and the observed real snapd say (see SimulatedMachine). */
class SimulatedMachineTest {
    private static final String CH = "1.29/stable";
    private Instant now = Instant.parse("2026-11-25T10:00:00Z");
    private final SimulatedStore store = new SimulatedStore("store123")
            .publish("kubelet", CH, 1342).publish("kubectl", CH, 500);
    private final SimulatedMachine machine = new SimulatedMachine("m0", store).install("kubelet", CH, 1342)
            .useClock(() -> now);

    private static SnapError failure(Runnable call) {
        return catchThrowableOfType(call::run, SnapException.class).error();
    }

    @Test
    void aSnapWithoutServicesHasNoneToBreak() {
        machine.install("kubectl", CH, 500);
        machine.breakServices("kubectl");
        machine.breakServices("kubelet");
        // snapd lists services only for snaps that have them: kubectl has none, so nothing of it can be broken.
        assertThat(machine.services()).extracting(s -> s.snap()).containsExactly("kubelet");
        assertThat(machine.servicesBroken(List.of("kubectl"))).isFalse();
        assertThat(machine.servicesBroken(List.of("kubectl", "kubelet"))).isTrue();
    }

    @Test
    void proxyStoreNeedsAnAcknowledgedStoreAssertionWithAUrl() {
        assertThat(failure(() -> machine.setSystem("proxy.store", "store123")))
                .isEqualTo(new SnapError.NoMatchingStoreAssertion("store123"));
        String withoutUrl = new String(SimulatedStore.assertionsFor("nourl"), StandardCharsets.UTF_8)
                .replace("url: " + SimulatedStore.DEFAULT_URL + "\n", "");
        machine.ack(withoutUrl.getBytes(StandardCharsets.UTF_8));
        assertThat(failure(() -> machine.setSystem("proxy.store", "nourl")))
                .isEqualTo(new SnapError.StoreAssertionWithoutUrl("nourl"));

        machine.ack(store.assertions());
        assertThat(machine.knownStores()).contains(new StoreAssertion("store123", Optional.of(store.url())));
        machine.setSystem("proxy.store", "store123");
        assertThat(machine.getSystem("proxy.store")).contains("store123");
        machine.unsetSystem("proxy.store");
        assertThat(machine.getSystem("proxy.store")).isEmpty();
    }

    @Test
    void aStoreAssertionSnapdAlreadyHoldsIsKeptWhateverANewCopySays() {
        machine.ack(SimulatedStore.assertionsFor("store123", "http://old-proxy.internal"));
        machine.ack(store.assertions());
        assertThat(machine.knownStores()).containsExactly(new StoreAssertion("store123",
                Optional.of("http://old-proxy.internal")));
    }

    @Test
    void aChangeCanRunLongAfterLinkSnap() {
        store.publish("kubelet", CH, 1350);
        machine.changesTakeRounds(1, 3);
        String id = machine.startRefresh("kubelet", CH, 1350);
        machine.advanceChanges();
        assertThat(machine.installedRevision("kubelet")).contains(1350);
        machine.advanceChanges();
        machine.advanceChanges();
        assertThat(machine.change(id).ready()).isFalse();
        machine.advanceChanges();
        assertThat(machine.change(id).done()).isTrue();
    }

    @Test
    void aLostAnswerLeavesTheChangeSnapdStarted() {
        store.publish("kubelet", CH, 1350);
        machine.noAnswerTo("snap refresh kubelet");
        assertThat(failure(() -> machine.startRefresh("kubelet", CH, 1350))).isInstanceOf(SnapError.Timeout.class);
        assertThat(machine.installedRevision("kubelet")).contains(1350);
        machine.garbledAnswerTo("snap list");
        assertThat(failure(machine::list)).isInstanceOf(SnapError.BadResponse.class);
        assertThat(machine.list()).hasSize(1);
    }

    @Test
    void aLostAnswerToSnapSetComesAfterTheConfigureChangeRan() {
        machine.ack(store.assertions());
        machine.noAnswerTo("snap set system proxy.store");
        assertThat(failure(() -> machine.setSystem("proxy.store", "store123"))).isInstanceOf(SnapError.Timeout.class);
        assertThat(machine.getSystem("proxy.store")).contains("store123");

        machine.garbledAnswerTo("snap unset system proxy.store");
        assertThat(failure(() -> machine.unsetSystem("proxy.store"))).isInstanceOf(SnapError.BadResponse.class);
        assertThat(machine.getSystem("proxy.store")).isEmpty();

        machine.noAnswerTo("snap set system proxy.store");
        assertThat(failure(() -> machine.setSystem("proxy.store", "unknown-store")))
                .as("the client sees no answer, not the change's error").isInstanceOf(SnapError.Timeout.class);
        assertThat(machine.getSystem("proxy.store")).as("a failed configure change keeps nothing").isEmpty();
    }

    @Test
    void ackRefusesGarbageAndAnEmptyStreamAsTheClientDoes() {
        assertThat(failure(() -> machine.ack(new byte[0]))).isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(machine.knownStores()).isEmpty();
        assertThat(failure(() -> machine.ack("<html>oops</html>".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(SnapError.AssertionsRejected.class);
    }

    @Test
    void aRefreshIsAChangeDoneWithinTheRequestWhenSnapdIsQuick() {
        store.publish("kubelet", CH, 1350);
        String id = machine.startRefresh("kubelet", CH, 1350);
        assertThat(machine.change(id)).isEqualTo(new Change(id, "refresh-snap", "Done", true, Optional.empty()));
        assertThat(machine.installedRevision("kubelet")).contains(1350);

        String back = machine.startRevert("kubelet");
        assertThat(machine.change(back).kind()).isEqualTo("revert-snap");
        assertThat(machine.installedRevision("kubelet")).contains(1342);
        assertThat(machine.history()).extracting(RefreshEvent::toRevision, RefreshEvent::cause)
                .containsExactly(tuple(1350, RefreshEvent.Cause.REFRESH), tuple(1342, RefreshEvent.Cause.REVERT));
        assertThat(failure(() -> machine.startRevert("kubelet"))).isEqualTo(new SnapError.NoRevisionToRevert("kubelet"));
    }

    @Test
    void aSlowChangeShowsTheNewRevisionFromLinkSnapWhileItIsStillDoing() {
        store.publish("kubelet", CH, 1350);
        machine.changesTakeRounds(2);
        String id = machine.startRefresh("kubelet", CH, 1350);
        assertThat(machine.change(id).status()).isEqualTo("Doing");
        assertThat(machine.installedRevision("kubelet")).contains(1342);

        machine.advanceChanges(); // link-snap
        assertThat(machine.installedRevision("kubelet")).contains(1350);
        assertThat(machine.change(id).ready()).isFalse();
        assertThat(machine.changeInProgress("kubelet")).isTrue();
        assertThat(machine.changesInProgress("kubelet")).extracting(Change::id).containsExactly(id);

        machine.advanceChanges();
        assertThat(machine.change(id).done()).isTrue();
        assertThat(machine.changesRunning()).isFalse();
        assertThat(machine.changesInProgress("kubelet")).isEmpty();
    }

    @Test
    void aChangeOfASnapRefusesAnotherRequestForItButNotForOtherSnaps() {
        store.publish("kubelet", CH, 1350);
        machine.install("kubectl", CH, 500).changesTakeRounds(3);
        machine.startRefresh("kubelet", CH, 1350);
        for (Runnable again : List.<Runnable>of(() -> machine.startRevert("kubelet"),
                () -> machine.startRefresh("kubelet", CH, 1350))) {
            assertThat(failure(again)).isEqualTo(new SnapError.ChangeConflict("kubelet",
                    "snap \"kubelet\" has \"refresh-snap\" change in progress"));
        }
        store.publish("kubectl", CH, 501);
        assertThat(machine.change(machine.startRefresh("kubectl", CH, 501)).ready()).isFalse();
        assertThat(machine.autoRefreshTick()).isEmpty(); // snapd's timer leaves snaps with a change running
    }

    @Test
    void someoneElsesChangeOfASnapConflictsForItsDuration() {
        store.publish("kubelet", CH, 1350);
        String id = machine.startOtherChange("kubelet", "configure-snap", 1);
        SnapError busy = failure(() -> machine.startRefresh("kubelet", CH, 1350));
        assertThat(busy).isEqualTo(new SnapError.ChangeConflict("kubelet",
                "snap \"kubelet\" has \"configure-snap\" change in progress"));
        assertThat(busy.isTransient()).isTrue();
        assertThat(machine.changesInProgress("kubelet")).extracting(Change::kind).containsExactly("configure-snap");
        assertThat(machine.changeInProgress("kubelet")).isFalse(); // it moves no revision
        machine.advanceChanges();
        assertThat(machine.change(id).done()).isTrue();
        machine.startRefresh("kubelet", CH, 1350);
        assertThat(machine.installedRevision("kubelet")).contains(1350);
    }

    @Test
    void aChangeFailingBeforeLinkSnapEndsInErrorWithSnapdsTextAndChangesNothing() {
        store.publish("kubelet", CH, 1350);
        machine.failRefresh("kubelet", "download failed", false);
        Change failed = machine.change(machine.startRefresh("kubelet", CH, 1350));
        assertThat(failed.status()).isEqualTo("Error");
        assertThat(failed.failed()).isTrue();
        assertThat(failed.error()).hasValue("cannot perform the following tasks:\n- Download snap \"kubelet\" (1350) "
                + "from channel \"1.29/stable\" (download failed)");
        assertThat(machine.history()).isEmpty();
        assertThat(machine.change(machine.startRefresh("kubelet", CH, 1350)).done()).isTrue(); // once only
    }

    @Test
    void aChangeFailingAfterLinkSnapIsUndoneBackToTheOldRevision() {
        store.publish("kubelet", CH, 1350);
        machine.changesTakeRounds(2).failAfterLink("kubelet", "[start snap.kubelet.daemon.service] failed");
        String id = machine.startRefresh("kubelet", CH, 1350);
        machine.advanceChanges();
        assertThat(machine.installedRevision("kubelet")).contains(1350); // linked, still Doing
        assertThat(machine.change(id).status()).isEqualTo("Doing");
        machine.advanceChanges();
        assertThat(machine.installedRevision("kubelet")).contains(1342);
        assertThat(machine.change(id).status()).isEqualTo("Error");
        assertThat(machine.change(id).error()).hasValue("cannot perform the following tasks:\n- Start snap "
                + "\"kubelet\" (1350) services ([start snap.kubelet.daemon.service] failed)");
        assertThat(machine.history()).extracting(RefreshEvent::toRevision, RefreshEvent::cause)
                .containsExactly(tuple(1350, RefreshEvent.Cause.REFRESH), tuple(1342, RefreshEvent.Cause.UNDO));
        assertThat(failure(() -> machine.startRevert("kubelet"))).isEqualTo(new SnapError.NoRevisionToRevert("kubelet"));
    }

    @Test
    void aDownloadEndingWhileTheStoreIsUnreachableFailsTheChange() {
        store.publish("kubelet", CH, 1350);
        machine.changesTakeRounds(2);
        String id = machine.startRefresh("kubelet", CH, 1350);
        store.setOutage(true);
        machine.advanceChanges();
        assertThat(machine.change(id).error()).hasValueSatisfying(e -> assertThat(e).contains("persistent network error"));
        assertThat(failure(() -> machine.startRefresh("kubelet", CH, 1350))).isEqualTo(new SnapError.StoreUnreachable(
                "cannot refresh \"kubelet\": Post \"https://api.snapcraft.io/v2/snaps/refresh\": "
                        + "dial tcp api.snapcraft.io:443: connect: connection refused"));
    }

    @Test
    void refreshingToTheRevisionInstalledIsAChangeToo() {
        Change change = machine.change(machine.startRefresh("kubelet", CH, 1342));
        assertThat(change.kind()).isEqualTo("refresh-snap");
        assertThat(machine.history()).extracting(RefreshEvent::fromRevision, RefreshEvent::toRevision)
                .containsExactly(tuple(1342, 1342));
    }

    @Test
    void requestsAboutUnknownThingsAreTyped() {
        assertThat(failure(() -> machine.startRefresh("kubectl", CH, 500))).isEqualTo(new SnapError.NotInstalled("kubectl"));
        assertThat(failure(() -> machine.startRefresh("kubelet", CH, 999)))
                .isInstanceOf(SnapError.RevisionNotAvailable.class);
        assertThat(failure(() -> machine.change("77"))).isInstanceOfSatisfying(SnapError.Other.class,
                other -> assertThat(other.status()).isEqualTo(404));
    }

    @Test
    void servicesListEverySnapThatHasSomeAndNoneForCliOnlySnaps() {
        machine.install("kubectl", CH, 500);
        assertThat(machine.services()).containsExactly(new SnapService("kubelet", "daemon", true, true));
        store.publish("kubelet", CH, 1350);
        machine.breakServicesAfterRefresh("kubelet");
        machine.startRefresh("kubelet", CH, 1350);
        assertThat(machine.services()).containsExactly(new SnapService("kubelet", "daemon", true, false));
    }

    @Test
    void snapdsTimerIsOneAutoRefreshChangeOfWhatIsNotHeld() {
        store.publish("kubelet", CH, 1350);
        machine.hold(List.of("kubelet"));
        assertThat(machine.installedSnaps().get(0).hold()).hasValueSatisfying(until -> assertThat(until)
                .isAfter(now.plus(Duration.ofDays(365 * 100))));
        assertThat(machine.autoRefreshTick()).isEmpty();
        machine.unhold(List.of("kubelet"));
        assertThat(machine.autoRefreshTick()).extracting(RefreshEvent::cause).containsExactly(RefreshEvent.Cause.AUTO);
        assertThat(machine.systemInfo().lastRefresh()).contains(now);
    }

    @Test
    void snapdsOwnAutoRefreshOfAnUnheldSnapConflictsWithARefreshWhileItRuns() {
        store.publish("kubelet", CH, 1350);
        machine.changesTakeRounds(2);
        machine.autoRefreshTick();
        assertThat(failure(() -> machine.startRefresh("kubelet", CH, 1350))).isEqualTo(new SnapError.ChangeConflict(
                "kubelet", "snap \"kubelet\" has \"auto-refresh\" change in progress"));
        assertThat(machine.changesInProgress("kubelet")).extracting(Change::kind).containsExactly("auto-refresh");
        machine.advanceChanges();
        machine.advanceChanges();
        assertThat(machine.installedRevision("kubelet")).contains(1350);
        assertThat(machine.changesInProgress("kubelet")).isEmpty();
    }

    @Test
    void beforeSnapd258TheSystemHoldEndsAtTheLastRefreshPlus95DaysAndThenLapses() {
        SimulatedMachine old = new SimulatedMachine("m1", store).withVersion("2.57.6").install("kubelet", CH, 1342)
                .useClock(() -> now).withLastRefresh(now.minus(Duration.ofDays(90)));
        assertThat(failure(() -> old.hold(List.of("kubelet")))).isInstanceOf(SnapError.Other.class);
        assertThat(failure(() -> old.setSystem("refresh.hold", "forever"))).isInstanceOf(SnapError.Other.class);
        old.setSystem("refresh.hold", now.plus(Duration.ofDays(60)).toString());
        // Effective: the earlier of the value and last refresh + 95 days; renewing the value changes nothing.
        assertThat(old.systemInfo().refreshHold()).contains(now.plus(Duration.ofDays(5)));
        old.setSystem("refresh.hold", now.plus(Duration.ofDays(80)).toString());
        assertThat(old.systemInfo().refreshHold()).contains(now.plus(Duration.ofDays(5)));

        store.publish("kubelet", CH, 1350);
        assertThat(old.autoRefreshTick()).isEmpty();
        now = now.plus(Duration.ofDays(6));
        assertThat(old.isHeld("kubelet")).isFalse();
        assertThat(old.autoRefreshTick()).extracting(RefreshEvent::toRevision).containsExactly(1350);
        assertThat(old.autoRefreshAfterLapse()).isTrue();
        assertThat(old.getSystem("refresh.hold")).isEmpty(); // snapd cleared the lapsed hold
        assertThat(old.systemInfo().lastRefresh()).contains(now);
    }

    @Test
    void aMachineOffTheProxySeesTheUpstreamStore() {
        store.override("kubelet", CH, 1300).publishUpstream("kubelet", CH, 1400);
        assertThat(machine.refreshCandidates()).extracting(c -> c.revision()).containsExactly(1400);
        machine.ack(store.assertions());
        machine.setSystem("proxy.store", "store123");
        assertThat(machine.storeView()).isEqualTo(SimulatedStore.View.PROXY);
        assertThat(machine.refreshCandidates()).extracting(c -> c.revision()).containsExactly(1300);
        machine.jujuAgentRestart(); // the machine agent sets proxy.store to the model's value: none
        assertThat(machine.getSystem("proxy.store")).contains("");
        assertThat(machine.storeView()).isEqualTo(SimulatedStore.View.UPSTREAM);
    }

    @Test
    void snapdAutoRefreshingItselfRestartsAndRefusesRequestsMeanwhile() {
        machine.install("snapd", "latest/stable", 21759);
        machine.autoRefreshSnapd(1);
        assertThat(machine.changeInProgress("snapd")).isTrue();
        store.publish("kubelet", CH, 1350);
        machine.startRefresh("kubelet", CH, 1350); // no conflict: another snap
        machine.advanceChanges();
        assertThat(failure(machine::list)).isInstanceOf(SnapError.SnapdUnavailable.class);
        machine.advanceChanges();
        assertThat(machine.list()).extracting(s -> s.revision()).contains(21760);
    }

    @Test
    void storeOutageIsTransient() {
        store.setOutage(true);
        assertThatThrownBy(machine::refreshCandidates)
                .isInstanceOfSatisfying(SnapException.class, e -> assertThat(e.error().isTransient()).isTrue());
    }
}
