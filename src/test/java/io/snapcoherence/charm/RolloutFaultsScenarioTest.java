package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/** The rollout under the faults the simulator's chaos found: killed hooks, foreign data, churn, time. */
class RolloutFaultsScenarioTest {
    private static final String CH = "1.29/stable";

    /** snap-coherence/0 (leader) alone on the control plane, workers 1 and 2. */
    private static Cluster small() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubectl", CH, 300);
        c.add(2, Role.WORKER, "kubectl", CH, 300);
        c.settle();
        return c;
    }

    @Test
    void aLeaderKilledInTheHookThatWritesAPlanLeavesNoRefreshOutsideACommittedPlan() {
        Cluster c = small();
        c.store.publish("kubectl", CH, 301);
        // The leader looks: its own view covers every channel, and it plans in the same hook, which is killed.
        c.killedHook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        // The plan died with the hook: the machine must not be on a revision no committed plan names (I5).
        assertThat(c.appData.getOrDefault("plan", "")).isEmpty();
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(300);

        // The retry commits plan 1 with the leader granted; it refreshes in a hook that starts with the plan.
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.appData.get("plan")).contains("\"revision\":301");
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(300);
        // Alone in its tier, nothing but update-status wakes it.
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(301);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void aUnitWhoseFailureOnlyItsStatusKeptIsNotTakenForDoneWhenItLeads() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubelet", CH, 200);
        c.add(1, Role.WORKER, "kubelet", CH, 200);
        c.add(2, Role.WORKER, "kubelet", CH, 200);
        c.settle();
        Cluster.Member worker = c.member(1);
        worker.machine.breakServicesAfterRefresh("kubelet");
        c.store.publish("kubelet", CH, 201);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.appData.get("grants")).startsWith("[\"snap-coherence/1\"");

        // Its refresh's verification fails and says so in its status; the hook is killed before its commit, so
        // the failure is in the status alone. Then it is elected leader (seed 175215).
        c.killedHook(worker, peerChanged());
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(worker.status.message()).startsWith("kubelet 201 failed (plan 1, attempt 1)");
        c.leader = worker.unit;
        c.hook(worker, lifecycle(Event.LifecycleKind.LEADER_ELECTED));

        // Its own status is the only record of the failure: the rollout halts on it and keeps its grant, where it
        // freed its own grant as done by its revisions and went on.
        assertThat(c.appData.getOrDefault("halt", "")).contains("snap-coherence/1");
        assertThat(c.appData.get("grants")).contains("snap-coherence/1");
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kubelet")).contains(200);
    }

    @Test
    void aFailureReportOverwrittenByAnotherVersionsDataIsRestoredAndTheUnitStaysBlocked() {
        Cluster c = small();
        c.member(1).machine.failRefresh("kubectl", "download failed", true);
        c.store.publish("kubectl", CH, 301);
        c.settle();
        assertThat(c.member(1).status.message()).startsWith("kubectl 301 failed (plan 1, attempt 1)");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1");

        Map<String, String> foreign = new LinkedHashMap<>(c.member(1).databag);
        foreign.put("schema", "2");
        foreign.put("installed", "{\"kubectl\": [300]}");
        c.member(1).databag = foreign;
        c.hook(c.member(1), lifecycle(Event.LifecycleKind.UPDATE_STATUS));

        assertThat(c.member(1).status.message()).startsWith("kubectl 301 failed (plan 1, attempt 1)");
        assertThat(c.member(1).databag).containsEntry("schema", "1");
        assertThat(c.member(1).databag.get("progress")).contains("\"phase\":\"failed\"").contains("download failed");
    }

    /**
     * A unit in its own -departed hooks starts no refresh. During its -departed for a peer, relation-list no longer
     * lists that peer: for a peer not in line before it the unit would have decided to refresh; for one granted
     * with it, it would wait to read that peer's report. Either way it will never act: it says it is leaving.
     */
    @ParameterizedTest
    @ValueSource(strings = {"snap-coherence/4", "snap-coherence/2"})
    void aUnitLeavingTheRelationStartsNoRefreshAndSaysSo(String departedPeer) {
        Cluster c = workersGranted();
        Cluster.Member leaving = c.member(1);
        c.hook(leaving, new Event.Relation("coherence", Event.RelationKind.DEPARTED, Cluster.PEER,
                Optional.of(departedPeer), Optional.of(Cluster.APP), Optional.of(leaving.unit)));
        assertThat(leaving.machine.installedRevision("kubectl")).contains(300);
        assertThat(leaving.status).isEqualTo(Status.maintenance("leaving the relation: no refresh"));
    }

    @Test
    void aLeaderThatNeverSawAGrantedUnitLeaveFreesItsGrantFromAPeersReport() {
        Cluster c = workersGranted();

        // snap-coherence/1 is removed; snap-coherence/2 sees it go while it is granted and says so. Granted after
        // it, snap-coherence/2 waits: it cannot read a unit granted before it.
        c.members.remove("snap-coherence/1");
        c.hook(c.member(2), Cluster.departed("snap-coherence/1"));
        assertThat(c.member(2).databag).containsEntry("left", "[\"snap-coherence/1\"]");
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.member(2).status).isEqualTo(Status.waiting(
                "granted for plan 1; waiting to read snap-coherence/1's report"));

        // A unit that joined after the removal leads: it never saw snap-coherence/1 at all.
        c.add(3, Role.WORKER, "kubectl", CH, 300);
        c.hook(c.member(3), peerChanged());
        c.leader = "snap-coherence/3";
        c.hook(c.member(3), lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/2\",\"snap-coherence/3\"]");
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
        assertThat(c.member(2).databag.getOrDefault("left", "")).isEmpty();
    }

    @Test
    void aLeaderRefreshesOnlyOnAGrantCommittedBeforeItsHook() {
        Cluster c = new Cluster();
        c.store.publish("kubectl", CH, 300);
        for (int n = 0; n < 3; n++) {
            c.add(n, Role.CONTROL_PLANE, "kubectl", CH, 300);
        }
        c.settle();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        c.hook(c.member(1), peerChanged());
        c.hook(c.member(2), peerChanged());
        // Both others done: the leader grants itself in this hook. Had it refreshed now and the hook been killed,
        // its machine would change under a grant no committed databag shows, and units granted later (a joiner)
        // would not count it (I2). It refreshes in its next hook.
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(300);
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.appData.get("plan")).contains("\"complete\":true");
    }

    @Test
    void aFailureOfAUnitLeavingBeforeTheLeaderHaltedStillHalts() {
        Cluster c = small();
        c.config.put("max-unavailable", 2);
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // the leader refreshed: workers go
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        c.member(1).machine.failRefresh("kubectl", "download failed", false);
        c.hook(c.member(1), peerChanged());
        assertThat(c.member(1).databag.get("progress")).contains("\"phase\":\"failed\"");

        // The failed unit is removed before the leader ran a hook: in their -departed hooks its data is still
        // readable, and the failure still halts the rollout and keeps snap-coherence/2 from starting (I4).
        Event departed = new Event.Relation("coherence", Event.RelationKind.DEPARTED, Cluster.PEER,
                Optional.of("snap-coherence/1"), Optional.of(Cluster.APP), Optional.of("snap-coherence/1"));
        c.hook(c.member(2), departed);
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.member(2).status.message()).contains("snap-coherence/1 failed");
        c.hook(c.member(0), departed);
        assertThat(c.appData.get("halt")).contains("snap-coherence/1");
        c.members.remove("snap-coherence/1");
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubectl 301 failed");
    }

    /** small(), plan 1 for kubectl 301 written and the leader through: workers 1 and 2 granted, in that order. */
    private static Cluster workersGranted() {
        Cluster c = small();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // reads the answers and plans
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // refreshes itself, grants the workers
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        return c;
    }

    @Test
    void aRefreshOutlastingTheHooksWaitKeepsTheUnitInLineUntilSnapdFinishes() {
        Cluster c = workersGranted();
        Cluster.Member slow = c.member(1);
        slow.machine.changesTakeRounds(2);

        // The hook stops waiting; snapd goes on. No report: the unit is granted and not done, and says so.
        c.hook(slow, peerChanged());
        assertThat(slow.machine.installedRevision("kubectl")).contains(300);
        assertThat(slow.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);
        assertThat(slow.status.message()).startsWith("refreshing kubectl 301 (plan 1, attempt 1): snapd still at it since ");
        assertThat(slow.databag.getOrDefault("progress", "")).isEmpty();
        assertThat(slow.unitStore).containsKey("refresh-run");
        // The next in line keeps counting it.
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);

        // While the change runs, snapd refuses a second one: still refreshing, nothing failed.
        c.hook(slow, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(slow.status.message()).startsWith("refreshing kubectl 301 (plan 1, attempt 1)");
        slow.machine.advanceChanges();
        slow.machine.advanceChanges();
        assertThat(slow.machine.installedRevision("kubectl")).contains(301);

        // The next hook finds it done: verifies and reports, without refreshing again.
        int calls = slow.machine.calls().size();
        c.hook(slow, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(slow.machine.calls().subList(calls, slow.machine.calls().size()))
                .noneMatch(call -> call.startsWith("snap refresh kubectl"));
        assertThat(slow.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(slow.databag.get("progress")).contains("\"phase\":\"done\"");
        assertThat(slow.unitStore.getOrDefault("refresh-run", "")).isEmpty();
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void slowRefreshesOfSeveralSnapsAllStartInOneHookAndRunSideBySide() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubectl", CH, 300);
        Cluster.Member cp = c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        c.settle();
        c.store.publish("kube-apiserver", CH, 101).publish("kubectl", CH, 301);
        cp.machine.changesTakeRounds(1);
        // It looks and plans; its own grant counts from its next hook.
        c.hook(cp, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.hook(cp, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        // The first download outlasted its share of the hook's wait; the second still started in this hook.
        assertThat(cp.machine.calls()).contains("snap refresh kube-apiserver --channel=1.29/stable --revision=101",
                "snap refresh kubectl --channel=1.29/stable --revision=301");
        assertThat(cp.status.message()).startsWith("refreshing kube-apiserver 101 and 1 more (plan 1, attempt 1): snapd still");
        cp.machine.advanceChanges();
        c.hook(cp, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(cp.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(cp.machine.installedRevision("kube-apiserver")).contains(101);
        assertThat(cp.machine.installedRevision("kubectl")).contains(301);
    }

    @Test
    void aRefreshSnapdDoesNotFinishIn30MinutesIsAFailureAndNothingUnfinishedIsReverted() {
        Cluster c = workersGranted();
        c.config.put("on-failure", "revert");
        Cluster.Member stuck = c.member(1);
        stuck.machine.changesTakeRounds(1_000);
        c.hook(stuck, peerChanged());
        Clock start = c.clock;
        c.clock = Clock.fixed(start.instant().plus(Duration.ofMinutes(29)), ZoneOffset.UTC);
        c.hook(stuck, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(stuck.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);

        c.clock = Clock.fixed(start.instant().plus(Duration.ofMinutes(31)), ZoneOffset.UTC);
        c.hook(stuck, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(stuck.status.kind()).isEqualTo(Status.Kind.BLOCKED);
        assertThat(stuck.status.message()).startsWith("kubectl 301 failed (plan 1, attempt 1): snapd has not finished the "
                + "refresh 30 minutes after it started");
        // kubectl never got to 301: a revert would have moved it to whatever came before 300.
        assertThat(stuck.machine.calls()).noneMatch(call -> call.startsWith("snap revert"));
        assertThat(stuck.databag.get("progress")).contains("\"phase\":\"failed\"");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubectl 301 failed");
    }

    @Test
    void aUnitBeingRemovedReportsNobodyAsLeft() {
        Cluster c = workersGranted();
        Cluster.Member leaving = c.member(2);
        // snap-coherence/2 is removed: its own -departed hooks run, and its view of the peers shrinks with each.
        c.hook(leaving, new Event.Relation("coherence", Event.RelationKind.DEPARTED, Cluster.PEER,
                Optional.of("snap-coherence/1"), Optional.of(Cluster.APP), Optional.of("snap-coherence/2")));
        assertThat(leaving.databag.getOrDefault("left", "")).isEmpty();
        // Later hooks of the leaving unit no longer see snap-coherence/1 (granted): it did not leave, this unit did.
        Cluster.Member granted = c.members.remove("snap-coherence/1");
        c.hook(leaving, lifecycle(Event.LifecycleKind.STOP));
        assertThat(leaving.databag.getOrDefault("left", "")).isEmpty();
        c.members.put("snap-coherence/1", granted);
        // So a leader that never saw snap-coherence/1 is not told it left while it is refreshing.
        assertThat(c.appData.get("grants")).contains("snap-coherence/1");
    }

    @Test
    void theSystemWideHoldOfOldSnapdIsRenewedBeforeItLapses() {
        Cluster c = new Cluster();
        c.store.publish("kubelet", CH, 200);
        c.add(0, Role.WORKER, "kubelet", CH, 200).machine.withVersion("2.57");
        c.settle();
        Cluster.Member worker = c.member(0);
        assertThat(systemHolds(worker)).isEqualTo(1);

        Clock start = c.clock;
        c.clock = Clock.fixed(start.instant().plus(Duration.ofDays(29)), ZoneOffset.UTC);
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(systemHolds(worker)).isEqualTo(1);

        // Past half of the 60 days snapd 2.57 was asked to hold: held again, and the next renewal counts from now.
        c.clock = Clock.fixed(start.instant().plus(Duration.ofDays(31)), ZoneOffset.UTC);
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(systemHolds(worker)).isEqualTo(2);
        c.clock = Clock.fixed(start.instant().plus(Duration.ofDays(59)), ZoneOffset.UTC);
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(systemHolds(worker)).isEqualTo(2);
        assertThat(worker.machine.systemConfig()).containsKey("refresh.hold");
    }

    private static long systemHolds(Cluster.Member m) {
        return m.machine.calls().stream().filter(call -> call.startsWith("snap set system refresh.hold=")
                && !call.endsWith("=")).count();
    }
}
