package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.Status;
import io.snapcoherence.sim.RefreshEvent;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

class RolloutScenarioTest {
    private static final String CH = "1.29/stable";

    private static Cluster kubernetes() {
        return Cluster.kubernetes(CH);
    }

    /**
     * A worker's kubelet refresh for the plan is running when the operator drops kubelet from {@code snaps}; its
     * kubectl is already on the target. Its report now leaves kubelet out and shows kubectl on the plan's revision,
     * yet the change the plan started is still on the node: the unit follows it to its end, the leader keeps its
     * grant and the next worker waits (with {@code max-unavailable} 1) until the unit says done.
     */
    @Test
    void aUnitWhoseDroppedSnapIsStillRefreshingIsNotCountedDoneByItsOtherTargets() {
        Cluster c = Cluster.kubernetes(CH, 1, 2);
        Cluster.Member first = c.member(1);
        Cluster.Member next = c.member(2);
        first.machine.changesTakeRounds(2);
        first.machine.startOtherChange("kubelet", "configure-snap", 1); // the principal's `snap set kubelet ...`
        c.store.publish("kubelet", CH, 201).publish("kubectl", CH, 301);
        c.settle(); // the control plane is through; the first worker starts kubectl, kubelet waits in line
        first.machine.advanceChanges();
        first.machine.advanceChanges();
        c.settle(); // kubectl is on 301; the kubelet refresh starts
        assertThat(first.machine.installedRevision("kubectl")).contains(301);
        assertThat(first.machine.changeInProgress("kubelet")).isTrue();

        c.config.put("snaps", "kube-apiserver kubectl");
        c.settle();

        assertThat(first.status.message()).startsWith("refreshing kubelet 201 (plan 1, attempt 1): snapd still at it");
        assertThat(first.databag.getOrDefault("progress", "")).doesNotContain("done");
        assertThat(c.appData.get("grants")).contains("\"snap-coherence/1\"");
        assertThat(next.machine.installedRevision("kubectl")).as("the next worker waits").contains(300);

        first.machine.advanceChanges();
        first.machine.advanceChanges();
        c.settle();

        assertThat(first.machine.installedRevision("kubelet")).contains(201);
        assertThat(first.status.message()).isEqualTo("on plan 1 (attempt 1, verified)");
        assertThat(next.machine.installedRevision("kubectl")).contains(301);
        assertThat(c.appData.get("plan")).contains("\"complete\":true");
    }

    /**
     * Seed 334233: kubectl is dropped from {@code snaps} after plan 1 (kube-apiserver 101, kubectl 301) is made and
     * before control-plane unit 1 refreshes; it refreshes kube-apiserver alone and reports done. kubectl is managed
     * again while the leader's own refresh still runs. Unit 1's done did not cover kubectl, so nobody counts it for
     * kubectl: no worker moves kubectl while unit 1 runs 300, the leader halts naming unit 1, and after the
     * operator's resume unit 1 refreshes kubectl before any worker does.
     */
    @Test
    void aControlPlaneUnitDoneWhileASnapWasNotManagedMovesOnItBeforeAnyWorker() {
        Cluster c = Cluster.kubernetes(CH, 2, 2);
        Cluster.Member leader = c.member(0);
        Cluster.Member unit1 = c.member(1);
        leader.machine.changesTakeRounds(3); // the leader's own refresh outlasts the config change
        c.store.publish("kube-apiserver", CH, 101).publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(leader, peerChanged());
        assertThat(c.appData.get("plan")).contains("\"kubectl\"", "301", "\"complete\":false");

        c.config.put("snaps", "kube-apiserver kubelet");
        for (int i = 0; i < 3 && !unit1.databag.getOrDefault("progress", "").contains("done"); i++) {
            c.hook(leader, peerChanged());
            c.hook(unit1, peerChanged());
        }
        assertThat(unit1.machine.installedRevision("kube-apiserver")).contains(101);
        assertThat(unit1.machine.installedRevision("kubectl")).contains(300);
        assertThat(unit1.databag).containsEntry("covers", "[\"kube-apiserver\",\"kubelet\"]");
        assertThat(unit1.status.message()).isEqualTo("on plan 1 (attempt 1) for the snaps it manages; not kubectl");

        c.config.put("snaps", "kube-apiserver kubelet kubectl");
        for (int i = 0; i < 4; i++) {
            leader.machine.advanceChanges();
            c.settle();
        }

        assertThat(c.member(2).machine.installedRevision("kubectl")).as("no worker moves kubectl").contains(300);
        assertThat(c.member(3).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.appData.get("halt")).contains("snap-coherence/1")
                .contains("done with plan 1 (attempt 1) while kubectl was not in snaps");
        assertThat(unit1.status).isEqualTo(Status.blocked("rollout halted at plan 1 on this unit: done with plan 1 "
                + "(attempt 1) while kubectl was not in snaps: never refreshed for it; resume refreshes it; run the "
                + "resume action to retry it"));

        c.action(leader, "resume", Map.of());
        for (int i = 0; i < 4; i++) {
            leader.machine.advanceChanges();
            c.settle();
        }

        assertThat(unit1.machine.installedRevision("kubectl")).contains(301);
        int unit1Kubectl = c.timeline.indexOf(new RefreshEvent(unit1.machine.name(), "kubectl", CH, 300, 301,
                RefreshEvent.Cause.REFRESH));
        assertThat(unit1Kubectl).isGreaterThanOrEqualTo(0).isLessThan(c.firstRefreshIndex(Role.WORKER));
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
        assertThat(c.appData.get("plan")).contains("\"complete\":true");
    }

