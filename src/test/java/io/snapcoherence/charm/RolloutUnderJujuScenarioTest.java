package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.Status;
import io.snapcoherence.sim.RefreshEvent;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollout under what Juju does, read in its source (worker/uniter; docs/protocol.md "Under Juju"): a leader
 * being removed keeps leading while its own -departed hooks shrink its view; leadership moves before the new
 * leader ran its -joined hooks, or before the old one ran its -departed; a machine dies and leaves its unit in the
 * relation; an operator moves on from a halted plan.
 */
class RolloutUnderJujuScenarioTest {
    private static final String CH = "1.29/stable";
    private static final String U0 = "snap-coherence/0";
    private static final String U1 = "snap-coherence/1";
    private static final String U2 = "snap-coherence/2";
    private static final String U3 = "snap-coherence/3";

    private static Clock at(Duration later) {
        return Clock.fixed(Scenario.FIXED_CLOCK.instant().plus(later), ZoneOffset.UTC);
    }

    // ---- 1: the dying leader ----------------------------------------------------------------------------------

    @Test
    void aLeaderBeingRemovedFreesNoGrantGrantsNothingAndCompletesNothingAsItsViewShrinks() {
        Cluster c = Cluster.workersGranted(2, 1);
        Cluster.Member refreshing = c.member(1);
        refreshing.machine.changesTakeRounds(3);
        c.hook(refreshing, peerChanged());
        assertThat(refreshing.status.message()).startsWith("refreshing kubectl 301 (plan 1, attempt 1): snapd still at it");
        String tally = c.appData.get("tally");

        // The leader is being removed. Juju keeps its lease until the unit is dead; each of its own -departed
        // hooks takes a peer out of its relation-list, so refreshing peers seem to leave one by one.
        Cluster.Member leader = c.member(0);
        leader.hidden.add(U1);
        c.hook(leader, Cluster.ownDeparted(U1, U0));
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        assertThat(c.appStatus.message()).startsWith("leader leaving: plan 1 goes on within its grants");
        leader.hidden.add(U2);
        c.hook(leader, Cluster.ownDeparted(U2, U0));
        c.hook(leader, lifecycle(Event.LifecycleKind.STOP));
        // It sees only itself, done: still no plan completed, no grant freed, the tally as it was.
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        assertThat(c.appData.get("plan")).contains("\"complete\":false");
        assertThat(c.appData.get("tally")).isEqualTo(tally);

        // The units go on within the grants: snap-coherence/2 waits for snap-coherence/1, which finishes.
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);
        refreshing.machine.advanceChanges();
        refreshing.machine.advanceChanges();
        refreshing.machine.advanceChanges();
        c.hook(refreshing, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.hook(c.member(2), Cluster.peerChanged());
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(301);
    }

    @Test
    void aLeaderBeingRemovedStillHaltsOnAFailureItReadsAndLeavesResumeToTheNextLeader() {
        Cluster c = Cluster.workersGranted(2, 2);
        c.member(1).machine.failRefresh("kubectl", "error: cannot refresh \"kubectl\": download failed", false);
        c.hook(c.member(1), peerChanged());
        Cluster.Member leader = c.member(0);
        leader.hidden.add(U2);
        c.hook(leader, Cluster.ownDeparted(U2, U0));
        assertThat(c.appData.get("halt")).contains(U1);
        assertThat(c.appStatus.kind()).isEqualTo(Status.Kind.BLOCKED);

        // Resume acts on a view of every unit (it frees grants of units out of view): not from a leaving leader.
        ModelState out = c.action(leader, "resume", Map.of());
        assertThat(out.action().failure()).hasValueSatisfying(m -> assertThat(m)
                .startsWith("resume not carried out: this leader is leaving the model"));
        assertThat(c.appData.get("halt")).contains(U1);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
    }

    // ---- 2: moving on from a halted plan ----------------------------------------------------------------------

    private static Cluster kubernetes() {
        return Cluster.kubernetes(CH);
    }

