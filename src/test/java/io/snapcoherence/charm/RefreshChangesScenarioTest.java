package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.Status;
import io.snapcoherence.sim.RefreshEvent;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A refresh is a snapd change the unit follows to its end: done, failed in snapd's words, or waited for when
 * snapd or the store cannot be used now. Told as hooks on a few units whose simulated snapd behaves as the real one.
 */
class RefreshChangesScenarioTest {
    private static final String CH = "1.29/stable";
    private static final Event UPDATE_STATUS = lifecycle(Event.LifecycleKind.UPDATE_STATUS);

    /**
     * snap-coherence/0 (leader) alone on the control plane with kube-apiserver and kubectl, workers 1 and 2 with
     * kubelet and kubectl. {@code snap} gets {@code revision}: planned, the control plane through, workers 1 and 2
     * granted in that order.
     */
    private static Cluster workersGranted(String snap, int revision) {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.add(2, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.settle();
        c.store.publish(snap, CH, revision);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // reads the answers and plans
        c.hook(c.member(0), UPDATE_STATUS); // refreshes itself, grants the workers
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        return c;
    }

    private static long refreshesAsked(Cluster.Member m, String snap) {
        return m.machine.calls().stream().filter(call -> call.startsWith("snap refresh " + snap + " ")).count();
    }

    private static long changesMade(Cluster.Member m, String snap) {
        return m.machine.history().stream().filter(e -> e.snap().equals(snap)
                && e.cause() == RefreshEvent.Cause.REFRESH).count();
    }

    @Test
    void kubectlHasNoServicesAndIsDoneOnceItsChangeIs() {
        Cluster c = workersGranted("kubectl", 301);
        Cluster.Member worker = c.member(1);

        c.hook(worker, peerChanged());

        assertThat(worker.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(worker.databag.get("progress")).contains("\"phase\":\"done\"");
        // The services of every installed snap, never "the services of kubectl", which snapd refuses.
        assertThat(worker.machine.calls()).contains("snap services").noneMatch(call -> call.startsWith("snap services "));
    }

    @Test
    void aRevisionSnapdHasLinkedIsNotDoneUntilItsChangeIs() {
        Cluster c = workersGranted("kubectl", 301);
        Cluster.Member slow = c.member(1);
        slow.machine.changesTakeRounds(2);

        c.hook(slow, peerChanged());
        assertThat(slow.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);
        assertThat(slow.status.message()).startsWith("refreshing kubectl 301 (plan 1, attempt 1): snapd still at it since ");
        slow.machine.advanceChanges(); // link-snap: snap list shows 301, services not restarted yet
        assertThat(slow.machine.installedRevision("kubectl")).contains(301);

        c.hook(slow, UPDATE_STATUS);
        assertThat(slow.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);
        assertThat(slow.databag.get("installed")).contains("\"kubectl\":{\"channel\":\"1.29/stable\",\"revision\":300}");
        assertThat(slow.databag.getOrDefault("progress", "")).isEmpty();
        // So the next in line still counts it.
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).status).isEqualTo(Status.waiting("granted for plan 1 in line: 1 unit ahead not done yet"));
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);