    @Test
    void aNewRevisionRollsOutControlPlaneFirstThenWorkersOneAtATime() {
        Cluster c = kubernetes();
        assertThat(c.appStatus).isEqualTo(Status.active("up to date"));
        c.store.publish("kubectl", CH, 301);
        c.settle();

        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
        assertThat(c.lastRefreshIndex(Role.CONTROL_PLANE)).isLessThan(c.firstRefreshIndex(Role.WORKER));
        assertThat(c.timeline).allMatch(e -> e.cause() == RefreshEvent.Cause.REFRESH);
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 1)"));
        assertThat(c.member(3).status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
        assertThat(c.appData).containsEntry("grants", "[]");
    }

    @Test
    void ownRelationWritesStayWithinFourPerUnitPerPlan() {
        Cluster c = kubernetes();
        c.members.values().forEach(m -> m.relationWrites = 0);
        c.store.publish("kubectl", CH, 301);
        c.settle();
        c.members.values().stream().filter(m -> !m.unit.equals(c.leader))
                .forEach(m -> assertThat(m.relationWrites).as(m.unit).isLessThanOrEqualTo(4));
        // The leader also writes the app databag: about once per batch (2 + 3 batches at max-unavailable 1).
        assertThat(c.member(0).relationWrites).isLessThanOrEqualTo(4 + 5);
        // Quiet hooks write nothing.
        c.members.values().forEach(m -> m.relationWrites = 0);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.relationWrites).as(m.unit).isZero());
    }

    @Test
    void aSnapInstalledOnlyOnWorkersIsRolledOut() {
        Cluster c = kubernetes();
        c.store.publish("kubelet", CH, 201);
        c.settle();
        for (int n = 2; n < 5; n++) {
            assertThat(c.member(n).machine.installedRevision("kubelet")).contains(201);
        }
        assertThat(c.firstRefreshIndex(Role.CONTROL_PLANE)).isEqualTo(Integer.MAX_VALUE);
        // Each unit asks what a refresh of its own snaps would get (the workers, what kubelet's gets); nobody asks
        // for a channel map.
        assertThat(c.member(2).machine.calls()).contains("snap refresh --list");
        c.members.values().forEach(m -> assertThat(m.machine.calls()).noneMatch(call -> call.startsWith("snap info")));
    }

    @Test
    void anOverrideToAnOlderRevisionDowngradesEveryUnit() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 290).publish("kubectl", CH, 300);
        c.store.publish("kubectl", CH, 290);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(290));
        assertThat(c.member(4).machine.calls()).contains("snap refresh kubectl --channel=1.29/stable --revision=290");
    }

    @Test
    void unitsOnDifferentChannelsEachGetTheirChannelsRevision() {
        Cluster c = new Cluster();
        c.store.publish("kubectl", "1.29/stable", 300).publish("kubectl", "1.30/stable", 400);
        c.add(0, Role.CONTROL_PLANE, "kubectl", "1.29/stable", 300);
        c.add(1, Role.WORKER, "kubectl", "1.30/stable", 400);
        c.settle();
        c.store.publish("kubectl", "1.29/stable", 301).publish("kubectl", "1.30/stable", 401);
        c.settle();
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.member(1).machine.installedRevision("kubectl")).contains(401);
    }

    @Test
    void aFailedRefreshHaltsTheRolloutUntilResume() {
        Cluster c = kubernetes();
        c.member(2).machine.failRefresh("kubelet", "download failed", false);
        c.store.publish("kubelet", CH, 201);
        c.settle();

        // snapd's own words for the change that failed, on one line.
        assertThat(c.member(2).status).isEqualTo(Status.blocked("kubelet 201 failed (plan 1, attempt 1): cannot perform the "
                + "following tasks: - Download snap \"kubelet\" (201) from channel \"1.29/stable\" (download failed)"));
        assertThat(c.appStatus.kind()).isEqualTo(Status.Kind.BLOCKED);
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/2 kubelet 201 failed")
                .contains("run the resume action to retry it, or the refresh action to replace the plan");
        // Nobody else started after the failure.
        assertThat(c.member(3).machine.installedRevision("kubelet")).contains(200);
        assertThat(c.member(4).machine.installedRevision("kubelet")).contains(200);
        assertThat(c.member(3).status.message()).contains("halted at plan 1");

        ModelState out = c.action(c.member(0), "resume", Map.of());
        assertThat(out.action().failure()).isEmpty();
        assertThat(out.action().results()).containsEntry("halted", "false");
        c.settle();
        for (int n = 2; n < 5; n++) {
            assertThat(c.member(n).machine.installedRevision("kubelet")).contains(201);
        }
        assertThat(c.member(2).status).isEqualTo(Status.active("on plan 1 (attempt 2, verified)"));
    }

    @Test
    void withRevertAFailedVerificationRevertsAndHalts() {
        Cluster c = kubernetes();
        c.config.put("on-failure", "revert");
        c.store.publish("kube-apiserver", CH, 101);
        // snap-coherence/1 goes first: the leader (0) is granted last in its tier.
        c.member(1).machine.breakServicesAfterRefresh("kube-apiserver");
        c.settle();

        assertThat(c.member(1).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.member(1).machine.calls()).contains("snap revert kube-apiserver");
        assertThat(c.member(1).databag.get("progress")).contains("\"phase\":\"reverted\"");
        assertThat(c.member(1).status.message()).startsWith("kube-apiserver 101 failed (plan 1, attempt 1): enabled services");
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.appStatus.message()).startsWith("halted at plan 1");
        assertThat(c.timeline).noneMatch(e -> e.machine().equals("machine-2"));
    }

    @Test
    void aRefreshRequestedWhilePausedMakesAPlanThatWaitsForResume() {
        Cluster c = kubernetes();
        c.config.put("auto-refresh", false);
        c.store.publish("kubectl", CH, 301);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("updates available: kubectl 301");
        assertThat(c.timeline).isEmpty();

        assertThat(c.action(c.member(0), "pause", Map.of()).action().results()).containsEntry("paused", "true");
        ModelState refreshed = c.action(c.member(0), "refresh", Map.of("snaps", "kubectl"));
        // The units asked look at what the proxy serves now; the plan follows once they have answered.
        assertThat(refreshed.action().results()).containsEntry("plan-created", "false")
                .containsEntry("refresh-queued", "true");
        c.askedAnswer();
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("plan")).contains("\"id\":1").contains("\"revision\":301");
        assertThat(c.appData.get("grants")).isEqualTo("[]");
        c.settle();
        assertThat(c.timeline).isEmpty();
        assertThat(c.appStatus.message()).startsWith("paused at plan 1");

        c.action(c.member(0), "resume", Map.of());
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void aRefreshRequestedDuringARolloutRunsAsTheNextPlan() {
        Cluster c = kubernetes();
        c.config.put("auto-refresh", false);
        c.store.publish("kubectl", CH, 301);
        c.action(c.member(0), "refresh", Map.of());
        c.askedAnswer();
        c.hook(c.member(0), peerChanged());
        c.hook(c.member(1), peerChanged());
        assertThat(c.appData.get("plan")).contains("\"id\":1");

        // kubelet 201 is published while plan 1 runs; the operator asks for it at once.
        c.store.publish("kubelet", CH, 201);
        ModelState asked = c.action(c.member(0), "refresh", Map.of("snaps", "kubelet"));
        assertThat(asked.action().results()).containsEntry("plan-created", "false").containsEntry("plan.id", "1")
                .containsEntry("refresh-queued", "true");
        assertThat(c.appStatus.message()).endsWith("a requested refresh follows");
        c.settle();
        assertThat(c.appData.get("plan")).contains("\"id\":2").contains("kubelet").contains("\"complete\":true");
        assertThat(c.appData.getOrDefault("requested", "")).isEmpty();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
        for (int n = 2; n < 5; n++) {
            assertThat(c.member(n).machine.installedRevision("kubelet")).contains(201);
        }
    }

    @Test
    void aNewLeaderContinuesThePlanWithoutExtraGrants() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        // The leader planned and granted the other control-plane unit first; it goes last in its tier.
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/0\"]");
        c.hook(c.member(1), peerChanged());
        assertThat(c.member(1).machine.installedRevision("kubectl")).contains(301);
        c.hook(c.member(4), peerChanged());
        assertThat(c.member(4).status).isEqualTo(Status.waiting("queued for plan 1 (control plane 0/2 done)"));

        // snap-coherence/1 is done; the new leader frees its grant and grants the last control-plane unit only.
        c.leader = "snap-coherence/3";
        c.hook(c.member(3), Cluster.lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/0\"]");
        assertThat(c.appData.get("plan")).contains("\"id\":1");
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
        assertThat(c.lastRefreshIndex(Role.CONTROL_PLANE)).isLessThan(c.firstRefreshIndex(Role.WORKER));
    }

    /**
     * snap-coherence/0 (leader) alone on the control plane and workers 1 to 4, max-unavailable 1; kubectl 301 is
     * planned, the leader is through, and workers 1 and 2 are granted, in that order.
     */
    private static Cluster workersInLine() {
        Cluster c = new Cluster();
        c.store.publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kubectl", CH, 300);
        for (int n = 1; n < 5; n++) {
            c.add(n, Role.WORKER, "kubectl", CH, 300);
        }
        c.settle();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // reads the answers and plans; its own grant counts from the next hook
        c.hook(c.member(0), Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // refreshes, grants workers
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        return c;
    }

    @Test
    void theNextGrantedUnitStartsOnItsPredecessorsDoneReportWithoutWaitingForTheLeader() {
        Cluster c = workersInLine();

        // max-unavailable 1: the second granted worker waits for the first.
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.member(2).status).isEqualTo(Status.waiting("granted for plan 1 in line: 1 unit ahead not done yet"));
        c.hook(c.member(1), peerChanged());
        assertThat(c.member(1).machine.installedRevision("kubectl")).contains(301);
        // The hook that reads snap-coherence/1's done report starts snap-coherence/2; no leader hook in between.
        c.hook(c.member(2), peerChanged());
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/2\"]");
        c.hook(c.member(3), peerChanged());
        assertThat(c.member(3).machine.installedRevision("kubectl")).contains(300);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void pauseStopsUnitsInLineAndResumeLetsThemGo() {
        Cluster c = workersInLine();
        c.hook(c.member(1), peerChanged());
        assertThat(c.member(1).machine.installedRevision("kubectl")).contains(301);

        assertThat(c.action(c.member(0), "pause", Map.of()).action().failure()).isEmpty();
        // snap-coherence/2 is granted and next in line, but has not started: it waits.
        c.settle();
        assertThat(c.appData.get("grants")).contains("snap-coherence/2");
        assertThat(c.member(2).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.member(2).status).isEqualTo(Status.waiting("rollout paused at plan 1; granted, starts after resume"));
        assertThat(c.appStatus.message()).startsWith("paused at plan 1");

        assertThat(c.action(c.member(0), "resume", Map.of()).action().failure()).isEmpty();
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void aDepartedUnitsGrantIsFreed() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\",\"snap-coherence/0\"]");
        c.members.remove("snap-coherence/1");
        c.hook(c.member(0), new Event.Relation("coherence", Event.RelationKind.DEPARTED, Cluster.PEER,
                java.util.Optional.of("snap-coherence/1"), java.util.Optional.of("snap-coherence"),
                java.util.Optional.of("snap-coherence/1")));
        // Freed: the leader, on its grant committed with the plan, refreshed itself and granted the workers.
        assertThat(c.member(0).machine.installedRevision("kubectl")).contains(301);
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/2\",\"snap-coherence/3\"]");
    }

    @Test
    void malformedPeerDataIsReportedNotMisreadAndHealsWhenTheUnitWritesAgain() {
        Cluster c = kubernetes();
        c.store.publish("kubelet", CH, 201);
        c.everyoneLooks();
        c.member(3).databag = Map.of("schema", "2", "role", "worker", "installed", "[]");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appStatus.message()).contains("unreadable peer data from snap-coherence/3: schema 2");
        // Workers wait while a unit's role cannot be read: it could be control plane.
        assertThat(c.appData.get("grants")).isEqualTo("[]");
        c.settle();
        for (int n = 2; n < 5; n++) {
            assertThat(c.member(n).machine.installedRevision("kubelet")).contains(201);
        }
    }

    @Test
    void aStoreOutageMakesNoPlanAndFailsNoHook() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.store.setOutage(true);
        c.everyoneLooks(); // every hook exits 0 (Cluster.run checks)
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.getOrDefault("plan", "")).isEmpty();
        // No view now: each unit says so, and nothing is planned from what nobody saw.
        assertThat(c.member(3).status).isEqualTo(Status.active("up to date; cannot check what the store serves: "
                + "store unreachable: cannot list updates: Post \"https://api.snapcraft.io/v2/snaps/refresh\": dial tcp api.snapcraft.io:443: connect: connection refused"));
        assertThat(c.appStatus).isEqualTo(Status.active("up to date"));
        c.store.setOutage(false);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void aUnitAlreadyOnTargetReportsDoneWithoutRefreshing() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        // snap-coherence/1's machine got there in a hook whose writes were lost.
        c.member(1).machine.startRefresh("kubectl", CH, 301);
        int calls = c.member(1).machine.calls().size();
        c.hook(c.member(1), peerChanged());
        assertThat(c.member(1).machine.calls().subList(calls, c.member(1).machine.calls().size()))
                .noneMatch(call -> call.startsWith("snap refresh kubectl"));
        assertThat(c.member(1).databag.get("progress")).contains("\"phase\":\"done\"");
        assertThat(c.member(1).status).isEqualTo(Status.active("on plan 1 (attempt 1, verified)"));
    }

    @Test
    void theManagedSnapsAreHeldAndReleasedWithHoldFalseAndOnRemoval() {
        Cluster c = kubernetes();
        assertThat(c.member(2).machine.isHeld("kubelet")).isTrue();
        c.config.put("hold", false);
        c.hook(c.member(2), Cluster.lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
        assertThat(c.member(2).machine.isHeld("kubelet")).isFalse();
        c.config.put("hold", true);
        c.hook(c.member(2), Cluster.lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
        assertThat(c.member(2).machine.isHeld("kubelet")).isTrue();
        int holds = (int) c.member(2).machine.calls().stream().filter(x -> x.contains("--hold")).count();
        c.hook(c.member(2), Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.member(2).machine.calls().stream().filter(x -> x.contains("--hold")).count()).isEqualTo(holds);
        // The container relation is gone before stop: the holds are released all the same.
        Cluster.Member leaving = c.member(2);
        ModelState atStop = c.stateOf(leaving, ModelState.ActionState.none()).withRelations(
                c.stateOf(leaving, ModelState.ActionState.none()).relations("coherence"));
        var tools = new io.snapcoherence.juju.StateHookTools(atStop);
        int exit = CharmRunner.run(new io.snapcoherence.juju.JujuContext(leaving.unit, "m", java.nio.file.Path.of("."),
                java.util.Optional.empty(), Cluster.lifecycle(Event.LifecycleKind.STOP)), tools, leaving.machine,
                leaving.machine, c.proxy, leaving.machine, Scenario.FIXED_CLOCK);
        assertThat(exit).isZero();
        assertThat(c.member(2).machine.isHeld("kubelet")).isFalse();
        assertThat(c.member(2).machine.isHeld("kubectl")).isFalse();
    }

    @Test
    void thePlanActionShowsTargetsAndOrderAndChangesNothing() {
        Cluster c = kubernetes();
        c.config.put("auto-refresh", false);
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // what the units saw is in the app databag: updates available
        Cluster.Member worker = c.member(3);
        ModelState before = c.stateOf(worker, ModelState.ActionState.of("plan", Map.of()));
        ModelState out = c.action(worker, "plan", Map.of());
        assertThat(out.action().failure()).isEmpty();
        assertThat(out.action().results()).containsEntry("targets.0.snap", "kubectl")
                .containsEntry("targets.0.revision", "301").containsEntry("plan.active", "false")
                .containsEntry("order.control-plane", "snap-coherence/0 snap-coherence/1")
                .containsEntry("order.worker", "snap-coherence/2 snap-coherence/3 snap-coherence/4");
        assertThat(out.relations()).isEqualTo(before.relations());
        assertThat(out.unitStore()).isEqualTo(before.unitStore());
        assertThat(worker.machine.calls()).noneMatch(call -> call.startsWith("snap refresh kubectl"));
    }

    @Test
    void refreshOnANonLeaderFailsSayingToUseTheLeader() {
        Cluster c = kubernetes();
        ModelState out = c.action(c.member(2), "refresh", Map.of());
        assertThat(out.action().failure()).hasValueSatisfying(m -> assertThat(m).contains("run it on the leader"));
        ModelState bad = c.action(c.member(0), "refresh", Map.of("snaps", "firefox"));
        assertThat(bad.action().failure()).hasValueSatisfying(m -> assertThat(m).contains("not managed"));
    }

    @Test
    void aControlPlaneUnitWithBrokenServicesKeepsWorkersBackEvenAfterResume() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.member(0).machine.breakServicesAfterRefresh("kube-apiserver");
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        assertThat(c.member(0).status.message()).startsWith("kube-apiserver 101 failed (plan 1, attempt 1)");

        c.action(c.member(0), "resume", Map.of());
        c.settle();
        // Still on 101 with its service down: verified again, failed again, workers never started.
        assertThat(c.member(0).status.message()).startsWith("kube-apiserver 101 failed (plan 1, attempt 2)");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1");
        assertThat(c.firstRefreshIndex(Role.WORKER)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void noPlannedRefreshBeforeTheProxyIsRegistered() {
        Cluster c = kubernetes();
        c.config.put("proxy-url", "http://snap-proxy.internal");
        c.proxy.setMode(io.snapcoherence.sim.SimulatedProxy.Mode.DOWN);
        c.store.publish("kubectl", CH, 301);
        c.settle();
        // No node is on the proxy: what they see is not what the proxy serves, nothing is planned from it, and no
        // unit refreshes (I6).
        assertThat(c.appData.getOrDefault("plan", "")).isEmpty();
        assertThat(c.appStatus.message()).contains("no registered unit of amd64 has reported what the proxy serves "
                + "yet");
        assertThat(c.timeline).isEmpty();

        c.proxy.setMode(io.snapcoherence.sim.SimulatedProxy.Mode.OK);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.systemConfig()).containsEntry("proxy.store", "store-1"));
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).contains(301));
    }

    @Test
    void unitsJoiningMidRolloutAreBroughtToTargetInTheirTiersTurn() {
        Cluster c = kubernetes();
        c.store.publish("kubectl", CH, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged());
        // A control-plane unit and a worker join while the control plane is still rolling.
        c.add(5, Role.CONTROL_PLANE, "kubectl", CH, 300);
        c.add(6, Role.WORKER, "kubectl", CH, 300);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).as(m.unit).contains(301));
        assertThat(c.lastRefreshIndex(Role.CONTROL_PLANE)).isLessThan(c.firstRefreshIndex(Role.WORKER));
    }
}
