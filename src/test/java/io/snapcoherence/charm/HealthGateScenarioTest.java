package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.Status;
import io.snapcoherence.sim.SimulatedMachine.Sickness;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node health gate across units: a unit whose refresh is done and verified still does not report done while
 * Kubernetes on its node answers unhealthy for a snap it changed, and fails (halting the rollout) once the gate's
 * bound is passed. Units 0 and 1 control plane (kube-apiserver 100), 2 to 4 workers (kubelet 200); 0 leads.
 */
class HealthGateScenarioTest {
    private static final String CH = "1.29/stable";
    private static final Sickness FOREVER_500 = new Sickness(false, -1);

    private static void later(Cluster c, int minutes) {
        c.clock = Clock.offset(Scenario.FIXED_CLOCK, Duration.ofMinutes(minutes));
    }

    /**
     * Minute by minute from {@code from} to {@code to}, everyone's hooks run and the worker (snap-coherence/1, on a
     * node sick for kubelet 201) never says it is verified nor the rollout up to date; then its gate has failed the
     * attempt, the rollout halts on it, and the next worker was held back.
     */
    private static void neverVerifiedThenHaltedOn(Cluster c, Cluster.Member worker, Cluster.Member next, int from,
                                                  int to, int attempt) {
        for (int minutes = from; minutes <= to; minutes++) {
            later(c, minutes);
            c.settle();
            assertThat(worker.status.message()).doesNotContain("verified").isNotEqualTo("on plan 1");
            assertThat(c.appStatus.message()).doesNotStartWith("up to date");
        }
        assertThat(worker.status.message()).startsWith("kubelet 201 failed (plan 1, attempt " + attempt + "): node "
                + "health check failed");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubelet 201 failed");
        assertThat(next.machine.installedRevision("kubelet")).as("the next worker held back").contains(200);
    }

    @Test
    void aWorkerWhoseKubeletAnswers500AfterItsRefreshIsNotDoneRetriesThenFailsAndTheRolloutHalts() {
        Cluster c = Cluster.kubernetes(CH);
        c.member(2).machine.unhealthyAfterRefresh("kubelet", FOREVER_500);
        c.store.publish("kubelet", CH, 201);
        c.settle();

        Cluster.Member first = c.member(2);
        assertThat(first.machine.installedRevision("kubelet")).contains(201);
        assertThat(first.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);
        assertThat(first.status.message()).startsWith("checking health of kubelet (plan 1, attempt 1): /healthz 500: "
                + "[-]syncloop failed (failed check ");
        // Not done: its report shows the revision it ran before, no progress; the others wait their turn.
        assertThat(first.databag.get("installed")).contains("\"revision\":200");
        assertThat(first.databag.getOrDefault("progress", "")).isEmpty();
        assertThat(c.member(3).machine.installedRevision("kubelet")).contains(200);
        assertThat(c.member(4).machine.installedRevision("kubelet")).contains(200);
        assertThat(c.appStatus.message()).doesNotStartWith("halted");
        int checks = first.machine.healthChecks();
        // One check per hook that ran on it; however many, not two minutes apart yet.
        assertThat(checks).isPositive();

        later(c, 3);
        c.settle();
        assertThat(first.status.kind()).isEqualTo(Status.Kind.BLOCKED);
        assertThat(first.status.message()).startsWith("kubelet 201 failed (plan 1, attempt 1): node health check "
                + "failed ").contains(" times since 2026-11-25T10:00:").endsWith(": /healthz 500: [-]syncloop failed");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2 kubelet 201 failed");
        assertThat(c.member(3).machine.installedRevision("kubelet")).contains(200);
        assertThat(c.member(4).machine.installedRevision("kubelet")).contains(200);
        assertThat(first.machine.installedRevision("kubelet")).as("on-failure=halt leaves it").contains(201);
        assertThat(first.unitStore.getOrDefault("health-gate", "")).isEmpty();
    }