        slow.machine.advanceChanges();
        c.hook(slow, UPDATE_STATUS);
        assertThat(slow.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(slow.databag.get("installed")).contains("\"revision\":301");
        assertThat(refreshesAsked(slow, "kubectl")).isEqualTo(1);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void aLeaderWhoseOwnChangeIsLinkedKeepsItsGrantAndGrantsNobodyUntilSnapdIsDone() {
        Cluster c = new Cluster();
        c.store.publish("kubectl", CH, 300);
        Cluster.Member leader = c.add(0, Role.CONTROL_PLANE, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubectl", CH, 300);
        c.settle();
        leader.machine.changesTakeRounds(2);
        c.store.publish("kubectl", CH, 301);
        // It looks and plans: its own view covers every channel, nobody else need look. Its own grant counts
        // from its next hook.
        c.hook(leader, UPDATE_STATUS);
        c.hook(leader, UPDATE_STATUS); // starts its change
        leader.machine.advanceChanges(); // linked: snap list shows 301

        c.hook(leader, UPDATE_STATUS);
        assertThat(leader.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");
        assertThat(c.appData.get("tally")).isEqualTo("[0,1,0,1]");

        leader.machine.advanceChanges();
        c.hook(leader, UPDATE_STATUS);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\"]");
    }

    /**
     * The leader counts itself as its peers do, by what it has reported: a change of its own that snapd finished
     * since its last hook is not done until its services are verified. Had it counted itself done before verifying,
     * it would free its own grant and open the worker tier, and its failure found a moment later would halt a
     * rollout whose control plane was never through (a failed unit keeps its grant and its place in the window).
     */
    @Test
    void aLeaderWhoseOwnRefreshFailsItsVerificationKeepsItsGrantAndOpensNoTier() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubectl", CH, 300);
        Cluster.Member leader = c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubectl", CH, 300);
        c.settle();
        leader.machine.changesTakeRounds(2);
        leader.machine.breakServicesAfterRefresh("kube-apiserver");
        c.store.publish("kube-apiserver", CH, 101);
        c.hook(leader, UPDATE_STATUS); // looks and plans (its view covers every channel); its grant counts next hook
        c.hook(leader, UPDATE_STATUS); // starts its change
        leader.machine.advanceChanges();
        leader.machine.advanceChanges(); // done: listed, services not checked yet

        c.hook(leader, UPDATE_STATUS);

        assertThat(leader.status.message()).startsWith("kube-apiserver 101 failed (plan 1, attempt 1): enabled services not active");
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");
        assertThat(c.appData.get("halt")).contains("snap-coherence/0");
        // The control plane is not through; the worker has nothing of this plan and counts as on it.
        assertThat(c.appData.get("tally")).isEqualTo("[0,1,1,1]");
    }

    @Test
    void aChangeUndoneAfterLinkSnapIsAFailureInSnapdsWordsAndIsNotRetried() {
        Cluster c = workersGranted("kubelet", 201);
        Cluster.Member worker = c.member(1);
        worker.machine.changesTakeRounds(2).failAfterLink("kubelet", "[start snap.kubelet.daemon.service] failed");

        c.hook(worker, peerChanged());
        worker.machine.advanceChanges();
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.status.kind()).isEqualTo(Status.Kind.MAINTENANCE); // linked, not done
        worker.machine.advanceChanges(); // services fail to start: snapd undoes the change
        c.hook(worker, UPDATE_STATUS);

        assertThat(worker.machine.installedRevision("kubelet")).contains(200);
        assertThat(worker.status).isEqualTo(Status.blocked("kubelet 201 failed (plan 1, attempt 1): cannot perform the following "
                + "tasks: - Start snap \"kubelet\" (201) services ([start snap.kubelet.daemon.service] failed)"));
        assertThat(worker.databag.get("progress")).contains("\"phase\":\"failed\"");
        c.settle();
        assertThat(refreshesAsked(worker, "kubelet")).isEqualTo(1);
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kubelet 201 failed");
        assertThat(c.member(2).machine.installedRevision("kubelet")).contains(200);
    }

    @Test
    void aHookKilledAfterStartingAChangeNeitherStartsASecondNorReportsDoneWhileItRuns() {
        Cluster c = workersGranted("kubelet", 201);
        Cluster.Member worker = c.member(1);
        worker.machine.changesTakeRounds(3);

        c.killedHook(worker, peerChanged()); // the change runs on; its id died with the hook's writes
        assertThat(worker.unitStore.getOrDefault(RefreshMemory.KEY.name(), "")).isEmpty();
        c.hook(worker, UPDATE_STATUS); // snapd refuses a second change; the unit finds and follows the first
        assertThat(worker.status.message()).startsWith("refreshing kubelet 201 (plan 1, attempt 1): snapd still at it");
        assertThat(worker.unitStore.get(RefreshMemory.KEY.name())).contains("\"kubelet\":\"1\"");

        c.killedHook(worker, UPDATE_STATUS); // nothing lost this time: memory was committed before
        worker.machine.advanceChanges();
        worker.machine.advanceChanges(); // linked, still Doing
        Map<String, String> forgotten = new LinkedHashMap<>(worker.unitStore);
        forgotten.remove(RefreshMemory.KEY.name()); // as if every hook since the start had been killed
        worker.unitStore = forgotten;
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(worker.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);
        assertThat(worker.databag.get("installed")).contains("\"kubelet\":{\"channel\":\"1.29/stable\",\"revision\":200}");
        assertThat(worker.databag.getOrDefault("progress", "")).isEmpty();

        worker.machine.advanceChanges();
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(changesMade(worker, "kubelet")).isEqualTo(1);
    }

