package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.Status;
import org.junit.jupiter.api.Test;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The window (no more than max-unavailable units of a tier refreshing at once, I2) when something moves under the
 * line: snapd's own timer moving a unit that was done, the operator lowering max-unavailable while units refresh.
 */
class RolloutWindowScenarioTest {
    private static final String CH = "1.29/stable";

    /**
     * snap-coherence/0 (leader) alone on the control plane, workers 1 and 2 (and 3 with {@code workers} 3), all on
     * kubectl 300; 301 is planned, the leader is through, the workers are granted in unit order.
     */
    private static Cluster workersGranted(int workers, int maxUnavailable) {
        Cluster c = new Cluster();
        c.config.put("max-unavailable", maxUnavailable);
        c.store.publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kubectl", CH, 300);
        for (int n = 1; n <= workers; n++) {
            c.add(n, Role.WORKER, "kubectl", CH, 300);
        }
        c.settle();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // plans; its own grant counts from its next hook
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // refreshes itself, grants workers
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.appData.get("grants")).startsWith("[\"snap-coherence/1\",\"snap-coherence/2\"");
        return c;
    }

    @Test
    void aUnitSnapdsTimerMovedAfterItWasDoneIsNotRefreshedAgainByThatPlan() {
        Cluster c = workersGranted(2, 1);
        c.config.put("hold", false); // the operator lets snapd's timer refresh the managed snaps
        Cluster.Member first = c.member(1);
        Cluster.Member second = c.member(2);
        c.hook(first, peerChanged()); // refreshes, reports done, releases its holds
        assertThat(first.machine.installedRevision("kubectl")).contains(301);
        assertThat(first.databag.get("progress")).contains("\"phase\":\"done\"");
        second.machine.changesTakeRounds(3);
        c.hook(second, peerChanged()); // reads the first's done report: its turn in the window
        assertThat(second.status.message()).startsWith("refreshing kubectl 301 (plan 1): snapd still at it");

        // Before the leader has read the first's done report (its grant still stands, at the head of the line),
        // snapd's timer moves it on.
        c.store.publishUpstream("kubectl", CH, 302);
        assertThat(first.machine.autoRefreshTick()).isNotEmpty();
        assertThat(first.machine.installedRevision("kubectl")).contains(302);
        c.hook(first, lifecycle(Event.LifecycleKind.UPDATE_STATUS));

        // Moving it back now would make two workers refresh at max-unavailable 1: it was done, and stays so for
        // plan 1; the next plan is made from what it runs.
        assertThat(first.machine.installedRevision("kubectl")).contains(302);
        assertThat(first.status.kind()).isEqualTo(Status.Kind.ACTIVE);
        assertThat(first.status.message()).startsWith("done for plan 1; kubectl is on 302 since");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appStatus.message()).contains("workers 1/2");

        second.machine.advanceChanges();
        second.machine.advanceChanges();
        second.machine.advanceChanges();
        second.machine.changesTakeRounds(0);
        c.hook(second, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.settle();
        // Plan 1 completed with it, and plan 2, made from what the units run now, takes every unit to 302.
        assertThat(c.appData.get("plan")).contains("\"id\":2");
        c.updateStatusEverywhere(); // the leader refreshes itself on a grant committed before its hook
        c.settle();
        assertThat(c.appStatus.message()).startsWith("up to date (plan 2)");
        for (int n = 0; n <= 2; n++) {
            assertThat(c.member(n).machine.installedRevision("kubectl")).as("unit " + n).contains(302);
        }
    }
}