    @Test
    void withOnFailureRevertTheUnhealthyWorkerIsRevertedThenTheRolloutHalts() {
        Cluster c = Cluster.kubernetes(CH);
        c.config.put("on-failure", "revert");
        c.member(2).machine.unhealthyAfterRefresh("kubelet", FOREVER_500);
        c.store.publish("kubelet", CH, 201);
        c.settle();
        later(c, 3);
        c.settle();

        Cluster.Member first = c.member(2);
        assertThat(first.machine.installedRevision("kubelet")).contains(200);
        assertThat(first.databag.get("progress")).contains("\"phase\":\"reverted\"");
        assertThat(first.status.message()).startsWith("kubelet 201 failed (plan 1, attempt 1): node health check");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2");
        assertThat(c.member(3).machine.installedRevision("kubelet")).contains(200);
        // The revision it went back to answers healthy again (the simulated node's sickness came with 201).
        assertThat(first.machine.nodeUnhealthy("kubelet")).isFalse();
    }

    /**
     * The hook that refreshed a worker is killed before its commit: snapd's change is done, the unit's memory of it
     * and its first health check are lost. The next hook finds the machine on the targets with nothing running; its
     * last committed report still shows the revision before, so the refresh is this attempt's, and the gate holds
     * (seed 191899: it was verified done while its kubelet answered 500).
     */
    @Test
    void aRefreshWhoseHookWasKilledBeforeItsCommitIsStillGated() {
        Cluster c = Cluster.kubernetes(CH, 1, 1);
        Cluster.Member worker = c.member(1);
        plansKubelet201OnASickWorker(c, worker);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\"]");

