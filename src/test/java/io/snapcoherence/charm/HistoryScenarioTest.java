package io.snapcoherence.charm;

import io.snapcoherence.coherence.PlanHistory;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code history} action across units: the leader's plans (app databag) with their outcomes, each unit's own
 * attempts with snapd's change ids (its unit store), across a halt, a resume, a replaced plan and a leader change,
 * and the bounds.
 */
class HistoryScenarioTest {
    private static final String CH = "1.29/stable";

    private static Cluster kubernetes() {
        return Cluster.kubernetes(CH);
    }

    private static Map<String, String> history(Cluster c, int unit, Map<String, Object> params) {
        ModelState out = c.action(c.member(unit), "history", params);
        assertThat(out.action().failure()).isEmpty();
        return out.action().results();
    }

    @Test
    void aCompletePlanAndEachUnitsAttemptWithSnapdsChangeIds() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.settle();

        Map<String, String> leader = history(c, 0, Map.of());
        assertThat(leader).containsEntry("unit", "snap-coherence/0").containsEntry("plans.current", "1")
                .containsEntry("plans.1.outcome", "complete").containsEntry("attempts.plan", "1")
                .containsEntry("attempts.1.outcome", "done").containsKeys("plans.1.started", "plans.1.ended",
                        "attempts.1.since", "attempts.1.started", "attempts.1.ended");
        assertThat(leader.get("plans.1.targets")).isEqualTo("1.29/stable amd64: kubectl=301");
        assertThat(leader.get("plans.1.ended")).isGreaterThanOrEqualTo(leader.get("plans.1.started"));
        // The change id is snapd's: that machine's snapd knows it as the refresh of kubectl, done.
        assertThat(leader.get("attempts.1.changes")).matches("kubectl=\\S+");
        io.snapcoherence.snap.Change change = c.member(0).machine.change(leader.get("attempts.1.changes")
                .substring("kubectl=".length()));
        assertThat(change.kind()).isEqualTo("refresh-snap");
        assertThat(change.done()).isTrue();