    @Test
    void aRefreshWhoseAnswerWasLostIsFoundAgainAndNotStartedTwice() {
        Cluster c = workersGranted("kubelet", 201);
        Cluster.Member worker = c.member(1);
        worker.machine.changesTakeRounds(2);
        worker.machine.noAnswerTo("snap refresh kubelet");

        c.hook(worker, peerChanged());
        assertThat(worker.status.kind()).isEqualTo(Status.Kind.WAITING);
        assertThat(worker.status.message()).startsWith("refresh for plan 1 waiting since " + c.lastHookAt + ": no "
                + "answer from snapd in time").endsWith("; trying again on the next hook");
        assertThat(worker.databag.getOrDefault("progress", "")).isEmpty();

        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.status.kind()).isEqualTo(Status.Kind.MAINTENANCE);
        worker.machine.advanceChanges();
        worker.machine.advanceChanges();
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(changesMade(worker, "kubelet")).isEqualTo(1);
    }

    @Test
    void aConflictingChangeIsWaitedForInLineAndIsNoFailure() {
        Cluster c = workersGranted("kubelet", 201);
        Cluster.Member worker = c.member(1);
        worker.machine.startOtherChange("kubelet", "configure-snap", 2); // the principal's `snap set kubelet ...`

        c.hook(worker, peerChanged());
        assertThat(worker.status).isEqualTo(Status.waiting("refresh for plan 1 waiting since " + c.lastHookAt + ": "
                + "snap \"kubelet\" has \"configure-snap\" change in progress; trying again on the next hook"));
        assertThat(worker.databag.getOrDefault("progress", "")).isEmpty();
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("grants")).contains("snap-coherence/1");
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).machine.installedRevision("kubelet")).contains(200);

        worker.machine.advanceChanges();
        worker.machine.advanceChanges();
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        c.settle();
        c.members.values().stream().filter(m -> m.role == Role.WORKER)
                .forEach(m -> assertThat(m.machine.installedRevision("kubelet")).contains(201));
    }

    @Test
    void anUnreachableStoreOrSnapdIsWaitedForAndIsNoFailure() {
        Cluster c = workersGranted("kubelet", 201);
        Cluster.Member first = c.member(1);
        c.store.setOutage(true);
        c.hook(first, peerChanged());
        assertThat(first.status.kind()).isEqualTo(Status.Kind.WAITING);
        assertThat(first.status.message()).contains("store unreachable: cannot refresh \"kubelet\": ",
                "connect: connection refused");
        c.store.setOutage(false);
        c.hook(first, UPDATE_STATUS);
        assertThat(first.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));

        Cluster.Member second = c.member(2);
        second.machine.install("snapd", "latest/stable", 21759).autoRefreshSnapd(1);
        second.machine.advanceChanges(); // snapd restarts into its new revision
        c.hook(second, peerChanged());
        assertThat(second.status.kind()).isEqualTo(Status.Kind.WAITING);
        assertThat(second.status.message()).startsWith("cannot read snapd: snapd unavailable: ");
        second.machine.advanceChanges();
        c.hook(second, UPDATE_STATUS);
        assertThat(second.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        c.settle();
        assertThat(c.appData.getOrDefault("halt", "")).isEmpty();
    }

    @Test
    void anUnreachableStoreStopsTheHookFromAskingForMoreRefreshes() {
        // snapd retries a store it cannot reach for about 32 s before it answers (docs/real-snapd.md): a hook that
        // went on to the next target would wait that long once per snap.
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100);
        Cluster.Member worker = c.add(1, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.settle();
        c.store.publish("kubelet", CH, 201).publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        c.hook(c.member(0), UPDATE_STATUS);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\"]");
        c.store.setOutage(true);

        c.hook(worker, peerChanged());

        assertThat(worker.status.kind()).isEqualTo(Status.Kind.WAITING);
        assertThat(worker.machine.calls().stream().filter(call -> call.startsWith("snap refresh ")
                && call.contains("--revision=")).count()).isEqualTo(1);
        c.store.setOutage(false);
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
    }

    @Test
    void anUnreadableAnswerIsWaitedForAndNothingIsReportedFromAHalfReadMachine() {
        Cluster c = workersGranted("kubelet", 201);
        Cluster.Member worker = c.member(1);
        worker.machine.garbledAnswerTo("snap services");

        c.hook(worker, peerChanged());
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(worker.status.kind()).isEqualTo(Status.Kind.WAITING);
        assertThat(worker.status.message()).contains("unreadable answer from snapd to snap services");
        assertThat(worker.databag.get("installed")).contains("\"revision\":200");
        assertThat(worker.databag.getOrDefault("progress", "")).isEmpty();

        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(changesMade(worker, "kubelet")).isEqualTo(1);
    }

    @Test
    void aShortenedChannelIsBadSnapdOutputAndNeverPassedBack() {
        Cluster c = new Cluster();
        c.store.publish("kubectl", CH, 300);
        Cluster.Member unit = c.add(0, Role.WORKER, "kubectl", "1.29/edge/fix-…", 300);

        c.hook(unit, peerChanged());

        assertThat(unit.status).isEqualTo(Status.waiting("cannot read snapd: unreadable answer from snapd to "
                + "GET /v2/snaps: snap kubectl tracks a shortened channel \"1.29/edge/fix-…\"; trying again on the next "
                + "hook"));
        assertThat(unit.databag).isEmpty();
    }

    @Test
    void withRevertTheRevertIsAChangeFollowedLikeARefresh() {
        Cluster c = workersGranted("kubelet", 201);
        c.config.put("on-failure", "revert");
        Cluster.Member worker = c.member(1);
        worker.machine.changesTakeRounds(1).breakServicesAfterRefresh("kubelet");

        c.hook(worker, peerChanged());
        worker.machine.advanceChanges(); // Done, but the service does not stay up
        c.hook(worker, UPDATE_STATUS); // verification fails: a revert change starts
        assertThat(worker.status.message()).startsWith("reverting kubelet (plan 1, attempt 1): snapd still at it since ");
        assertThat(worker.databag.get("installed")).contains("\"revision\":200");
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).machine.installedRevision("kubelet")).contains(200); // still counted as busy

        worker.machine.advanceChanges();
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.machine.installedRevision("kubelet")).contains(200);
        assertThat(worker.machine.calls()).contains("snap revert kubelet");
        assertThat(worker.databag.get("progress")).contains("\"phase\":\"reverted\"");
        assertThat(worker.status.message()).startsWith("kubelet 201 failed (plan 1, attempt 1): enabled services not active: "
                + "kubelet.daemon");
    }

    @Test
    void aRevertStartedBeforeOnFailureTurnsToHaltIsFollowedToItsEndAndRemembered() {
        Cluster c = workersGranted("kubelet", 201);
        c.config.put("on-failure", "revert");
        Cluster.Member worker = c.member(1);
        worker.machine.changesTakeRounds(1).breakServicesAfterRefresh("kubelet");
        c.hook(worker, peerChanged());
        worker.machine.advanceChanges();
        c.hook(worker, UPDATE_STATUS); // verification fails: a revert change starts
        assertThat(worker.status.message()).startsWith("reverting kubelet (plan 1, attempt 1)");

        // The operator turns on-failure to halt while snapd reverts: the revert still ends, and the machine,
        // back on 200 with 201 blocked by snapd, leaves kubelet out of its view.
        c.config.put("on-failure", "halt");
        worker.machine.advanceChanges();
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.machine.installedRevision("kubelet")).contains(200);
        assertThat(worker.databag.get("progress")).contains("\"phase\":\"reverted\"");
        assertThat(worker.unitStore.get("reverted")).isEqualTo("{\"kubelet\":200}");
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.databag.getOrDefault("offers", "")).doesNotContain("\"kubelet 1.29/stable\":200");
    }
}