        c.killedHook(worker, peerChanged()); // refreshes; its memory, gate and report are lost
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(worker.unitStore.getOrDefault(RefreshMemory.KEY.name(), "")).isEmpty();
        assertThat(worker.databag.get("installed")).contains("\"kubelet\":{\"channel\":\"1.29/stable\",\"revision\":200}");

        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.status.message()).startsWith("checking health of kubelet (plan 1, attempt 1): /healthz 500");
        assertThat(worker.databag.getOrDefault("progress", "")).isEmpty();
        later(c, 3);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubelet 201 failed");
    }

    /**
     * The leader is the unit whose refreshing hook is killed before its commit (its kube-apiserver in, on a node sick
     * for it). In its next hook the leader decides before its own turn: its report then shows the plan's targets at
     * their last reported revisions while it is granted and not done, so it keeps its grant, gates and fails; the
     * workers are not granted meanwhile (seed 237137: counted done by its revisions, its grant freed, it settled `on
     * plan 1` without asking its node and the workers were granted over a sick API server).
     */
    @Test
    void aLeaderWhoseRefreshingHookWasKilledIsNotCountedDoneByItsOwnDecision() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200);
        Cluster.Member leader = c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100);
        Cluster.Member worker = c.add(1, Role.WORKER, "kubelet", CH, 200);
        c.settle();
        leader.machine.unhealthyAfterRefresh("kube-apiserver", FOREVER_500);
        c.store.publish("kube-apiserver", CH, 101).publish("kubelet", CH, 201);
        c.everyoneLooks();
        c.hook(leader, peerChanged()); // plans, grants itself
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");

        c.killedHook(leader, lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // refreshes; memory, gate, report lost
        assertThat(leader.machine.installedRevision("kube-apiserver")).contains(101);
        assertThat(leader.unitStore.getOrDefault(RefreshMemory.KEY.name(), "")).isEmpty();
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");

        c.hook(leader, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(leader.status.message()).startsWith("checking health of kube-apiserver (plan 1, attempt 1): "
                + "/readyz 500");
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");
        assertThat(leader.databag.get("installed")).contains("\"revision\":100");
        later(c, 3);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/0 kube-apiserver 101 failed");
        assertThat(worker.machine.installedRevision("kubelet")).contains(200);
    }

    /**
     * A worker's attempt fails on kubectl (undone) after its kubelet went in on a node sick for kubelet; the hook is
     * killed before its commit, and the leader halts on the failure its status told. With hold=false snapd's timer
     * then moves kubectl onto the target: the machine stands on every target with nothing to do. The halt names the
     * unit, so it shows the halt, never `verified` for the attempt that failed (seed 199179: it said `on plan 1
     * (attempt 1, verified)` and wrote a done report while its kubelet answered 500).
     */
    @Test
    void aUnitTheHaltNamesIsNeverVerifiedForTheFailedAttemptWhenSnapdsTimerBringsItOntoTheTargets() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100);
        Cluster.Member worker = c.add(1, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.settle();
        worker.machine.unhealthyAfterRefresh("kubelet", FOREVER_500);
        worker.machine.failAfterLink("kubectl", "start snap.kubectl.daemon.service failed");
        c.store.publish("kubelet", CH, 201).publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // plans
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // nothing to do itself: grants the worker
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\"]");

        c.killedHook(worker, peerChanged()); // kubelet goes in, kubectl is undone; its report is lost
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(worker.machine.installedRevision("kubectl")).contains(300);
        assertThat(worker.status.message()).startsWith("kubectl 301 failed (plan 1, attempt 1)");
        c.hook(c.member(0), peerChanged()); // halts on the failure its status told
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubectl 301 failed");
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.status.message()).startsWith("rollout halted at plan 1 on this unit");
        // The failure its status told is its report's again: on the targets or not, it is not done.
        assertThat(worker.databag.get("progress")).contains("\"phase\":\"failed\"").contains("\"snap\":\"kubectl\"");

        c.config.put("hold", false);
        c.hook(worker, lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
        assertThat(worker.machine.autoRefreshTick()).isNotEmpty();
        assertThat(worker.machine.installedRevision("kubectl")).contains(301);

        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.status.kind()).isEqualTo(Status.Kind.BLOCKED);
        assertThat(worker.status.message()).doesNotContain("verified");
        assertThat(worker.databag.get("progress")).contains("\"phase\":\"failed\"");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubectl 301 failed");
        assertThat(c.appData.get("grants")).as("a failed unit keeps its grant").isEqualTo("[\"snap-coherence/1\"]");

        // Resumed with the node still sick for kubelet: attempt 2 has nothing to refresh there, and is gated all the
        // same on the kubelet the failed attempt put in.
        c.action(c.member(0), "resume", Map.of());
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.status.message()).startsWith("checking health of kubelet (plan 1, attempt 2): /healthz 500");
        later(c, 3);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubelet 201 failed (plan 1): "
                + "node health check failed");
    }

    /**
     * A worker's kubelet goes in on a node that stays sick; its refreshing hook is killed before its commit, so its
     * gate runs on a machine already on the targets with no change to follow. Its machine then runs no hook for 50
     * minutes: the leader halts on it for silence. It comes back and shows the halt; the operator resumes, the node
     * still sick. The unit must finish its gate before it counts as done: the rollout halts on it again, the next
     * worker never refreshes, and the plan never completes (it was counted done by the revisions its halted hook
     * reported, and settled `on plan 1` without asking its node again).
     */
    @Test
    void aUnitSilentWhileItsGateRanIsNotCountedDoneAfterResumeWhileItsNodeIsStillSick() {
        Cluster c = Cluster.kubernetes(CH, 1, 2);
        Cluster.Member worker = c.member(1);
        Cluster.Member next = c.member(2);
        plansKubelet201OnASickWorker(c, worker);
        c.killedHook(worker, peerChanged()); // refreshes; its memory and report are lost
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.status.message()).startsWith("checking health of kubelet (plan 1, attempt 1): /healthz 500");
        assertThat(worker.unitStore.get("health-gate")).contains("\"failed\":1");

        // Its machine runs no hook for 50 minutes; the leader's watch halts on it.
        later(c, 50);
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.hook(next, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 granted and silent");
        later(c, 51);
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // back: shows the halt
        assertThat(worker.status.message()).startsWith("rollout halted at plan 1 on this unit");
        assertThat(worker.databag.get("installed")).as("not the revision its node has not answered healthy for")
                .contains("\"kubelet\":{\"channel\":\"1.29/stable\",\"revision\":200}");

        c.action(c.member(0), "resume", Map.of());
        neverVerifiedThenHaltedOn(c, worker, next, 52, 56, 2);
        assertThat(worker.machine.nodeUnhealthy("kubelet")).isTrue();
    }

    /**
     * A worker's kubelet goes in on a node that stays sick; its refreshing hook is killed before its commit, so it has
     * neither memory of the change nor a gate. In its next hook its own turn goes to verify, and snapd does not answer
     * in time (`snap services`): the turn ends waiting for snapd, having checked nothing. Its report must still not
     * show the targets, or the leader counts it done by its revisions, frees its grant, and it is never asked about its
     * node. Kept granted, it gates in a later hook and fails; the next worker is never refreshed.
     */
    @Test
    void aGrantedUnitWhoseVerifyingHookFindsSnapdSilentAfterItsRefreshingHookWasKilledIsNotCountedDone() {
        Cluster c = Cluster.kubernetes(CH, 1, 2);
        Cluster.Member worker = c.member(1);
        Cluster.Member next = c.member(2);
        plansKubelet201OnASickWorker(c, worker);
        assertThat(c.appData.get("grants")).contains("\"snap-coherence/1\"");
        c.killedHook(worker, peerChanged()); // refreshes; its memory, gate and report are lost
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(worker.unitStore.getOrDefault("health-gate", "")).isEmpty();

        worker.machine.noAnswerTo("snap services");
        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // its turn checks nothing
        assertThat(worker.unitStore.getOrDefault("health-gate", "")).isEmpty();
        assertThat(worker.databag.get("installed")).as("not the revision its node has not answered healthy for")
                .contains("\"kubelet\":{\"channel\":\"1.29/stable\",\"revision\":200}");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("grants")).as("not counted done by its revisions")
                .contains("\"snap-coherence/1\"");

        neverVerifiedThenHaltedOn(c, worker, next, 1, 4, 1);
    }

    /**
     * A worker's gate fails its attempt on a node sick for kubelet, and kubelet is then dropped from config snaps
     * (a snap dropped while its refresh ran is still the plan's change on the node). The operator resumes without
     * repairing the node: the new attempt has no memory of the change, and kubelet is no longer managed, but the
     * node still runs the plan's kubelet, so the gate asks it again (seeds 225422, wide 167573: `on plan 1 (attempt
     * 2, verified)` while the kubelet the plan put in answered 500).
     */
    @Test
    void aSnapDroppedFromSnapsAfterItsPlanPutItInIsStillGatedAfterResume() {
        Cluster c = Cluster.kubernetes(CH);
        Cluster.Member first = c.member(2);
        first.machine.unhealthyAfterRefresh("kubelet", FOREVER_500);
        c.store.publish("kubelet", CH, 201);
        c.settle();
        later(c, 3);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2 kubelet 201 failed");

        c.config.put("snaps", "kube-apiserver kubectl");
        c.settle();
        c.action(c.member(0), "resume", Map.of());
        for (int minutes = 4; minutes <= 8; minutes++) {
            later(c, minutes);
            c.settle();
            assertThat(first.status.message()).doesNotContain("verified");
        }
        assertThat(first.machine.installedRevision("kubelet")).contains(201);
        assertThat(first.machine.nodeUnhealthy("kubelet")).isTrue();
        assertThat(first.status.message()).startsWith("kubelet 201 failed (plan 1, attempt 2): node health check "
                + "failed");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2 kubelet 201 failed");
    }

    @Test
    void aRevertWhoseHookWasKilledIsStillRememberedSoTheNodeDoesNotTellTheRevisionItWentBackTo() {
        Cluster c = Cluster.kubernetes(CH);
        c.config.put("on-failure", "revert");
        Cluster.Member worker = c.member(2);
        worker.machine.unhealthyAfterRefresh("kubelet", FOREVER_500);
        c.store.publish("kubelet", CH, 201);
        c.settle();
        later(c, 3);
        // The hook in which the gate fails starts the revert, and is killed before its commit: the revert's id and
        // the failure are lost, snapd's revert is not.
        c.killedHook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.machine.installedRevision("kubelet")).contains(200);
        assertThat(worker.unitStore.getOrDefault("reverted", "")).isEmpty();

        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.status.message()).startsWith("kubelet 201 failed (plan 1, attempt 1): installed revision is "
                + "200 after the refresh");
        // snapd blocks 201 on that machine now: remembered, so its view leaves kubelet out (seed 2383).
        assertThat(worker.unitStore.get("reverted")).isEqualTo("{\"kubelet\":200}");
    }

    @Test
    void aControlPlaneUnitWhoseReadyzNeverAnswersHaltsBeforeAnyWorker() {
        Cluster c = Cluster.kubernetes(CH);
        c.member(1).machine.unhealthyAfterRefresh("kube-apiserver", new Sickness(true, -1));
        c.store.publish("kube-apiserver", CH, 101).publish("kubelet", CH, 201);
        c.settle();
        assertThat(c.member(1).machine.installedRevision("kube-apiserver")).contains(101);
        assertThat(c.member(1).status.message()).startsWith("checking health of kube-apiserver (plan 1, attempt 1): "
                + "/readyz no answer within 5.0 s");
        assertThat(c.firstRefreshIndex(Role.WORKER)).isEqualTo(Integer.MAX_VALUE);

        later(c, 3);
        c.settle();
        assertThat(c.member(1).status.message()).startsWith("kube-apiserver 101 failed (plan 1, attempt 1): node "
                + "health check failed");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kube-apiserver 101 failed");
        assertThat(c.firstRefreshIndex(Role.WORKER)).as("no worker refreshed").isEqualTo(Integer.MAX_VALUE);
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);
    }

    @Test
    void withHealthChecksOffNoEndpointIsAskedAndTheRolloutCompletes() {
        Cluster c = Cluster.kubernetes(CH);
        c.config.put("health-checks", false);
        c.members.values().forEach(m -> {
            m.machine.unhealthyAfterRefresh("kubelet", FOREVER_500);
            m.machine.unhealthyAfterRefresh("kube-apiserver", FOREVER_500);
        });
        c.store.publish("kube-apiserver", CH, 101).publish("kubelet", CH, 201);
        c.settle();
        later(c, 10);
        c.settle();
        assertThat(c.appStatus.message()).doesNotContain("halted");
        c.members.values().forEach(m -> {
            assertThat(m.machine.healthChecks()).as(m.unit).isZero();
            assertThat(m.status.message()).as(m.unit).startsWith("on plan 1");
        });
        assertThat(c.member(4).machine.installedRevision("kubelet")).contains(201);
    }

    @Test
    void aHealthChecksValueThatIsNotABooleanBlocksNamingTheOption() {
        Cluster c = Cluster.kubernetes(CH);
        c.config.put("health-checks", "yes");
        c.store.publish("kubelet", CH, 201);
        c.settle();
        assertThat(c.member(2).status).isEqualTo(Status.blocked(
                "invalid config: health-checks must be true or false, got yes"));
        assertThat(c.member(2).machine.installedRevision("kubelet")).contains(200);
    }

    @Test
    void aPlanWithoutSnapsThatServeAnEndpointAsksNothing() {
        Cluster c = Cluster.kubernetes(CH);
        c.store.publish("kubectl", CH, 301);
        c.settle();
        c.members.values().forEach(m -> {
            assertThat(m.machine.installedRevision("kubectl")).as(m.unit).contains(301);
            assertThat(m.machine.healthChecks()).as(m.unit).isZero();
        });
    }

    @Test
    void aGatePassingOnTheSecondHookReportsDone() {
        Cluster c = Cluster.kubernetes(CH);
        Cluster.Member worker = c.member(2);
        worker.machine.unhealthyAfterRefresh("kubelet", new Sickness(false, 1)); // one bad answer, then healthy
        c.store.publish("kubelet", CH, 201);
        c.everyoneLooks();
        for (int i = 0; i < 10 && worker.machine.installedRevision("kubelet").orElseThrow() == 200; i++) {
            c.hook(c.member(0), peerChanged());
            c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        }
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(worker.status).isEqualTo(Status.maintenance("checking health of kubelet (plan 1, attempt 1): "
                + "/healthz 500: [-]syncloop failed (failed check 1 of 3, at least 2 min apart); checked again on the "
                + "next hook"));
        assertThat(worker.unitStore.get("health-gate")).contains("\"failed\":1");

        c.hook(worker, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(worker.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(worker.databag.get("progress")).contains("\"phase\":\"done\"");
        assertThat(worker.databag.get("installed")).contains("\"revision\":201");
        assertThat(worker.machine.healthChecks()).isEqualTo(2);
        assertThat(worker.unitStore.getOrDefault("health-gate", "")).isEmpty();
        c.settle();
        c.members.values().stream().filter(m -> m.role == Role.WORKER).forEach(m ->
                assertThat(m.machine.installedRevision("kubelet")).as(m.unit).contains(201));
    }

    @Test
    void aSoakingCanaryWhoseApiServerStopsBeingReadySendsNoCheckAndHaltsTheRollout() {
        Cluster c = Cluster.kubernetes(CH, 3, 2); // snap-coherence/1 is the canary (the leader goes last)
        c.config.put("soak", "30m");
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        Cluster.Member canary = c.member(1);
        assertThat(canary.status.message()).startsWith("on plan 1; soaking until ");
        int before = canary.machine.healthChecks();
        assertThat(before).as("its refresh was gated").isPositive();

        // etcd goes away under the canary during its soak; its services stay active.
        canary.machine.unhealthy("kube-apiserver", FOREVER_500);
        later(c, 31);
        c.settle();
        assertThat(canary.machine.healthChecks()).isGreaterThan(before);
        assertThat(canary.status.message()).startsWith("checking health of kube-apiserver (plan 1, attempt 1): "
                + "/readyz 500: [-]etcd failed (failed check ");
        assertThat(canary.databag).as("no check of a node that is not healthy").doesNotContainKey("soak-check");
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);

        later(c, 35);
        c.settle();
        assertThat(canary.status.message()).startsWith("kube-apiserver 101 failed (plan 1, attempt 1): node health "
                + "check failed ").endsWith(": /readyz 500: [-]etcd failed (found while soaking)");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kube-apiserver 101 failed");
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);
    }

    @Test
    void aSoakingCanaryWhoseApiServerIsReadyAgainEndsItsSoak() {
        Cluster c = Cluster.kubernetes(CH, 3, 2);
        c.config.put("soak", "30m");
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        Cluster.Member canary = c.member(1);
        canary.machine.unhealthy("kube-apiserver", new Sickness(false, 1)); // one bad answer
        later(c, 31);
        c.hook(canary, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(canary.databag).doesNotContainKey("soak-check");
        c.hook(canary, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(canary.databag.get("soak-check")).contains("\"stage\":\"canary\"");
        c.settle();
        c.members.values().stream().filter(m -> m.role == Role.CONTROL_PLANE)
                .forEach(m -> assertThat(m.machine.installedRevision("kube-apiserver")).as(m.unit).contains(101));
    }

    /**
     * The worker's node answers /healthz 500 from its next kubelet refresh on; the proxy serves kubelet 201; the
     * leader (control-plane unit 0, through itself) plans it and grants the workers.
     */
    private static void plansKubelet201OnASickWorker(Cluster c, Cluster.Member worker) {
        worker.machine.unhealthyAfterRefresh("kubelet", FOREVER_500);
        c.store.publish("kubelet", CH, 201);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // plans
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // through itself, grants the workers
    }
}