        Map<String, String> worker = history(c, 3, Map.of());
        assertThat(worker).containsEntry("unit", "snap-coherence/3").containsEntry("attempts.1.outcome", "done")
                .containsEntry("plans", "kept by the leader: juju run snap-coherence/leader history")
                .doesNotContainKey("plans.1.outcome");
        assertThat(worker.get("attempts.1.changes")).matches("kubectl=\\S+");
    }

    @Test
    void aHaltNamesTheUnitAndSurvivesALeaderChangeAndTheResumeIsASecondAttempt() {
        Cluster c = kubernetes();
        c.member(2).machine.failRefresh("kubelet", "download failed", false);
        c.store.publish("kubelet", CH, 201);
        c.settle();

        assertThat(history(c, 0, Map.of()).get("plans.1.outcome"))
                .startsWith("halted by snap-coherence/2: kubelet 201 failed (plan 1): cannot perform the following");
        assertThat(history(c, 2, Map.of()).get("attempts.1.outcome"))
                .startsWith("failed: kubelet 201: cannot perform the following tasks");

        // Leadership moves: the new leader has the plans from the app databag; the old one points to it.
        c.leader = "snap-coherence/3";
        c.hook(c.member(3), Cluster.lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        Map<String, String> newLeader = history(c, 3, Map.of());
        assertThat(newLeader.get("plans.1.outcome")).startsWith("halted by snap-coherence/2: kubelet 201 failed");
        assertThat(newLeader).containsKey("plans.1.ended");
        assertThat(history(c, 0, Map.of())).containsEntry("plans",
                "kept by the leader: juju run snap-coherence/leader history");

        c.action(c.member(3), "resume", Map.of());
        c.settle();
        Map<String, String> after = history(c, 3, Map.of());
        assertThat(after.get("plans.1.outcome")).startsWith("complete (attempt 2; halted before by snap-coherence/2:");
        Map<String, String> failedUnit = history(c, 2, Map.of("plan", 1));
        assertThat(failedUnit.get("attempts.1.outcome")).startsWith("failed: kubelet 201");
        assertThat(failedUnit).containsEntry("attempts.2.outcome", "done");
        assertThat(failedUnit.get("attempts.2.changes")).matches("kubelet=\\S+");
    }

    @Test
    void aPlanReplacedByRefreshIsSupersededByTheNext() {
        Cluster c = kubernetes();
        c.member(2).machine.failRefresh("kubelet", "error: cannot refresh \"kubelet\": revision 201 is broken", true);
        c.store.publish("kubelet", CH, 201);
        c.settle();
        c.store.publish("kubelet", CH, 202);
        c.member(2).machine.clearRefreshFault("kubelet");
        c.action(c.member(0), "refresh", Map.of());
        c.askedAnswer();
        c.hook(c.member(0), peerChanged());
        c.settle();

        Map<String, String> leader = history(c, 0, Map.of());
        assertThat(leader.get("plans.1.outcome")).startsWith("superseded by plan 2 (halted by snap-coherence/2:");
        assertThat(leader).containsKey("plans.1.ended").containsEntry("plans.2.outcome", "complete")
                .containsEntry("plans.current", "2");
        assertThat(leader.get("plans.2.targets")).contains("kubelet=202");
        // The failed unit's attempts at the replaced plan are still there when named.
        assertThat(history(c, 2, Map.of("plan", 1)).get("attempts.1.outcome")).startsWith("failed: kubelet 201");
        assertThat(history(c, 2, Map.of())).containsEntry("attempts.plan", "2").containsEntry("attempts.1.outcome",
                "done");
    }

    /**
     * A pause that comes while a worker's kubelet change runs and its kubectl refresh waits behind another change:
     * the unit follows kubelet to its end and starts nothing more, so the attempt ends without a report. It is
     * logged as stopped with the change it made; after resume the same attempt goes on, and its entry keeps both
     * changes.
     */
    @Test
    void anAttemptStoppedByAPauseIsLoggedAndGoesOnInTheSameEntryAfterResume() {
        Cluster c = new Cluster();
        c.store.publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kubectl", CH, 300);
        Cluster.Member worker = c.add(1, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.settle();
        c.store.publish("kubelet", CH, 201).publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // plans
        c.hook(c.member(0), Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // refreshes itself, grants
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\"]");
        worker.machine.changesTakeRounds(2);
        worker.machine.startOtherChange("kubectl", "configure-snap", 3); // the principal's `snap set kubectl ...`
        c.hook(worker, peerChanged()); // starts kubelet; kubectl waits in line
        assertThat(worker.unitStore.get(RefreshMemory.KEY.name())).contains("\"kubelet\"").doesNotContain("kubectl");

        c.action(c.member(0), "pause", Map.of());
        c.hook(worker, peerChanged()); // reads the pause: follows kubelet, starts nothing
        worker.machine.advanceChanges();
        worker.machine.advanceChanges();
        c.hook(worker, Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.unitStore.getOrDefault(RefreshMemory.KEY.name(), "")).isEmpty();
        Map<String, String> stopped = history(c, 1, Map.of("plan", 1));
        assertThat(stopped.get("attempts.1.outcome")).isEqualTo(
                "stopped: the rollout stopped (halt or pause) before every refresh started");
        assertThat(stopped.get("attempts.1.changes")).matches("kubelet=\\S+");
        String kubeletChange = stopped.get("attempts.1.changes");

        c.action(c.member(0), "resume", Map.of());
        worker.machine.advanceChanges(); // the other change on kubectl ends
        c.settle();
        worker.machine.advanceChanges();
        worker.machine.advanceChanges(); // the kubectl refresh started after resume
        c.settle();
        Map<String, String> done = history(c, 1, Map.of("plan", 1));
        assertThat(done).containsEntry("attempts.1.outcome", "done").containsEntry("attempts.1.since",
                stopped.get("attempts.1.since"));
        assertThat(done.get("attempts.1.changes")).contains(kubeletChange).matches(".*kubectl=\\S+.*");
        assertThat(worker.machine.installedRevision("kubectl")).contains(301);
    }

    /**
     * A worker's kubelet change runs on while another worker's failure halts the plan and the operator's refresh
     * replaces it: the first worker's attempt at the old plan never reports. Once its change has ended it is logged
     * as stopped, with the change, and the replacing plan named.
     */
    @Test
    void anAttemptLeftByAReplacedPlanIsLoggedWithItsChange() {
        Cluster c = Cluster.workersGranted(2, 2);
        Cluster.Member failing = c.member(1);
        Cluster.Member slow = c.member(2);
        failing.machine.failRefresh("kubectl", "error: cannot refresh \"kubectl\": revision 301 is broken", true);
        slow.machine.changesTakeRounds(2);
        c.hook(slow, peerChanged()); // starts its change
        c.hook(failing, peerChanged()); // fails and reports
        c.hook(c.member(0), peerChanged());
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubectl 301 failed");
        assertThat(slow.unitStore.get(RefreshMemory.KEY.name())).contains("\"kubectl\"");

        c.store.publish("kubectl", CH, 302);
        failing.machine.clearRefreshFault("kubectl");
        c.action(c.member(0), "refresh", Map.of());
        c.askedAnswer();
        c.hook(c.member(0), peerChanged());
        slow.machine.advanceChanges();
        slow.machine.advanceChanges();
        c.settle();

        Map<String, String> left = history(c, 2, Map.of("plan", 1));
        assertThat(left.get("attempts.1.outcome")).isEqualTo("stopped: plan 2 replaced it before it reported");
        assertThat(left.get("attempts.1.changes")).matches("kubectl=\\S+");
        slow.machine.advanceChanges();
        slow.machine.advanceChanges(); // its refresh for plan 2
        c.settle();
        assertThat(history(c, 2, Map.of())).containsEntry("attempts.plan", "2").containsEntry("attempts.1.outcome",
                "done");
    }

    @Test
    void theLastTwentyPlansAndAttemptsAreKeptWithinTheirBounds() {
        Cluster c = new Cluster();
        c.config.put("snaps", "kubectl");
        c.store.publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubectl", CH, 300);
        c.settle();
        for (int plan = 1; plan <= 23; plan++) {
            c.store.publish("kubectl", CH, 300 + plan);
            c.settle();
        }

        Map<String, String> leader = history(c, 0, Map.of());
        assertThat(leader).containsEntry("plans.current", "23").containsKeys("plans.4.outcome", "plans.23.outcome")
                .doesNotContainKey("plans.3.outcome");
        assertThat(PlanHistory.read(c.appData.get(PlanHistory.KEY))).hasSize(PlanHistory.MAX_PLANS);
        UnitStore store = new UnitStore(new io.snapcoherence.juju.StateHookTools(ModelState.of("snap-coherence/1")
                .withUnitStore(c.member(1).unitStore)));
        assertThat(AttemptLog.read(store)).hasSize(AttemptLog.MAX_ATTEMPTS)
                .extracting(AttemptLog.Attempt::plan).startsWith(4L).endsWith(23L);
        assertThat(history(c, 1, Map.of("plan", 3))).containsEntry("attempts.plan", "3")
                .hasEntrySatisfying("attempts.none", none -> assertThat(none)
                        .startsWith("this unit has logged no attempt at plan 3 (it keeps its last 20; logged: 4/1"));
        assertThat(c.appData.get(PlanHistory.KEY).length()).isLessThanOrEqualTo(PlanHistory.MAX_BYTES);
    }

    @Test
    void aPlanParameterThatIsNoPlanIdIsRefused() {
        Cluster c = kubernetes();
        ModelState out = c.action(c.member(0), "history", Map.of("plan", "latest"));
        assertThat(out.action().failure()).contains("plan must be a plan id (1 or more), got latest");
    }

    @Test
    void quietHooksDoNotRewriteTheHistory() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.settle();
        String written = c.appData.get(PlanHistory.KEY);
        c.members.values().forEach(m -> m.relationWrites = 0);
        c.settle();
        assertThat(c.appData.get(PlanHistory.KEY)).isEqualTo(written);
        c.members.values().forEach(m -> assertThat(m.relationWrites).as(m.unit).isZero());
    }
}
