package io.snapcoherence.sim;

import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimulatedMachineTest {
    private final SimulatedStore store = new SimulatedStore("store123")
            .publish("kubelet", "1.29/stable", 1342).publish("kubectl", "1.29/stable", 500);
    private final SimulatedMachine machine = new SimulatedMachine("m0", store).install("kubelet", "1.29/stable", 1342);

    @Test
    void proxyStoreNeedsAMatchingAcknowledgedStoreAssertion() {
        assertThatThrownBy(() -> machine.setSystem("proxy.store", "store123"))
                .isInstanceOfSatisfying(SnapException.class, e ->
                        assertThat(e.error()).isEqualTo(new SnapError.NoMatchingStoreAssertion("store123")));
        machine.ack(store.assertions());
        machine.setSystem("proxy.store", "store123");
        assertThat(machine.getSystem("proxy.store")).contains("store123");
        machine.unsetSystem("proxy.store");
        assertThat(machine.getSystem("proxy.store")).isEmpty();
    }

    @Test
    void ackTakesAnEmptyStreamSilentlyButRefusesGarbage() {
        machine.ack(new byte[0]);
        assertThat(machine.knownStores()).isEmpty();
        assertThatThrownBy(() -> machine.ack("<html>oops</html>".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SnapException.class, e ->
                        assertThat(e.error()).isInstanceOf(SnapError.AssertionsRejected.class));
    }

    @Test
    void refreshToAnOlderRevisionAndRevertAreRecorded() {
        store.publish("kubelet", "1.29/stable", 1350).publish("kubelet", "1.29/stable", 1300);
        assertThat(machine.change(machine.startRefresh("kubelet", "1.29/stable", 1300)).done()).isTrue();
        assertThat(machine.change(machine.startRevert("kubelet")).done()).isTrue();
        assertThat(machine.installedRevision("kubelet")).contains(1342);
        assertThat(machine.history()).extracting(RefreshEvent::toRevision, RefreshEvent::cause)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1300, RefreshEvent.Cause.REFRESH),
                        org.assertj.core.groups.Tuple.tuple(1342, RefreshEvent.Cause.REVERT));
    }

    @Test
    void refreshOfASnapNotInstalledAndInjectedFailuresAreTyped() {
        assertThatThrownBy(() -> machine.startRefresh("kubectl", "1.29/stable", 500))
                .isInstanceOfSatisfying(SnapException.class, e ->
                        assertThat(e.error()).isEqualTo(new SnapError.NotInstalled("kubectl")));
        store.publish("kubelet", "1.29/stable", 1350);
        machine.failRefresh("kubelet", "error: cannot perform the following tasks", false);
        assertThatThrownBy(() -> machine.startRefresh("kubelet", "1.29/stable", 1350))
                .isInstanceOf(SnapException.class);
        machine.startRefresh("kubelet", "1.29/stable", 1350);
        assertThat(machine.installedRevision("kubelet")).contains(1350);
    }

    @Test
    void aChangeOutlastingTheCallGoesOnAndRefusesAnotherUntilItEnds() {
        store.publish("kubelet", "1.29/stable", 1350);
        machine.changesTakeRounds(2);
        String id = machine.startRefresh("kubelet", "1.29/stable", 1350);
        assertThat(machine.change(id).ready()).isFalse();
        assertThat(machine.installedRevision("kubelet")).contains(1342);
        for (Runnable again : List.<Runnable>of(() -> machine.startRevert("kubelet"),
                () -> machine.startRefresh("kubelet", "1.29/stable", 1350))) {
            assertThatThrownBy(again::run).isInstanceOfSatisfying(SnapException.class, e ->
                    assertThat(e.error()).isEqualTo(new SnapError.ChangeConflict("kubelet",
                            "snap \"kubelet\" has \"refresh-snap\" change in progress")));
        }
        assertThat(machine.autoRefreshTick()).isEmpty(); // snapd's timer leaves a snap with a change running
        assertThat(machine.advanceChanges()).isEmpty();
        assertThat(machine.advanceChanges()).extracting(RefreshEvent::toRevision).containsExactly(1350);
        assertThat(machine.installedRevision("kubelet")).contains(1350);
        assertThat(machine.changesRunning()).isFalse();
        assertThat(machine.change(id).done()).isTrue();
    }

    @Test
    void snapdTimerRefreshesOnlyWhatIsNotHeld() {
        store.publish("kubelet", "1.29/stable", 1350);
        machine.hold(List.of("kubelet"));
        assertThat(machine.autoRefreshTick()).isEmpty();
        machine.unhold(List.of("kubelet"));
        assertThat(machine.autoRefreshTick()).extracting(RefreshEvent::cause).containsExactly(RefreshEvent.Cause.AUTO);
    }

    @Test
    void oldSnapdHasOnlyTheSystemWideHold() {
        SimulatedMachine old = new SimulatedMachine("m1", store).withVersion("2.57.6").install("kubelet", "1.29/stable", 1342);
        assertThat(old.systemInfo().perSnapHolds()).isFalse();
        assertThatThrownBy(() -> old.hold(List.of("kubelet"))).isInstanceOfSatisfying(SnapException.class, e ->
                assertThat(e.error()).isEqualTo(new SnapError.Other(400, "", "unsupported multi-snap operation \"hold\"")));
        old.setSystem("refresh.hold", "2027-02-20T00:00:00Z");
        assertThat(old.isHeld("kubelet")).isTrue();
        assertThat(old.systemInfo().refreshHold()).contains(java.time.Instant.parse("2027-02-20T00:00:00Z"));
        old.unsetSystem("refresh.hold");
        assertThat(old.isHeld("kubelet")).isFalse();
    }

    @Test
    void storeOutageIsTransient() {
        store.setOutage(true);
        assertThatThrownBy(() -> machine.info(List.of("kubelet")))
                .isInstanceOfSatisfying(SnapException.class, e -> assertThat(e.error().isTransient()).isTrue());
    }
}
