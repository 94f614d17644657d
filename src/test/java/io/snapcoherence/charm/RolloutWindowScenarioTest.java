package io.snapcoherence.charm;

import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.Status;
import io.snapcoherence.juju.HookToolException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The window (no more than max-unavailable units of a tier refreshing at once, I2) when something moves under the
 * line: snapd's own timer moving a unit that was done, the operator lowering max-unavailable while units refresh.
 */
class RolloutWindowScenarioTest {
    private static final String CH = "1.29/stable";

    @Test
    void aUnitSnapdsTimerMovedAfterItWasDoneIsNotRefreshedAgainByThatPlan() {
        Cluster c = Cluster.workersGranted(2, 1);
        c.config.put("hold", false); // the operator lets snapd's timer refresh the managed snaps
        Cluster.Member first = c.member(1);
        Cluster.Member second = c.member(2);
        c.hook(first, peerChanged()); // refreshes, reports done, releases its holds
        assertThat(first.machine.installedRevision("kubectl")).contains(301);
        assertThat(first.databag.get("progress")).contains("\"phase\":\"done\"");
        second.machine.changesTakeRounds(3);
        c.hook(second, peerChanged()); // reads the first's done report: its turn in the window
        assertThat(second.status.message()).startsWith("refreshing kubectl 301 (plan 1, attempt 1): snapd still at it");

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

    @Test
    void aUnitReportsTheRevisionSnapdsTimerIsMovingItToWhileTheChangeStillRuns() {
        Cluster c = Cluster.kubernetes(CH);
        c.config.put("hold", false); // the operator lets snapd's timer refresh the managed snaps
        c.updateStatusEverywhere(); // every unit releases its holds
        Cluster.Member controlPlane = c.member(1);
        assertThat(controlPlane.databag.get("installed")).contains("\"kubectl\":{\"channel\":\"" + CH
                + "\",\"revision\":300}");

        // snapd's timer moves the control-plane unit on; the change has linked the new revision and is still
        // running (services restarting) when the unit's next hook reads the machine.
        controlPlane.machine.changesTakeRounds(1, 3);
        c.store.publishUpstream("kubectl", CH, 302);
        controlPlane.machine.autoRefreshTick();
        for (int round = 0; round < 3 && !controlPlane.machine.installedRevision("kubectl").equals(Optional.of(302));
             round++) {
            controlPlane.machine.advanceChanges();
        }
        assertThat(controlPlane.machine.installedRevision("kubectl")).contains(302);
        assertThat(controlPlane.machine.changesRunning()).isTrue();
        c.hook(controlPlane, lifecycle(Event.LifecycleKind.UPDATE_STATUS));

        // Its report no longer says 300: a plan to 300 made now (what a proxy it is off serves) would count it done
        // by its revisions, never grant it, and open the worker tier over it (seed 269195).
        assertThat(controlPlane.databag.get("installed")).contains("\"kubectl\":{\"channel\":\"" + CH
                + "\",\"revision\":302}");
        assertThat(controlPlane.machine.changesRunning()).isTrue();
    }

    @Test
    void maxUnavailableLoweredWhileUnitsRefreshComesIntoForceOnceItCanBeKept() {
        Cluster c = Cluster.workersGranted(4, 2);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\","
                + "\"snap-coherence/3\",\"snap-coherence/4\"]");
        assertThat(c.appData.get("window")).isEqualTo("2");
        for (int n = 1; n <= 4; n++) {
            c.member(n).machine.changesTakeRounds(3);
        }
        // The second worker starts (one unit ahead of it not done, max-unavailable 2); the first has not run yet.
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).machine.changesRunning()).isTrue();

        // The operator lowers max-unavailable to 1. Whether a unit granted later has started is in no databag the
        // first worker can read in time: it may still start beside the second (it counts only the units granted
        // before it), so the leader keeps 2 in force until no more than 1 granted worker is not done, granting one
        // batch of the new value at a time meanwhile.
        c.config.put("max-unavailable", 1);
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
        assertThat(c.appData.get("window")).isEqualTo("2");
        assertThat(c.appStatus.message()).contains("max-unavailable 1 takes effect once no more than 1 granted "
                + "units of a tier are not done (2 in force until then): one batch granted at a time meanwhile");
        c.hook(c.member(1), peerChanged());
        assertThat(c.member(1).machine.changesRunning()).isTrue(); // two refreshing: the 2 in force
        // Units that have not started keep to the new value: the third waits for both, the fourth too.
        c.hook(c.member(3), peerChanged());
        c.hook(c.member(4), peerChanged());
        assertThat(c.member(3).machine.changesRunning()).isFalse();
        assertThat(c.member(4).machine.changesRunning()).isFalse();
        assertThat(c.member(3).status.message()).isEqualTo("granted for plan 1 in line: 2 units ahead not done yet");

        finish(c, c.member(1));
        finish(c, c.member(2));
        c.hook(c.member(0), peerChanged());
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("window")).isEqualTo("2"); // the third and fourth are granted, not done
        c.hook(c.member(3), peerChanged());
        c.hook(c.member(4), peerChanged());
        assertThat(c.member(3).machine.changesRunning()).isTrue();
        assertThat(c.member(4).machine.changesRunning()).isFalse();

        finish(c, c.member(3));
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("window")).isEqualTo("1"); // one granted worker not done: 1 can be kept now
        assertThat(c.appStatus.message()).doesNotContain("takes effect");
    }

    /** snapd finishes the member's changes; its next hook verifies and reports done. */
    private static void finish(Cluster c, Cluster.Member m) {
        while (m.machine.changesRunning()) {
            m.machine.advanceChanges();
        }
        c.hook(m, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(m.databag.get("progress")).contains("\"phase\":\"done\"");
    }

    @Test
    void aWorkerWhoseGoalStateCallFailsWaitsSayingWhyAndStartsOnceItAnswers() {
        Cluster c = Cluster.workersGranted(2, 1);
        Cluster.Member worker = c.member(1);
        // goal-state is asked only by a worker about to start; the controller does not answer it this time.
        worker.goalStateFails = Optional.of(new HookToolException("goal-state", List.of("--format=json"), 1,
                "ERROR connection is shut down"));
        c.hook(worker, peerChanged());
        assertThat(worker.machine.installedRevision("kubectl")).contains(300);
        assertThat(worker.machine.calls()).noneMatch(call -> call.startsWith("snap refresh kubectl --channel"));
        assertThat(worker.status.kind()).isEqualTo(Status.Kind.WAITING);
        assertThat(worker.status.message()).startsWith("granted for plan 1; cannot read goal-state (")
                .contains("connection is shut down").endsWith("); trying again on the next hook");

        worker.goalStateFails = Optional.empty();
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.machine.installedRevision("kubectl")).contains(301);
    }
}
