package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.snapcoherence.coherence.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

class PlannerTest {

    private static PlannerDecision decide(List<UnitReading> peers, RolloutState state, Offers store, int m) {
        return Planner.decide(input(peers, state, store, m));
    }

    private static RolloutState planned(long id, List<Target> targets, String... grants) {
        return new RolloutState(Optional.of(new Plan(id, 1, targets, false)), List.of(grants), Optional.empty(), false);
    }

    @Test
    void aNewerRevisionMakesAPlanAndGrantsTwoBatchesOfControlPlaneUnits() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))), cp(1, Map.of("kubectl", rev(1342))),
                cp(3, Map.of("kubectl", rev(1342))), worker(2, Map.of("kubectl", rev(1342))));
        PlannerDecision d = decide(peers, RolloutState.EMPTY, store("kubectl", 1350), 1);

        assertThat(d.planCreated()).isTrue();
        assertThat(d.state().plan().orElseThrow().targets()).containsExactly(new Target("kubectl", CH, ARCH, 1350));
        assertThat(d.state().plan().orElseThrow().id()).isEqualTo(1);
        // The running batch and the next (max-unavailable 1): u(1) starts once it reads u(0) done.
        assertThat(d.state().grants()).containsExactly(u(0), u(1));
        assertThat(d.appStatus()).isEqualTo(Status.maintenance("rolling out plan 1: control plane 0/3, workers 0/1"));
    }

    @Test
    void anOlderRevisionPinnedByAnOverrideIsADowngradePlan() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))));
        PlannerDecision d = decide(peers, RolloutState.EMPTY, store("kubectl", 1342), 1);
        assertThat(d.state().plan().orElseThrow().targets()).containsExactly(new Target("kubectl", CH, ARCH, 1342));
    }

    @Test
    void aSnapInstalledOnlyOnWorkersIsCheckedAndPlanned() {
        var peers = peers(cp(0, Map.of("kube-apiserver", rev(10))), worker(1, Map.of("kubelet", rev(20))));
        PlannerDecision d = decide(peers, RolloutState.EMPTY, store("kube-apiserver", 10, "kubelet", 21), 1);
        assertThat(d.state().plan().orElseThrow().targets()).containsExactly(new Target("kubelet", CH, ARCH, 21));
        // The control plane has nothing to do for kubelet, so the worker tier is granted at once.
        assertThat(d.state().grants()).containsExactly(u(1));
    }

    @Test
    void unitsOnDifferentChannelsGetOneTargetPerChannel() {
        var peers = peers(cp(0, Map.of("kubectl", new InstalledRevision("1.29/stable", 1342))),
                cp(1, Map.of("kubectl", new InstalledRevision("1.30/stable", 1400))));
        PlannerDecision d = decide(peers, RolloutState.EMPTY,
                store("kubectl@1.29/stable", 1350, "kubectl@1.30/stable", 1401), 2);
        assertThat(d.state().plan().orElseThrow().targets()).containsExactly(
                new Target("kubectl", "1.29/stable", ARCH, 1350), new Target("kubectl", "1.30/stable", ARCH, 1401));
        assertThat(d.state().grants()).containsExactly(u(0), u(1));
    }

    @Test
    void noPlanWithoutAutoRefreshUnlessTheRefreshActionAsks() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1342), "kubelet", rev(5))));
        var quiet = PlannerInput.builder().peers(peers).offers(store("kubectl", 1350, "kubelet", 6))
                .managedSnaps(List.of("kubectl", "kubelet")).autoRefresh(false).build();
        PlannerDecision d = Planner.decide(quiet);
        assertThat(d.state().plan()).isEmpty();
        assertThat(d.appStatus().message()).startsWith("updates available: kubectl 1350 (1.29/stable, amd64)");

        // The request waits in the app databag while the units it asks look at what the store serves now.
        var asked = Planner.decide(PlannerInput.builder().peers(peers).offers(store("kubectl", 1350, "kubelet", 6))
                .managedSnaps(List.of("kubectl", "kubelet")).autoRefresh(false)
                .request(Optional.of(new LeaderRequest.Refresh(Set.of("kubelet")))).build());
        assertThat(asked.state().plan()).isEmpty();
        assertThat(asked.state().requested()).contains(Set.of("kubelet"));
        assertThat(asked.offers().check().asked()).containsExactly(u(0));
        // u(0) answers: the plan, for the snap asked for.
        var answered = peers(answering(cp(0, Map.of("kubectl", rev(1342), "kubelet", rev(5))), 1, "kubectl", 1350,
                "kubelet", 6));
        var planned = Planner.decide(PlannerInput.builder().peers(answered).state(asked.state()).offers(asked.offers())
                .managedSnaps(List.of("kubectl", "kubelet")).autoRefresh(false).build());
        assertThat(planned.state().plan().orElseThrow().targets()).containsExactly(new Target("kubelet", CH, ARCH, 6));
        assertThat(planned.state().requested()).isEmpty();
    }

    @Test
    void aRefreshRequestedDuringAPlanWaitsAndStartsTheNextPlanWithAutoRefreshOff() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1350), "kubelet", rev(5))),
                cp(1, Map.of("kubectl", rev(1342), "kubelet", rev(5))));
        var active = planned(3, target, u(1));
        var asked = Planner.decide(PlannerInput.builder().peers(peers).state(active)
                .offers(store("kubectl", 1350, "kubelet", 6)).managedSnaps(List.of("kubectl", "kubelet"))
                .autoRefresh(false).request(Optional.of(new LeaderRequest.Refresh(Set.of("kubelet")))).build());
        assertThat(asked.planCreated()).isFalse();
        assertThat(asked.state().plan().orElseThrow().id()).isEqualTo(3);
        assertThat(asked.state().requested()).contains(Set.of("kubelet"));
        assertThat(asked.appStatus().message()).endsWith("; a requested refresh follows");

        // Plan 3 completes: the waiting request makes plan 4, for the snaps it named, and is used up.
        peers.set(1, verified(active.plan().orElseThrow(), cp(1, Map.of("kubectl", rev(1350), "kubelet", rev(5)))));
        var next = Planner.decide(PlannerInput.builder().peers(peers).state(asked.state())
                .offers(store("kubectl", 1350, "kubelet", 6)).managedSnaps(List.of("kubectl", "kubelet"))
                .autoRefresh(false).build());
        assertThat(next.planCreated()).isTrue();
        assertThat(next.state().plan().orElseThrow().targets()).containsExactly(new Target("kubelet", CH, ARCH, 6));
        assertThat(next.state().requested()).isEmpty();

        // Without the request, auto-refresh off: plan 3 completes and nothing follows.
        var none = Planner.decide(PlannerInput.builder().peers(peers).state(active)
                .offers(store("kubectl", 1350, "kubelet", 6)).managedSnaps(List.of("kubectl", "kubelet"))
                .autoRefresh(false).build());
        assertThat(none.state().plan().orElseThrow().complete()).isTrue();
        assertThat(none.planCreated()).isFalse();
    }

    @Test
    void aRefreshRequestWithNothingDifferingIsDroppedOnceTheUnitsAskedHaveAnswered() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))));
        var asked = Planner.decide(PlannerInput.builder().peers(peers).offers(store("kubectl", 1342))
                .managedSnaps(List.of("kubectl")).autoRefresh(false)
                .request(Optional.of(new LeaderRequest.Refresh(Set.of()))).build()
                .at(new Watch(SEEN, Map.of(), Watch.SILENT_AFTER)));
        assertThat(asked.state().requested()).contains(Set.of());
        assertThat(asked.appStatus().message()).contains("units are checking what the store serves (round 1");
        // Not answered yet, a minute on: still waiting.
        var waiting = Planner.decide(PlannerInput.builder().peers(peers).state(asked.state()).offers(asked.offers())
                .managedSnaps(List.of("kubectl")).autoRefresh(false).build()
                .at(new Watch(SEEN.plusSeconds(60), Map.of(), Watch.SILENT_AFTER)));
        assertThat(waiting.state().requested()).contains(Set.of());
        // The round settles without the answer: the leader goes on with what it holds; nothing differs.
        var settled = Planner.decide(PlannerInput.builder().peers(peers).state(asked.state()).offers(asked.offers())
                .managedSnaps(List.of("kubectl")).autoRefresh(false).build()
                .at(new Watch(SEEN.plus(CheckRound.SETTLE), Map.of(), Watch.SILENT_AFTER)));
        assertThat(settled.state().requested()).isEmpty();
        assertThat(settled.state().plan()).isEmpty();
    }

    @Test
    void workersWaitUntilEveryControlPlaneUnitIsOnThePlanRevisionAndADoneReportStaysDone() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        // cp/1 runs the old revision and has reported nothing for plan 7: not done.
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))),
                reported(u(1), Role.CONTROL_PLANE, Map.of("kubectl", rev(1342)), Optional.empty()),
                worker(2, Map.of("kubectl", rev(1342))));
        PlannerDecision d = decide(peers, planned(7, target, u(1)), store("kubectl", 1350), 1);
        assertThat(d.state().grants()).containsExactly(u(1));

        // Granted, its report shows the target but not that it verified it: a copy from before its grant (Juju's
        // relation cache), its machine moved since (seed 248268). It keeps its grant; the workers wait.
        peers.set(1, cp(1, Map.of("kubectl", rev(1350))));
        d = decide(peers, planned(7, target, u(1)), store("kubectl", 1350), 1);
        assertThat(d.state().grants()).containsExactly(u(1));
        assertThat(d.appStatus().message()).isEqualTo("rolling out plan 7: control plane 1/2, workers 0/1");

        peers.set(1, verified(planned(7, target).plan().orElseThrow(), cp(1, Map.of("kubectl", rev(1350)))));
        d = decide(peers, planned(7, target, u(1)), store("kubectl", 1350), 1);
        assertThat(d.state().grants()).containsExactly(u(2));
        assertThat(d.appStatus().message()).isEqualTo("rolling out plan 7: control plane 2/2, workers 0/1");

        // Verified and reported done, then moved off 1350 by something else (snapd's timer with hold=false): done
        // for plan 7 all the same. Units granted after it started on that report; the next plan moves it.
        peers.set(1, reported(u(1), Role.CONTROL_PLANE, Map.of("kubectl", rev(1360)),
                Optional.of(new Progress(7, 1, Phase.DONE, Optional.empty()))));
        d = decide(peers, planned(7, target, u(1)), store("kubectl", 1350), 1);
        assertThat(d.state().grants()).containsExactly(u(2));
        assertThat(d.appStatus().message()).isEqualTo("rolling out plan 7: control plane 2/2, workers 0/1");
    }

    @Test
    void aReportWrittenBeforeATargetSnapWasManagedDoesNotCountTheUnitDone() {
        // kubectl was dropped from snaps and put back; plan 3 targets it. The leader (u0) verified plan 3. Its
        // copies of u1's and u2's reports are from while kubectl was not managed: they list no kubectl, whatever
        // the machines run (3155 here). Counted done by them, plan 3 completed and the next plan replaced it with
        // u1 and u2 off its target (seed 262783).
        var target = List.of(new Target("kubectl", CH, ARCH, 3105));
        Plan three = planned(3, target).plan().orElseThrow();
        var without = List.of("kube-apiserver", "kubelet");
        var peers = peers(verified(three, cp(0, Map.of("kube-apiserver", rev(3150), "kubectl", rev(3105)))),
                managing(cp(1, Map.of("kube-apiserver", rev(3150))), without),
                managing(cp(2, Map.of("kube-apiserver", rev(3150))), without),
                managing(worker(3, Map.of("kubelet", rev(4154))), List.of("kubelet", "kubectl")));
        PlannerDecision d = decide(peers, planned(3, target, u(0)), store("kubectl", 3105), 1);
        assertThat(d.state().plan()).contains(three);
        assertThat(d.state().grants()).containsExactly(u(1), u(2));
        assertThat(d.appStatus().message()).startsWith("rolling out plan 3: control plane 1/3, workers 1/1");

        // Their reports of the config that manages kubectl speak for it: on the target, they are done.
        peers.set(1, managing(cp(1, Map.of("kube-apiserver", rev(3150), "kubectl", rev(3105))),
                List.of("kube-apiserver", "kubelet", "kubectl")));
        peers.set(2, verified(three, cp(2, Map.of("kube-apiserver", rev(3150), "kubectl", rev(3105)))));
        d = decide(peers, planned(3, target), store("kubectl", 3105), 1);
        assertThat(d.state().plan().orElseThrow().complete()).isTrue();
    }

    @Test
    void aDoneThatDidNotCoverAManagedTargetCountsForNothingAndHaltsOnceAReportOfTheNewConfigShowsItOff() {
        // Plan 3 targets kube-apiserver and kubectl. u1 verified it while kubectl was not in snaps (its done covers
        // kube-apiserver and kubelet) and runs kubectl 3100; kubectl is managed again (seed 334233).
        var targets = List.of(new Target("kube-apiserver", CH, ARCH, 3150), new Target("kubectl", CH, ARCH, 3105));
        Plan three = planned(3, targets).plan().orElseThrow();
        var without = List.of("kube-apiserver", "kubelet");
        Progress partial = Progress.done(three, without);
        UnitReading leader = verified(three, cp(0, Map.of("kube-apiserver", rev(3150), "kubectl", rev(3105))));
        UnitReading before = managing(reported(u(1), Role.CONTROL_PLANE, Map.of("kube-apiserver", rev(3150)),
                Optional.of(partial)), without);
        var peers = peers(leader, before, worker(2, Map.of("kubectl", rev(3100))));
        // The leader's copy is from before the config change: it cannot tell where kubectl is. u1 is not done (the
        // workers' tier stays closed), not granted again (its old grant answered), and nothing halts yet.
        PlannerDecision d = decide(peers, planned(3, targets, u(1)), store("kube-apiserver", 3150, "kubectl", 3105),
                1);
        assertThat(d.state().halt()).isEmpty();
        assertThat(d.state().grants()).containsExactly(u(1));
        assertThat(d.appStatus().message()).startsWith("rolling out plan 3: control plane 1/2, workers 0/1");
        d = decide(peers, planned(3, targets), store("kube-apiserver", 3150, "kubectl", 3105), 1);
        assertThat(d.state().grants()).isEmpty();

        // Its report of the config that manages kubectl shows kubectl off the target: the plan halts on it and its
        // grant is freed, so that after a resume it is granted again behind units that started on its done.
        peers.set(1, managing(reported(u(1), Role.CONTROL_PLANE, Map.of("kube-apiserver", rev(3150),
                "kubectl", rev(3100)), Optional.of(partial)), List.of("kube-apiserver", "kubelet", "kubectl")));
        d = decide(peers, planned(3, targets, u(1)), store("kube-apiserver", 3150, "kubectl", 3105), 1);
        assertThat(d.state().halt()).contains(new Halt(u(1), "done with plan 3 (attempt 1) while kubectl was not "
                + "in snaps: never refreshed for it; resume refreshes it"));
        assertThat(d.state().grants()).isEmpty();

        // The same report on kubectl's target speaks for it: done by its revisions, no halt.
        peers.set(1, managing(reported(u(1), Role.CONTROL_PLANE, Map.of("kube-apiserver", rev(3150),
                "kubectl", rev(3105)), Optional.of(partial)), List.of("kube-apiserver", "kubelet", "kubectl")));
        d = decide(peers, planned(3, targets), store("kube-apiserver", 3150, "kubectl", 3105), 1);
        assertThat(d.state().halt()).isEmpty();
        assertThat(d.state().grants()).containsExactly(u(2));
    }

    @Test
    void aLoweredMaxUnavailableComesIntoForceOnceEveryTierCanKeepItOneBatchGrantedMeanwhile() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        // Workers 2, 3, 4 were granted under max-unavailable 2, then control-plane unit 5 joined (the control plane
        // is the tier again; the workers wait for it) and max-unavailable went down to 1.
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), cp(5, Map.of("kubectl", rev(1342))),
                worker(2, Map.of("kubectl", rev(1342))), worker(3, Map.of("kubectl", rev(1342))),
                worker(4, Map.of("kubectl", rev(1342))));
        PlannerDecision d = Planner.decide(input(peers, planned(7, target, u(2), u(3), u(4)), store("kubectl", 1350),
                1).withWindow(Optional.of(2)));
        // Three workers granted and not done: 2 stays in force. The control-plane tier still gets one batch of
        // the new value, or nothing would move (the workers wait for it).
        assertThat(d.window()).contains(2);
        assertThat(d.state().grants()).containsExactly(u(2), u(3), u(4), u(5));
        assertThat(d.appStatus().message()).contains("max-unavailable 1 takes effect once no more than 1 granted "
                + "units of a tier are not done (2 in force until then)");

        // Control plane through, two workers done: one granted worker not done in each tier, so 1 comes into force.
        Plan seven = planned(7, target).plan().orElseThrow();
        peers.set(1, verified(seven, cp(5, Map.of("kubectl", rev(1350)))));
        peers.set(2, verified(seven, worker(2, Map.of("kubectl", rev(1350)))));
        peers.set(3, verified(seven, worker(3, Map.of("kubectl", rev(1350)))));
        d = Planner.decide(input(peers, planned(7, target, u(2), u(3), u(4)), store("kubectl", 1350), 1)
                .withWindow(Optional.of(2)));
        assertThat(d.window()).contains(1);
        assertThat(d.appStatus().message()).doesNotContain("takes effect");
        // A raised value comes into force at once.
        d = Planner.decide(input(peers, planned(7, target, u(4)), store("kubectl", 1350), 3).withWindow(Optional.of(1)));
        assertThat(d.window()).contains(3);
    }

    @Test
    void grantsNeverExceedTwoBatchesKeepTheirOrderAndAppendInUnitOrder() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(10, Map.of("kubectl", rev(1342))),
                worker(2, Map.of("kubectl", rev(1342))), worker(3, Map.of("kubectl", rev(1342))),
                worker(4, Map.of("kubectl", rev(1342))), worker(5, Map.of("kubectl", rev(1342))));
        PlannerDecision d = decide(peers, planned(1, target, u(3)), store("kubectl", 1350), 2);
        // u(3) was granted first and stays first: units pace themselves by the order of the grants.
        assertThat(d.state().grants()).containsExactly(u(3), u(2), u(4), u(5));

        peers.set(3, verified(d.state().plan().orElseThrow(), worker(3, Map.of("kubectl", rev(1350)))));
        d = decide(peers, d.state(), store("kubectl", 1350), 2);
        assertThat(d.state().grants()).containsExactly(u(2), u(4), u(5), u(10));
    }

    @Test
    void aNewerRevisionDuringARolloutBecomesTheNextPlanAfterItCompletes() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), cp(1, Map.of("kubectl", rev(1342))));
        PlannerDecision during = decide(peers, planned(3, target, u(1)), store("kubectl", 1360), 1);
        assertThat(during.state().plan().orElseThrow().id()).isEqualTo(3);

        peers.set(1, verified(during.state().plan().orElseThrow(), cp(1, Map.of("kubectl", rev(1350)))));
        PlannerDecision after = decide(peers, planned(3, target, u(1)), store("kubectl", 1360), 1);
        Plan next = after.state().plan().orElseThrow();
        assertThat(next.id()).isEqualTo(4);
        assertThat(next.targets()).containsExactly(new Target("kubectl", CH, ARCH, 1360));
        assertThat(after.state().grants()).containsExactly(u(0), u(1));
    }

    @Test
    void allUnitsDoneCompletesThePlan() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), verified(planned(2, target).plan().orElseThrow(),
                worker(1, Map.of("kubectl", rev(1350)))));
        PlannerDecision d = decide(peers, planned(2, target, u(1)), store("kubectl", 1350), 1);
        assertThat(d.state().plan().orElseThrow().complete()).isTrue();
        assertThat(d.state().grants()).isEmpty();
        assertThat(d.appStatus()).isEqualTo(Status.active("up to date (plan 2)"));
    }

    /** Units 0 and 1 on the control plane on kubectl 1342; unit 0 reported its refresh to 1350 failed. */
    private static List<UnitReading> controlPlaneWithAFailureOnUnit0(Plan plan) {
        var failed = Progress.failed(plan, Phase.FAILED, new Failure("kubectl", 1350, "cannot refresh"));
        return peers(reported(u(0), Role.CONTROL_PLANE, Map.of("kubectl", rev(1342)), Optional.of(failed)),
                cp(1, Map.of("kubectl", rev(1342))));
    }

    @Test
    void aRefreshInTheHookThatFindsAFailureHaltsFirstAndReplacesNothing() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        Plan plan = new Plan(5, 1, target, false);
        var peers = controlPlaneWithAFailureOnUnit0(plan);
        // The operator asked for a refresh of a rollout that, as far as anything committed says, still runs.
        PlannerDecision d = Planner.decide(PlannerInput.builder().peers(peers).state(planned(5, target, u(0)))
                .offers(store("kubectl", 1360)).managedSnaps(List.of("kubectl")).maxUnavailable(2)
                .request(Optional.of(new LeaderRequest.Refresh(Set.of()))).build());
        assertThat(d.state().plan().orElseThrow().id()).isEqualTo(5);
        assertThat(d.state().halt()).contains(new Halt(u(0), "kubectl 1350 failed (plan 5): cannot refresh"));
        assertThat(d.superseded()).isEmpty();
        // Nor in a later hook: the refresh stands for no plan the operator saw halted (they ask again once it is).
        PlannerDecision later = decide(peers, d.state(), store("kubectl", 1360), 2);
        assertThat(later.state().plan().orElseThrow().id()).isEqualTo(5);
        assertThat(later.state().halt()).isPresent();
    }

    @Test
    void aFailureHaltsAndResumeRegrantsTheFailedUnitForANewAttempt() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        Plan plan = new Plan(5, 1, target, false);
        var peers = controlPlaneWithAFailureOnUnit0(plan);
        PlannerDecision halted = decide(peers, planned(5, target, u(0)), store("kubectl", 1350), 2);
        assertThat(halted.state().halt()).contains(new Halt(u(0), "kubectl 1350 failed (plan 5): cannot refresh"));
        assertThat(halted.state().grants()).containsExactly(u(0));
        assertThat(halted.appStatus()).isEqualTo(Status.blocked(
                "halted at plan 5: snap-coherence/0 kubectl 1350 failed (plan 5): cannot refresh; run the resume action"
                        + " to retry it, or the refresh action to replace the plan with what the proxy serves now"));

        // Still halted on the next hook, even with a newer revision in the store.
        PlannerDecision still = decide(peers, halted.state(), store("kubectl", 1360), 2);
        assertThat(still.state()).isEqualTo(halted.state());

        PlannerDecision resumed = Planner.decide(PlannerInput.builder().peers(peers).state(halted.state())
                .offers(store("kubectl", 1350)).managedSnaps(List.of("kubectl")).maxUnavailable(2)
                .request(Optional.of(new LeaderRequest.Resume())).build());
        assertThat(resumed.state().halt()).isEmpty();
        assertThat(resumed.state().plan().orElseThrow().attempt()).isEqualTo(2);
        assertThat(resumed.state().grants()).containsExactly(u(0), u(1));
    }

    @Test
    void aCanaryWhoseStatusSaysItFailedAfterItsDoneReportIsGrantedAgainOnResumeBeforeItsSoakRestarts() {
        // The canary reported done, then its services broke while it soaked: its status says so at once, while the
        // leader still holds its done report (Juju's relation cache). Taken for through, the canary would be left
        // ungranted while the restarted soak waited for its check, which it cannot make before it verifies again
        // (seed 168599: the rollout halted 45 minutes later on a canary showing `active: on plan 1`).
        Plan plan = new Plan(1, 1, List.of(new Target("kube-apiserver", CH, ARCH, 3150)), false);
        java.time.Instant now = java.time.Instant.parse("2026-11-30T10:06:40Z");
        Failure broken = new Failure("kube-apiserver", 3150, "enabled services not active: kube-apiserver.daemon "
                + "(found while soaking)");
        var peers = peers(reported(u(0), Role.CONTROL_PLANE, Map.of("kube-apiserver", rev(3150)),
                        Optional.of(Progress.done(plan))),
                cp(1, Map.of("kube-apiserver", rev(3100))));
        var halted = new RolloutState(Optional.of(plan), List.of(), Optional.of(new Halt(u(0),
                broken.describe(1))), false, Optional.empty());
        Soak.Entry soaking = new Soak.Entry(1, 1, Soak.Stage.CANARY, u(0), now.plusSeconds(13 * 60), false);

        PlannerDecision resumed = Planner.decide(PlannerInput.builder().peers(peers).state(halted)
                .offers(store("kube-apiserver", 3150)).managedSnaps(List.of("kube-apiserver")).maxUnavailable(2)
                .statuses(Map.of(u(0), new StatusLine.Failed(1, 1, broken)))
                .soakFor(java.time.Duration.ofMinutes(14)).soak(Optional.of(soaking))
                .watch(new Watch(now, Map.of(), Watch.SILENT_AFTER))
                .request(Optional.of(new LeaderRequest.Resume())).build());

        assertThat(resumed.state().plan().orElseThrow().attempt()).isEqualTo(2);
        assertThat(resumed.state().grants()).containsExactly(u(0));
        assertThat(resumed.soak()).contains(soaking);
        assertThat(resumed.tally().orElseThrow().controlPlaneDone()).isZero();
    }

    @Test
    void aLeaderThatHasNotJoinedEveryPeerKeepsWhatTheProxyServesTheSnapsOnlyTheyRun() {
        // A worker elected leader at its install sees only itself: kube-apiserver is run by a control-plane unit it
        // has not joined yet. Dropped, it came back only from a unit that sees it, and the one control-plane unit
        // of amd64 had reverted it, which leaves it out of its view while snapd blocks the revision it went back
        // from (seed 169544: kube-apiserver left on 3170 for good while the proxy served 3150).
        UnitReading self = new UnitReading.Reported(new UnitReport(u(5), Role.WORKER, Map.of("kubelet", rev(3154)),
                Optional.empty(), Optional.empty(), ARCH, Optional.empty(), Optional.of("kubernetes-worker/2")));
        Offers held = store("kube-apiserver", 3150, "kubelet", 3154);
        PlannerInput alone = PlannerInput.builder().peers(List.of(self)).state(RolloutState.EMPTY).offers(held)
                .managedSnaps(List.of("kube-apiserver", "kubelet")).leader(Optional.of(u(5))).build();
        assertThat(Planner.prunes(alone)).isTrue();

        PlannerDecision beforeJoining = Planner.decide(alone.withPrincipals(List.of("kubernetes-control-plane/1",
                "kubernetes-worker/2")));
        assertThat(beforeJoining.offers().offer(ARCH, new SnapChannel("kube-apiserver", CH)).map(Offers.Offer::revision))
                .contains(3150);
        PlannerDecision unreadable = Planner.decide(alone.withPrincipals(PlannerInput.PRINCIPALS_UNKNOWN));
        assertThat(unreadable.offers().offer(ARCH, new SnapChannel("kube-apiserver", CH))).isPresent();

        // Once every principal goal-state lists has its unit in view, what none of them runs is dropped.
        PlannerDecision everyoneInView = Planner.decide(alone.withPrincipals(List.of("kubernetes-worker/2")));
        assertThat(everyoneInView.offers().offer(ARCH, new SnapChannel("kube-apiserver", CH))).isEmpty();
        assertThat(everyoneInView.offers().offer(ARCH, new SnapChannel("kubelet", CH))).isPresent();
    }

    @Test
    void aRefreshRequestedWhilePausedMakesThePlanButGrantsNothingUntilResume() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))));
        var paused = new RolloutState(Optional.empty(), List.of(), Optional.empty(), true, Optional.of(Set.of()));
        PlannerDecision d = Planner.decide(PlannerInput.builder().peers(peers).state(paused)
                .offers(store("kubectl", 1350)).managedSnaps(List.of("kubectl")).autoRefresh(false).build());
        assertThat(d.state().plan()).isPresent();
        assertThat(d.state().grants()).isEmpty();
        assertThat(d.appStatus().message()).startsWith("paused at plan 1");

        PlannerDecision resumed = Planner.decide(PlannerInput.builder().peers(peers).state(d.state())
                .offers(store("kubectl", 1350)).managedSnaps(List.of("kubectl")).autoRefresh(false)
                .request(Optional.of(new LeaderRequest.Resume())).build());
        assertThat(resumed.state().grants()).containsExactly(u(0));
        assertThat(resumed.state().paused()).isFalse();
    }

    @Test
    void pauseKeepsTheCurrentBatchAndGrantsNoMore() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(verified(planned(1, target).plan().orElseThrow(), cp(0, Map.of("kubectl", rev(1350)))),
                cp(1, Map.of("kubectl", rev(1342))), cp(2, Map.of("kubectl", rev(1342))));
        PlannerDecision d = Planner.decide(PlannerInput.builder().peers(peers).state(planned(1, target, u(0), u(1)))
                .offers(store("kubectl", 1350)).managedSnaps(List.of("kubectl")).maxUnavailable(2)
                .request(Optional.of(new LeaderRequest.Pause())).build());
        assertThat(d.state().grants()).containsExactly(u(1));
        assertThat(d.state().paused()).isTrue();
    }

    @Test
    void aDepartedUnitsGrantIsFreed() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))), cp(2, Map.of("kubectl", rev(1342))),
                cp(4, Map.of("kubectl", rev(1342))));
        PlannerDecision d = decide(peers, planned(1, target, u(1), u(2)), store("kubectl", 1350), 1);
        assertThat(d.state().grants()).containsExactly(u(2), u(0));
    }

    @Test
    void aNewLeaderContinuesFromTheDatabagWithoutExtraGrants() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))), cp(1, Map.of("kubectl", rev(1342))),
                cp(2, Map.of("kubectl", rev(1342))));
        RolloutState inherited = planned(9, target, u(2), u(0));
        PlannerDecision d = decide(peers, inherited, store("kubectl", 1350), 1);
        assertThat(d.state()).isEqualTo(inherited);
    }

    @Test
    void unreadableOrSilentUnitsHoldBackWorkersAndCompletionAndCountAgainstEveryTier() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1342))),
                new UnitReading.Unreadable(new Malformed(u(2), "schema 2")));
        PlannerDecision d = decide(peers, planned(1, target), store("kubectl", 1350), 1);
        assertThat(d.state().grants()).isEmpty();
        assertThat(d.appStatus().message()).contains("unreadable peer data from snap-coherence/2: schema 2");

        var silent = peers(cp(0, Map.of("kubectl", rev(1342))), cp(1, Map.of("kubectl", rev(1342))),
                new UnitReading.Unreported(u(2)));
        // u(2) was granted before its data became unreadable: it may be refreshing, so it counts against the
        // tier and only the next batch is granted (whose units wait until they can read u(2)).
        PlannerDecision busy = decide(silent, planned(1, target, u(2)), store("kubectl", 1350), 1);
        assertThat(busy.state().grants()).containsExactly(u(2), u(0));
    }

    @Test
    void aUnitJoiningMidRolloutIsBroughtToTargetInItsTiersTurn() {
        var target = List.of(new Target("kubectl", CH, ARCH, 1350));
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1350))),
                worker(2, Map.of("kubectl", rev(1342))), cp(3, Map.of("kubectl", rev(1342))));
        PlannerDecision d = decide(peers, planned(1, target, u(2)), store("kubectl", 1350), 1);
        // The new control-plane unit is granted; the worker grant stays (its agent waits for the control plane).
        assertThat(d.state().grants()).containsExactly(u(2), u(3));
    }
}