    @Test
    void refreshOnAHaltedRolloutReplacesTheBrokenTargetWithTheFixedRevision() {
        Cluster c = kubernetes();
        c.member(2).machine.failRefresh("kubelet", "error: cannot refresh \"kubelet\": revision 201 is broken", true);
        c.store.publish("kubelet", CH, 201);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2 kubelet 201 failed");
        // resume only retries the broken revision.
        c.action(c.member(0), "resume", Map.of());
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2 kubelet 201 failed");

        // A fixed revision is published; refresh moves on to it.
        c.store.publish("kubelet", CH, 202);
        c.member(2).machine.clearRefreshFault("kubelet");
        ModelState out = c.action(c.member(0), "refresh", Map.of());
        assertThat(out.action().failure()).isEmpty();
        // Replaced once units have looked at what the proxy serves now: what they saw before is what was fixed.
        assertThat(out.action().results()).containsEntry("plan.id", "1").containsEntry("replaces-plan", "1")
                .containsEntry("halted", "true");
        c.askedAnswer();
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("plan")).contains("\"id\":2").contains("\"revision\":202");
        assertThat(c.appData.getOrDefault("halt", "")).isEmpty();
        c.settle();
        for (int n = 2; n < 5; n++) {
            assertThat(c.member(n).machine.installedRevision("kubelet")).contains(202);
            assertThat(c.member(n).status).isEqualTo(Status.active("on plan 2 (attempt 1, verified)"));
        }
        assertThat(c.timeline).noneMatch(e -> e.toRevision() == 201);
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 2)"));
    }

    @Test
    void refreshOnAHaltedRolloutAfterAnOverrideBringsUnitsOnTheAbandonedRevisionBackControlPlaneFirst() {
        Cluster c = kubernetes();
        // snap-coherence/1 goes first in the control plane (the leader last): 101 breaks its services.
        c.member(1).machine.breakServicesAfterRefresh("kube-apiserver");
        c.store.publish("kube-apiserver", CH, 101).publish("kubelet", CH, 201);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kube-apiserver 101 failed");
        assertThat(c.member(1).machine.installedRevision("kube-apiserver")).contains(101);

        // The operator pins the proxy back to what ran before, and moves on.
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200);
        int before = c.timeline.size();
        ModelState out = c.action(c.member(0), "refresh", Map.of("snaps", "kubelet"));
        assertThat(out.action().results()).containsEntry("replaces-plan", "1");
        c.askedAnswer();
        c.hook(c.member(0), peerChanged());
        // The new plan covers the halted plan's snaps too, so the unit on the abandoned revision comes back.
        assertThat(c.appData.get("plan")).contains("\"id\":2").contains("{\"snap\":\"kube-apiserver\","
                + "\"channel\":\"1.29/stable\",\"arch\":\"amd64\",\"revision\":100}");
        c.settle();
        assertThat(c.member(1).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.member(1).status).isEqualTo(Status.active("on plan 2 (attempt 1, verified)"));
        assertThat(c.timeline.subList(before, c.timeline.size())).extracting(RefreshEvent::machine)
                .containsExactly("machine-1");
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 2)"));
    }

    @Test
    void refreshOnAHaltedRolloutWhileTheStoreIsDownKeepsTheHaltAndSaysWhy() {
        Cluster c = kubernetes();
        c.member(2).machine.failRefresh("kubelet", "error: cannot refresh \"kubelet\": download failed", true);
        c.store.publish("kubelet", CH, 201);
        c.settle();
        c.store.setOutage(true);
        ModelState out = c.action(c.member(0), "refresh", Map.of());
        assertThat(out.action().results()).containsEntry("halted", "true").containsEntry("replaces-plan", "1");
        // The units asked cannot look: the plan stays halted, and the status says what it waits for.
        c.askedAnswer();
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("plan")).contains("\"id\":1");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2 kubelet 201 failed")
                .contains("a refresh replaces it with what the store serves, waiting while no unit has told what "
                        + "the store serves kube-apiserver 1.29/stable (amd64) since the refresh at");
        // Once they can look, it is replaced by what the proxy serves then (still 201 here).
        c.store.setOutage(false);
        c.settle();
        assertThat(c.appData.get("plan")).contains("\"id\":2").contains("\"revision\":201");
    }

    // ---- 4: no plan while the control plane is unknown --------------------------------------------------------

    /** snap-coherence/0 (leader) and 2 are workers, 1 is control plane. */
    private static Cluster workerLeads() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200);
        c.add(0, Role.WORKER, "kubelet", CH, 200);
        c.add(1, Role.CONTROL_PLANE, "kube-apiserver", CH, 100);
        c.add(2, Role.WORKER, "kubelet", CH, 200);
        c.settle();
        return c;
    }

    @Test
    void aWorkerDoesNotStartWhileGoalStateListsAControlPlaneUnitItHasNotReadAReportFrom() {
        Cluster c = Cluster.workersGranted(2, 1);
        // A control-plane unit added a moment ago: nobody has joined it yet, so neither the worker nor the leader
        // counts it; Juju's goal-state lists its principal already.
        Cluster.Member added = c.add(3, Role.CONTROL_PLANE, "kubectl", CH, 300);
        c.members.values().stream().filter(m -> m != added).forEach(m -> m.hidden.add(U3));
        Cluster.Member worker = c.member(1);
        c.hook(worker, peerChanged());
        assertThat(worker.machine.installedRevision("kubectl")).contains(300);
        assertThat(worker.status).isEqualTo(Status.waiting("granted for plan 1; waiting for a report from the unit "
                + "on kubernetes-control-plane/3 (goal-state lists it)"));

        // It joins and reports: the control plane is the tier again, and the worker goes once it is on target.
        c.members.values().forEach(m -> m.hidden.clear());
        c.settle();
        assertThat(added.machine.installedRevision("kubectl")).contains(301);
        assertThat(worker.machine.installedRevision("kubectl")).contains(301);
        assertThat(c.lastRefreshIndex(Role.CONTROL_PLANE)).isLessThan(c.firstRefreshIndex(Role.WORKER));
    }

    @Test
    void noPlanWhileTheLeaderSeesNoControlPlaneUnit() {
        Cluster c = workerLeads();
        // A leader that has not joined the control-plane unit yet (or whose view lost it) sees workers only.
        c.member(0).hidden.add(U1);
        c.store.publish("kube-apiserver", CH, 101).publish("kubelet", CH, 201);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.getOrDefault("plan", "")).isEmpty();
        assertThat(c.appStatus.message()).contains("no plan while the control plane is not known "
                + "(no control-plane unit in view)");

        c.member(0).hidden.clear();
        c.settle();
        assertThat(c.appData.get("plan")).contains("\"id\":1").contains("kube-apiserver").contains("kubelet");
        assertThat(c.member(1).machine.installedRevision("kube-apiserver")).contains(101);
        assertThat(c.lastRefreshIndex(Role.CONTROL_PLANE)).isLessThan(c.firstRefreshIndex(Role.WORKER));
    }

    @Test
    void noPlanWhileTheControlPlanesDataCannotBeRead() {
        Cluster c = workerLeads();
        c.store.publish("kube-apiserver", CH, 101).publish("kubelet", CH, 201);
        c.everyoneLooks();
        c.member(1).databag = Map.of("schema", "2", "role", "control-plane", "installed", "[]");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.getOrDefault("plan", "")).isEmpty();
        assertThat(c.appStatus.message()).contains("no plan while the control plane is not known "
                + "(cannot read snap-coherence/1's data)");
        // Its next hook writes schema 1 again: one plan for both tiers, control plane first.
        c.settle();
        assertThat(c.appData.get("plan")).contains("\"id\":1").contains("kube-apiserver").contains("kubelet");
        assertThat(c.lastRefreshIndex(Role.CONTROL_PLANE)).isLessThan(c.firstRefreshIndex(Role.WORKER));
    }

    // ---- 5: a granted unit whose machine died -----------------------------------------------------------------

    @Test
    void aGrantedUnitSilentForLongerThanARefreshCanTakeHaltsTheRolloutNamingItAndWhatToDo() {
        Cluster c = Cluster.workersGranted(2, 1);
        // snap-coherence/1's machine dies: its unit stays in the relation and runs no hook again.
        Cluster.Member leader = c.member(0);
        c.clock = at(Duration.ofMinutes(30));
        c.hook(leader, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.appStatus.message()).isEqualTo("rolling out plan 1: control plane 1/1, workers 0/2");
        c.clock = at(Duration.ofMinutes(46));
        c.hook(leader, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        // A node silent after its grant may be one its refresh took down: the rollout halts on it.
        assertThat(c.appData.get("halt")).contains(U1);
        assertThat(c.appStatus).isEqualTo(Status.blocked("halted at plan 1: snap-coherence/1 granted and silent "
                + "for 46 min, longer than a refresh can take: if its machine is down, run juju remove-unit --force "
                + "on the principal unit it runs on (juju status lists it there); run the resume action to retry "
                + "it, or the refresh action to replace the plan with what the proxy serves now"));
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).status).isEqualTo(Status.waiting("rollout halted at plan 1 by snap-coherence/1"));

        // The operator removes its principal unit, and with it the subordinate: the others run -departed, its
        // grant is freed; resume, and the rollout goes on.
        c.members.remove(U1);
        c.hook(leader, Cluster.departed(U1));
        c.hook(c.member(2), Cluster.departed(U1));
        assertThat(c.appData.get("grants")).doesNotContain(U1);
        c.action(leader, "resume", Map.of());
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 1)"));
    }

    // ---- 6: a departing unit's failure outlives it ------------------------------------------------------------

    @Test
    void aFailureOfAUnitThatLeftHaltsUnderALeaderThatNeverReadItAndStopsTheUnitsInLine() {
        Cluster c = Cluster.workersGranted(3, 1);
        Cluster.Member failed = c.member(1);
        failed.machine.failRefresh("kubectl", "error: cannot refresh \"kubectl\": download failed", false);
        c.hook(failed, peerChanged());
        assertThat(failed.databag.get("progress")).contains("\"phase\":\"failed\"");

        // snap-coherence/1 is removed before the leader ran a hook for it; the others run -departed while its data
        // is readable, then it is gone. Leadership moves to snap-coherence/3 before snap-coherence/0 ran its
        // -departed: no leader ever read the failure.
        c.hook(c.member(2), Cluster.departed(U1));
        c.hook(c.member(3), Cluster.departed(U1));
        c.members.remove(U1);
        c.leader = U3;
        c.hook(c.member(3), lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        assertThat(c.appData.get("halt")).contains(U1).contains("download failed");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubectl 301 failed (plan 1)");
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.member(3).machine.installedRevision("kubectl")).contains(300);

        // After resume the witnessed failure no longer counts: the rollout goes on.
        c.action(c.member(3), "resume", Map.of());
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.member(3).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.member(2).databag.getOrDefault("witnessed", "")).isEmpty();
    }

    /**
     * The failed unit's report is read by the leader only in its -departed hook for it, when every unit left is
     * done: the failure still halts the attempt (news about the revision), and the plan completes only once the
     * operator resumes. Completing in that hook would have moved on from a failure no halt ever showed.
     */
    @Test
    void aFailureFirstReadAsItsUnitDepartsHaltsEvenWhenEveryUnitLeftIsDone() {
        Cluster c = Cluster.workersGranted(2, 2);
        Cluster.Member leader = c.member(0);
        c.hook(c.member(2), peerChanged());
        c.hook(leader, peerChanged()); // reads snap-coherence/2 done
        Cluster.Member failed = c.member(1);
        failed.machine.failRefresh("kubectl", "error: cannot refresh \"kubectl\": download failed", false);
        c.hook(failed, peerChanged());
        assertThat(failed.databag.get("progress")).contains("\"phase\":\"failed\"");

        c.hook(leader, Cluster.departed(U1));

        assertThat(c.appData.get("halt")).contains(U1).contains("download failed");
        assertThat(c.appData.get("plan")).contains("\"complete\":false");
        c.members.remove(U1);
        c.action(leader, "resume", Map.of());
        c.settle();
        assertThat(c.appData.get("plan")).contains("\"complete\":true");
        assertThat(c.appData.getOrDefault("halt", "")).isEmpty();
    }

    /**
     * The leader's own grant, halted on its own failure: a resume lifts the halt only when its hook commits, so the
     * leader retries its refresh in a later hook. Retried in the resume's own hook, a kill before the commit would
     * leave its machine refreshed while the committed databag still says halted (I4).
     */
    @Test
    void aLeaderResumingItsOwnFailureRefreshesOnlyOnceTheResumeIsCommitted() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubectl", CH, 300);
        Cluster.Member leader = c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100);
        c.add(1, Role.WORKER, "kubectl", CH, 300);
        c.settle();
        leader.machine.failRefresh("kube-apiserver", "error: cannot refresh \"kube-apiserver\": download failed",
                true);
        c.store.publish("kube-apiserver", CH, 101);
        c.everyoneLooks();
        c.hook(leader, peerChanged()); // reads the answers and plans
        c.hook(leader, lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // refreshes itself and fails
        assertThat(c.appData.get("halt")).contains(U0);
        long asked = leader.machine.calls().stream().filter(call -> call.startsWith("snap refresh kube-apiserver "))
                .count();

        c.killedAction(leader, "resume", Map.of());
        c.action(leader, "resume", Map.of());

        assertThat(leader.machine.calls().stream().filter(call -> call.startsWith("snap refresh kube-apiserver ")))
                .hasSize((int) asked);
        assertThat(c.appData.getOrDefault("halt", "")).isEmpty();
        c.hook(leader, lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // the resumed attempt: fails again
        assertThat(leader.machine.calls().stream().filter(call -> call.startsWith("snap refresh kube-apiserver ")))
                .hasSize((int) asked + 1);
        assertThat(c.appData.get("halt")).contains(U0);
    }

    // ---- 7: resume on a leader that has not joined its peers yet ----------------------------------------------

    @Test
    void resumeOnALeaderThatHasNotJoinedItsPeersYetKeepsTheGrantsOfUnitsItCannotSee() {
        Cluster c = Cluster.workersGranted(2, 1);
        Cluster.Member refreshing = c.member(1);
        refreshing.machine.changesTakeRounds(5);
        c.hook(refreshing, peerChanged());
        c.action(c.member(0), "pause", Map.of());

        // A worker is added and elected leader at once: its -joined hooks have not run, it sees nobody. Its
        // status said to run resume; the operator does.
        Cluster.Member newcomer = c.add(3, Role.WORKER, "kubectl", CH, 300);
        newcomer.hidden.addAll(Set.of(U0, U1, U2));
        c.leader = U3;
        c.hook(newcomer, lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        ModelState out = c.action(newcomer, "resume", Map.of());
        assertThat(out.action().failure()).isEmpty();
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        assertThat(c.appStatus.message()).contains("waiting for granted snap-coherence/1, snap-coherence/2, "
                + "not in the relation yet");
        c.hook(newcomer, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(newcomer.machine.installedRevision("kubectl")).contains(300);

        // Once it has joined them the rollout goes on, one worker at a time.
        newcomer.hidden.clear();
        refreshing.machine.advanceChanges();
        refreshing.machine.advanceChanges();
        refreshing.machine.advanceChanges();
        refreshing.machine.advanceChanges();
        refreshing.machine.advanceChanges();
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).as(m.unit).contains(301));
    }

    @Test
    void resumeFreesTheGrantOfAUnitOutOfViewForLongerThanARefreshCanTake() {
        Cluster c = Cluster.workersGranted(2, 1);
        // snap-coherence/1 was removed before this leader joined, and no unit saw it leave while granted.
        c.members.remove(U1);
        Cluster.Member newcomer = c.add(3, Role.WORKER, "kubectl", CH, 300);
        c.leader = U3;
        c.hook(newcomer, lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        c.action(newcomer, "resume", Map.of());
        assertThat(c.appData.get("grants")).startsWith("[\"snap-coherence/1\"");
        assertThat(c.appStatus.message()).contains("waiting for granted snap-coherence/1, not in the relation yet");

        c.clock = at(Duration.ofMinutes(50));
        c.hook(newcomer, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 granted, not in the "
                + "relation for 50 min: if it was removed, resume frees its grant");
        c.action(newcomer, "resume", Map.of());
        assertThat(c.appData.get("grants")).doesNotContain(U1);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).as(m.unit).contains(301));
    }

    // ---- the units' statuses: read afresh by the leader, where their databags come through the cache ----------

    /** The leader's hook about another unit: Juju reads that unit's data anew, every other one from its cache. */
    private static Event changedBy(String unit) {
        return new Event.Relation("coherence", Event.RelationKind.CHANGED, Cluster.PEER, Optional.of(unit),
                Optional.of("snap-coherence"), Optional.empty());
    }

    @Test
    void aGrantedControlPlaneUnitIsNotCountedDoneByACopyOfItsReportOlderThanItsLastRefresh() {
        // snap-coherence/1's machine runs kube-apiserver 101 and kubectl 301 (snapd's timer took them upstream
        // before its charm held them) while the store serves 100 and 300; it reports them, and the leader's agent
        // keeps that copy: Juju reads a peer afresh only in a hook after its hook for that peer, and the leader's
        // next one is not run yet (seed 248268).
        Cluster c = new Cluster();
        c.config.put("max-unavailable", 1);
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubelet", CH, 200, "kubectl", CH, 300);
        c.add(1, Role.CONTROL_PLANE, "kube-apiserver", CH, 101, "kubelet", CH, 200, "kubectl", CH, 301);
        c.add(2, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.everyoneLooks();
        assertThat(c.member(1).databag.get("installed")).contains("301");
        c.member(0).cached.put(U1, c.member(1).databag);
        // Plan 1 brings it back to what the store serves; it verifies and says so in its status, and the leader
        // completes the plan on that status while its copy of the report still shows 101 and 301.
        c.settle();
        assertThat(c.member(1).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.member(1).status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(c.appData.get("plan")).contains("\"id\":1").contains("\"complete\":true");

        // The store now serves 101 and 301: plan 2's targets are what the leader's copy shows.
        c.store.publish("kube-apiserver", CH, 101).publish("kubectl", CH, 301);
        c.everyoneLooks();
        // The leader holds snap-coherence/1's old view; the others tell what changed when they see it again.
        c.hook(c.member(2), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.appData.get("plan")).contains("\"id\":2").contains("\"complete\":false");
        // Its status tells the leader it runs plan 1's targets: granted, the leader last.
        assertThat(c.appData.get("grants")).isEqualTo("[\"" + U1 + "\",\"" + U0 + "\"]");
        assertThat(c.member(1).machine.installedRevision("kubectl")).contains(300);

        // Its status no longer tells of plan 1 (a hook where it waits), and the leader decides again.
        c.member(1).status = Status.waiting("granted for plan 2; waiting to read snap-coherence/0's report");
        c.hook(c.member(0), changedBy(U2));
        assertThat(c.appData.get("grants")).contains(U1).doesNotContain(U2);

        // Once it has refreshed and reported done the line moves on, the worker last.
        c.member(0).cached.clear();
        c.settle();
        assertThat(c.member(1).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.firstRefreshIndex(Role.WORKER)).isGreaterThan(c.lastRefreshIndex(Role.CONTROL_PLANE));
    }

    @Test
    void theLeaderFreesTheGrantOfAUnitWhoseStatusSaysItsRefreshIsVerifiedDoneBeforeItReadsItsReport() {
        Cluster c = Cluster.workersGranted(3, 1);
        Map<String, String> before = c.member(1).databag;
        c.hook(c.member(1), peerChanged()); // refreshes, verifies, reports done; its status says so at once
        assertThat(c.member(1).status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        c.member(0).cached.put(U1, before); // the leader's agent has not run its hook for U1's report yet

        c.hook(c.member(0), changedBy(U3));

        // Freed and the next unit granted in this hook, on the strength of the status alone.
        assertThat(c.appData.get("grants")).isEqualTo("[\"" + U2 + "\",\"" + U3 + "\"]");
        assertThat(c.appData.get("tally")).isEqualTo("[1,1,1,3]");
    }

    @Test
    void aFailureTheLeaderReadsInAStatusHaltsTheRolloutBeforeItReadsTheReport() {
        Cluster c = Cluster.workersGranted(3, 1);
        Map<String, String> before = c.member(1).databag;
        c.member(1).machine.failRefresh("kubectl", "download failed", true);
        c.hook(c.member(1), peerChanged());
        assertThat(c.member(1).status.message()).startsWith("kubectl 301 failed (plan 1, attempt 1): ");
        c.member(0).cached.put(U1, before);

        c.hook(c.member(0), changedBy(U3));

        assertThat(c.appData.get("halt")).contains(U1).contains("kubectl 301 failed (plan 1)");
        assertThat(c.appData.get("grants")).isEqualTo("[\"" + U1 + "\",\"" + U2 + "\"]");
    }

    @Test
    void aStatusOfAnEarlierAttemptOrNoneTheLeaderCanParseIsNoNews() {
        Cluster c = Cluster.workersGranted(3, 1);
        Map<String, String> before = c.member(1).databag;
        c.hook(c.member(1), peerChanged());
        c.member(0).cached.put(U1, before);
        c.member(1).status = Status.active("on plan 1 (attempt 2, verified)"); // not this attempt
        c.hook(c.member(0), changedBy(U3));
        assertThat(c.appData.get("grants")).startsWith("[\"" + U1 + "\",\"" + U2 + "\"");
        c.member(1).status = Status.active("on plan 1"); // the previous version's words
        c.hook(c.member(0), changedBy(U3));
        assertThat(c.appData.get("grants")).startsWith("[\"" + U1 + "\",\"" + U2 + "\"");
    }

    @Test
    void aPlanCompletedOnTheStatusesIsNotMadeAgainFromReportsTheLeaderHasNotReadYet() {
        Cluster c = Cluster.workersGranted(2, 1);
        Map<String, String> before1 = c.member(1).databag;
        Map<String, String> before2 = c.member(2).databag;
        c.hook(c.member(1), peerChanged());
        c.hook(c.member(2), peerChanged());
        c.member(0).cached.put(U1, before1);
        c.member(0).cached.put(U2, before2);

        c.hook(c.member(0), changedBy(U2));
        assertThat(c.appData.get("plan")).contains("\"id\":1").contains("\"complete\":true");
        // Its databags still show both workers on 300; their statuses say they verified plan 1.
        c.hook(c.member(1), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.member(1).status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.hook(c.member(0), changedBy(U1));
        assertThat(c.appData.get("plan")).contains("\"id\":1").contains("\"complete\":true");
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 1)"));
    }

    @Test
    void onlyTheLeaderAsksForTheStatusesAndOnlyWhileAPlanRuns() {
        Cluster c = Cluster.kubernetes(CH);
        c.statusReads = 0;
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.hook(c.member(0), changedBy(U2));
        c.hook(c.member(2), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.statusReads).isZero(); // steady: no plan, nothing differs

        Cluster running = Cluster.workersGranted(2, 1);
        running.statusReads = 0;
        running.hook(running.member(1), peerChanged());
        assertThat(running.statusReads).isZero(); // not the leader
        running.hook(running.member(0), changedBy(U2));
        assertThat(running.statusReads).isEqualTo(1); // once per leader hook while the plan runs
    }
}
