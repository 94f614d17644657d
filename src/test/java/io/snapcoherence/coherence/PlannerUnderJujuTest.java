package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.snapcoherence.coherence.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The leader's rules for what Juju really does: a leader leaving, views without the control plane, time. */
class PlannerUnderJujuTest {
    private static final List<Target> KUBECTL = List.of(new Target("kubectl", CH, ARCH, 1350));
    private static final Plan PLAN = new Plan(1, 1, KUBECTL, false);
    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    private static RolloutState planned(String... grants) {
        return new RolloutState(Optional.of(PLAN), List.of(grants), Optional.empty(), false);
    }

    private static PlannerInput input(List<UnitReading> peers, RolloutState state, int m,
                                      Optional<LeaderRequest> request) {
        return PlannerInput.builder().peers(peers).state(state).offers(store("kubectl", 1350))
                .managedSnaps(List.of("kubectl")).maxUnavailable(m).request(request).leader(Optional.of(u(0)))
                .left(Set.of()).build();
    }

    @Test
    void aLeavingLeaderKeepsTheDatabagButHaltsOnAFailureTakesAPauseAndQueuesARefresh() {
        // It sees only itself, done: an ordinary leader would free both grants and complete the plan.
        var alone = peers(cp(0, Map.of("kubectl", rev(1350))));
        Tally tally = new Tally(1, 1, 0, 2);
        PlannerDecision d = Planner.decide(input(alone, planned(u(1), u(2)), 1, Optional.empty())
                .leaderLeaving(Optional.of(tally)));
        assertThat(d.state()).isEqualTo(planned(u(1), u(2)));
        assertThat(d.tally()).contains(tally);
        assertThat(d.appStatus()).isEqualTo(Status.maintenance("leader leaving: plan 1 goes on within its grants; "
                + "nothing new is granted or planned until the next leader is elected"));

        // No plan either, whatever the store serves.
        PlannerDecision idle = Planner.decide(input(peers(cp(0, Map.of("kubectl", rev(1342)))), RolloutState.EMPTY, 1,
                Optional.empty()).leaderLeaving(Optional.empty()));
        assertThat(idle.state().plan()).isEmpty();

        var failed = peers(cp(0, Map.of("kubectl", rev(1350))), reported(u(1), Role.WORKER,
                Map.of("kubectl", rev(1342)), Optional.of(Progress.failed(PLAN, Phase.FAILED,
                        new Failure("kubectl", 1350, "download failed")))));
        PlannerDecision halted = Planner.decide(input(failed, planned(u(1), u(2)), 1,
                Optional.of(new LeaderRequest.Pause())).leaderLeaving(Optional.of(tally)));
        assertThat(halted.state().halt()).contains(new Halt(u(1), "kubectl 1350 failed (plan 1): download failed"));
        assertThat(halted.state().paused()).isTrue();
        assertThat(halted.state().grants()).containsExactly(u(1), u(2));
        assertThat(halted.appStatus().kind()).isEqualTo(Status.Kind.BLOCKED);

        PlannerDecision asked = Planner.decide(input(alone, planned(u(1)), 1,
                Optional.of(new LeaderRequest.Refresh(Set.of("kubectl")))).leaderLeaving(Optional.empty()));
        assertThat(asked.state().requested()).contains(Set.of("kubectl"));
        assertThat(asked.refused()).isEmpty();
        PlannerDecision resumed = Planner.decide(input(alone, halted.state(), 1,
                Optional.of(new LeaderRequest.Resume())).leaderLeaving(Optional.empty()));
        assertThat(resumed.state()).isEqualTo(halted.state());
        assertThat(resumed.refused()).hasValueSatisfying(r -> assertThat(r).startsWith("this leader is leaving"));
    }

    @Test
    void theWorkerTierDoesNotOpenWhileTheLeaderSeesNoControlPlaneUnit() {
        // A worker leader that has joined no control-plane unit: its view has nothing left to do in the control
        // plane, which is not the same as a control plane on the plan.
        var workersOnly = peers(worker(0, Map.of("kubectl", rev(1342))), worker(1, Map.of("kubectl", rev(1342))));
        PlannerDecision d = Planner.decide(input(workersOnly, planned(), 1, Optional.empty()));
        assertThat(d.state().grants()).isEmpty();
        assertThat(d.state().plan().orElseThrow().complete()).isFalse();
        assertThat(d.appStatus()).isEqualTo(Status.waiting("rolling out plan 1: control plane 0/0, workers 0/2; the "
                + "control plane is not known (no control-plane unit in view): workers wait and the plan cannot "
                + "complete"));

        var withControlPlane = new ArrayList<>(workersOnly);
        withControlPlane.add(cp(2, Map.of("kubectl", rev(1350))));
        assertThat(Planner.decide(input(withControlPlane, planned(), 1, Optional.empty())).state().grants())
                .containsExactly(u(1), u(0));
    }

    @Test
    void noPlanWhileAUnitInViewHasNotReported() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))), new UnitReading.Unreported(u(1)));
        PlannerDecision d = Planner.decide(input(peers, RolloutState.EMPTY, 1, Optional.empty()));
        assertThat(d.state().plan()).isEmpty();
        assertThat(d.appStatus()).isEqualTo(Status.waiting("updates available: kubectl 1350 (1.29/stable, amd64); no "
                + "plan while the control plane is not known (snap-coherence/1 has not reported yet)"));
    }

    @Test
    void noPlanOfMoreTargetsThanOnePlanHolds() {
        Map<String, Integer> served = new java.util.TreeMap<>();
        List<UnitReading> peers = new ArrayList<>();
        peers.add(cp(0, Map.of("kubectl", rev(1))));
        for (int n = 1; n <= Planner.MAX_TARGETS; n++) {
            String channel = "2." + n + "/stable";
            peers.add(worker(n, Map.of("kubectl", new InstalledRevision(channel, 1))));
            served.put("kubectl@" + channel, 2);
        }
        served.put("kubectl@" + CH, 2);
        Object[] pairs = served.entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
                .toArray();
        PlannerDecision d = Planner.decide(PlannerInput.builder().peers(peers).offers(store(pairs))
                .managedSnaps(List.of("kubectl")).build());
        assertThat(d.differences()).hasSize(Planner.MAX_TARGETS + 1);
        assertThat(d.state().plan()).isEmpty();
        assertThat(d.appStatus()).isEqualTo(Status.blocked((Planner.MAX_TARGETS + 1) + " snap channels differ, more "
                + "than one plan holds (" + Planner.MAX_TARGETS + "): manage fewer snaps, or fewer channels at once"));
    }

    /** A control-plane unit on kubectl 1350 whose failure of plan 1 stands (its services broke while it soaked). */
    private static UnitReading brokenCanary(Failure broken) {
        return reported(u(1), Role.CONTROL_PLANE, Map.of("kubectl", rev(1350)),
                Optional.of(Progress.failed(PLAN, Phase.FAILED, broken)));
    }

    @Test
    void aUnitWhoseFailureOfTheReplacedPlanStandsIsNotDoneAndGoesFirstAloneUntilItVerifiesForTheNewPlan() {
        // Plan 1 halted on its canary, broken while it soaked (its grant was freed when it verified); the operator's
        // refresh while the proxy still serves kubectl 1350 makes a plan of the same target (seed 207035).
        Failure broken = new Failure("kubectl", 1350, "enabled services not active: kubectl.daemon (found while "
                + "soaking)");
        var halted = new RolloutState(Optional.of(PLAN), List.of(), Optional.of(new Halt(u(1),
                broken.describe(1))), false);
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))), brokenCanary(broken),
                cp(2, Map.of("kubectl", rev(1342))), worker(3, Map.of("kubectl", rev(1342))));
        PlannerDecision asked = Planner.decide(PlannerInput.builder().peers(peers).state(halted)
                .offers(store("kubectl", 1350)).managedSnaps(List.of("kubectl")).maxUnavailable(2)
                .request(Optional.of(new LeaderRequest.Refresh(Set.of()))).leader(Optional.of(u(0))).left(Set.of())
                .build());
        List<UnitReading> answered = peers.stream().map(r -> asked.offers().check().asked().contains(r.unit())
                ? answering(r, 1, "kubectl", 1350) : r).toList();
        PlannerDecision replaced = Planner.decide(PlannerInput.builder().peers(answered).state(asked.state())
                .offers(asked.offers()).managedSnaps(List.of("kubectl")).maxUnavailable(2).leader(Optional.of(u(0)))
                .left(Set.of()).build());
        assertThat(replaced.superseded()).contains(1L);
        Plan next = replaced.state().plan().orElseThrow();
        assertThat(next).isEqualTo(new Plan(2, 1, KUBECTL, false, Optional.of(1L)));
        // On the target, but its failure of the plan it replaced stands: not done, granted first and alone (two
        // batches of 2 would have granted /2 and /0 beside it), the tally counts it not through.
        UnitReport canary = ((UnitReading.Reported) brokenCanary(broken)).report();
        assertThat(canary.done(next)).isFalse();
        assertThat(replaced.state().grants()).containsExactly(u(1));
        assertThat(replaced.tally()).contains(new Tally(0, 3, 0, 1));

        // The same plan without what it replaced (the rule before) counts it done and grants the rest beside it.
        assertThat(canary.done(new Plan(2, 1, KUBECTL, false))).isTrue();

        // Its machine died: it is granted and first in line, so the watch names it after a refresh's time.
        Instant now = NOW.plus(Duration.ofHours(1));
        PlannerDecision silent = Planner.decide(PlannerInput.builder().peers(answered).state(replaced.state())
                .offers(replaced.offers()).managedSnaps(List.of("kubectl")).maxUnavailable(2)
                .leader(Optional.of(u(0))).left(Set.of()).build()
                .at(new Watch(now, Map.of(u(1), now.minus(Duration.ofMinutes(46))), Watch.SILENT_AFTER)));
        assertThat(silent.state().halt().map(Halt::unit)).contains(u(1));

        // Asked again, it fails again: plan 2 halts on it.
        var failedAgain = peers(cp(0, Map.of("kubectl", rev(1342))), reported(u(1), Role.CONTROL_PLANE,
                        Map.of("kubectl", rev(1350)), Optional.of(Progress.failed(next, Phase.FAILED, broken))),
                cp(2, Map.of("kubectl", rev(1342))), worker(3, Map.of("kubectl", rev(1342))));
        PlannerDecision haltedAgain = Planner.decide(input(failedAgain, replaced.state(), 2, Optional.empty()));
        assertThat(haltedAgain.state().halt()).contains(new Halt(u(1), broken.describe(2)));
        assertThat(haltedAgain.state().grants()).containsExactly(u(1));

        // Healthy again, it verifies for plan 2: it is done, and the rest of the control plane follows, the
        // leader last.
        var verified = peers(cp(0, Map.of("kubectl", rev(1342))), reported(u(1), Role.CONTROL_PLANE,
                        Map.of("kubectl", rev(1350)), Optional.of(Progress.done(next))),
                cp(2, Map.of("kubectl", rev(1342))), worker(3, Map.of("kubectl", rev(1342))));
        PlannerDecision through = Planner.decide(input(verified, replaced.state(), 2, Optional.empty()));
        assertThat(through.state().halt()).isEmpty();
        assertThat(through.state().grants()).containsExactly(u(2), u(0));

        // A status that says plan 1 failed stands over a report the leader still holds from before the failure
        // (done for plan 1, through Juju's relation cache): not done either (seed 168599's case, across a
        // replacement).
        var cached = peers(cp(0, Map.of("kubectl", rev(1342))), reported(u(1), Role.CONTROL_PLANE,
                        Map.of("kubectl", rev(1350)), Optional.of(Progress.done(PLAN))),
                cp(2, Map.of("kubectl", rev(1342))), worker(3, Map.of("kubectl", rev(1342))));
        PlannerDecision stale = Planner.decide(input(cached, replaced.state(), 2, Optional.empty())
                .toBuilder().statuses(Map.of(u(1), new StatusLine.Failed(1, 1, broken))).build());
        assertThat(stale.state().grants()).containsExactly(u(1));

        // A unit that left cannot hold the new plan: the others are granted.
        var gone = peers(cp(0, Map.of("kubectl", rev(1342))), cp(2, Map.of("kubectl", rev(1342))),
                worker(3, Map.of("kubectl", rev(1342))));
        PlannerDecision without = Planner.decide(input(gone, replaced.state(), 2, Optional.empty())
                .toBuilder().left(Set.of(u(1))).build());
        assertThat(without.state().grants()).containsExactly(u(2), u(0));
    }

    @Test
    void aRefreshReplacingAHaltedPlanWithNothingLeftToChangeClosesItWithAnEmptyPlan() {
        // The override pinned kubectl back to what every unit runs.
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))), cp(1, Map.of("kubectl", rev(1342))));
        var halted = new RolloutState(Optional.of(PLAN), List.of(u(1)), Optional.of(new Halt(u(1), "failed")), false);
        PlannerDecision asked = Planner.decide(PlannerInput.builder().peers(peers).state(halted)
                .offers(store("kubectl", 1342)).managedSnaps(List.of("kubectl"))
                .request(Optional.of(new LeaderRequest.Refresh(Set.of()))).leader(Optional.of(u(0))).left(Set.of())
                .build());
        // The plan stays halted until the unit asked has looked at what the proxy serves now.
        assertThat(asked.superseded()).isEmpty();
        assertThat(asked.state().refresh().flatMap(RefreshRequest::replaces)).contains(1L);
        assertThat(asked.offers().check().asked()).containsExactly(u(1));
        assertThat(asked.appStatus().message()).contains("; a refresh replaces it with what the store serves, waiting "
                + "while units are checking what the store serves (round 1");

        var answered = peers(cp(0, Map.of("kubectl", rev(1342))),
                answering(cp(1, Map.of("kubectl", rev(1342))), 1, "kubectl", 1342));
        PlannerDecision d = Planner.decide(PlannerInput.builder().peers(answered).state(asked.state())
                .offers(asked.offers()).managedSnaps(List.of("kubectl")).leader(Optional.of(u(0))).left(Set.of())
                .build());
        assertThat(d.superseded()).contains(1L);
        assertThat(d.state()).isEqualTo(new RolloutState(Optional.of(new Plan(2, 1, List.of(), true,
                Optional.of(1L))), List.of(),
                Optional.empty(), false));
        assertThat(d.appStatus()).isEqualTo(Status.active("up to date (plan 2)"));
    }

    @Test
    void theWatchRunsForUnitsFreeToStartOrOutOfViewAndOnlyWhileThePlanMoves() {
        // max-unavailable 1: u(1) may start, u(2) waits in line behind it; u(5) is out of view.
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1342))),
                worker(2, Map.of("kubectl", rev(1342))));
        Watch earlier = new Watch(NOW, Map.of(u(1), NOW.minus(Duration.ofMinutes(10))), Watch.SILENT_AFTER);
        RolloutState state = planned(u(1), u(2), u(5));
        PlannerDecision d = Planner.decide(input(peers, state, 1, Optional.empty()).at(earlier));
        assertThat(d.dueSince()).isEqualTo(Map.of(u(1), NOW.minus(Duration.ofMinutes(10)), u(5), NOW));

        // Halted, nobody is expected to move: only the unit out of view is still watched (for resume).
        var halted = new RolloutState(Optional.of(PLAN), List.of(u(1), u(2), u(5)), Optional.of(new Halt(u(9), "x")),
                false);
        assertThat(Planner.decide(input(peers, halted, 1, Optional.empty()).at(earlier)).dueSince())
                .containsOnlyKeys(u(5));

        // A worker is not due while the control plane is not through.
        var controlPlaneBehind = peers(cp(0, Map.of("kubectl", rev(1342))), worker(1, Map.of("kubectl", rev(1342))));
        assertThat(Planner.decide(input(controlPlaneBehind, planned(u(1), u(0)), 1, Optional.empty()).at(earlier))
                .dueSince()).containsOnlyKeys(u(0));
    }

    @Test
    void aGrantedUnitOnTheTargetsWithoutItsDoneReportIsDueAndHaltsTheRolloutOnceSilentLong() {
        // The leader's copy shows it on kubectl 1350 from before its grant; it never reports done (its machine died).
        var peers = peers(cp(0, Map.of("kubectl", rev(1342))), cp(1, Map.of("kubectl", rev(1350))),
                worker(2, Map.of("kubectl", rev(1342))));
        PlannerDecision d = Planner.decide(input(peers, planned(u(1)), 1, Optional.empty())
                .at(new Watch(NOW, Map.of(), Watch.SILENT_AFTER)));
        assertThat(d.state().grants()).containsExactly(u(1), u(0)); // kept, and the second batch behind it
        assertThat(d.dueSince()).containsOnlyKeys(u(1));
        Watch late = new Watch(NOW, Map.of(u(1), NOW.minus(Duration.ofMinutes(46))), Watch.SILENT_AFTER);
        assertThat(Planner.decide(input(peers, planned(u(1)), 1, Optional.empty()).at(late)).state().halt())
                .hasValueSatisfying(h -> assertThat(h.unit()).isEqualTo(u(1)));
    }

    @Test
    void aGrantedUnitWhoseDataCannotBeReadHaltsTheRolloutOnceSilentLong() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1342))),
                new UnitReading.Unreadable(new Malformed(u(2), "schema 2")));
        Watch late = new Watch(NOW, Map.of(u(2), NOW.minus(Duration.ofMinutes(60))), Watch.SILENT_AFTER);
        PlannerDecision d = Planner.decide(input(peers, planned(u(2)), 1, Optional.empty()).at(late));
        assertThat(d.state().halt()).contains(new Halt(u(2), "granted and silent for 60 min, longer than a refresh "
                + "can take: if its machine is down, run juju remove-unit --force on the principal unit it runs on "
                + "(juju status lists it there)"));
        // Halted, it is no longer due: after a resume its watch starts again.
        assertThat(d.dueSince()).isEmpty();
        Watch soon = new Watch(NOW.plus(Duration.ofMinutes(1)), d.dueSince(), Watch.SILENT_AFTER);
        PlannerDecision resumed = Planner.decide(input(peers, d.state(), 1, Optional.of(new LeaderRequest.Resume()))
                .at(soon));
        assertThat(resumed.state().halt()).isEmpty();
        assertThat(resumed.dueSince()).containsEntry(u(2), soon.now());
    }

    @Test
    void aGrantedUnitIsDoneOnlyByItsOwnWordNotByACopyOfItsReportOlderThanItsGrant() {
        // Wide seed 169016: the leader u(3), a worker, granted u(1), u(2) and itself (max-unavailable 2) when their
        // statuses said they were on the previous plan's revisions; its copies of their reports are older than
        // that (Juju's relation cache) and show kubectl 1350, where snapd's timer had moved them before. Both are
        // refreshing to 1350 now, as their statuses say.
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1350))),
                worker(2, Map.of("kubectl", rev(1350))), worker(3, Map.of("kubectl", rev(1342))),
                worker(4, Map.of("kubectl", rev(1350))));
        Map<String, StatusLine> refreshing = Map.of(u(1), new StatusLine.Refreshing(1, 1),
                u(2), new StatusLine.Refreshing(1, 1));
        RolloutState state = planned(u(1), u(2), u(3));
        PlannerDecision d = Planner.decide(input(peers, state, 2, Optional.empty()).toBuilder().statuses(refreshing)
                .leader(Optional.of(u(3))).build());
        // Their grants stand (freed, the leader's own turn would find nobody ahead of it and start beside them),
        // the plan is not complete, and a unit never granted that runs the target is done as before.
        assertThat(d.state().grants()).containsExactly(u(1), u(2), u(3));
        assertThat(d.state().plan().orElseThrow().complete()).isFalse();
        assertThat(Planner.forLeaderAgent(state, d.state(), u(3)).grantedBefore(u(3))).containsExactly(u(1), u(2));
        assertThat(d.tally()).contains(new Tally(1, 1, 1, 4));

        // Granted and on the target with nothing said, it is due: a dead machine there halts the rollout, named.
        Instant later = NOW.plus(Duration.ofHours(1));
        PlannerDecision silent = Planner.decide(input(peers, state, 2, Optional.empty()).toBuilder()
                .leader(Optional.of(u(3))).build()
                .at(new Watch(later, Map.of(u(1), later.minus(Duration.ofMinutes(46))), Watch.SILENT_AFTER)));
        assertThat(silent.state().halt().map(Halt::unit)).contains(u(1));

        // Its word frees its grant: a done report of the plan (any attempt), or its status saying it is verified.
        var reportedDone = peers(cp(0, Map.of("kubectl", rev(1350))), reported(u(1), Role.WORKER,
                        Map.of("kubectl", rev(1350)), Optional.of(Progress.done(PLAN))),
                worker(2, Map.of("kubectl", rev(1350))), worker(3, Map.of("kubectl", rev(1342))),
                worker(4, Map.of("kubectl", rev(1350))));
        PlannerDecision one = Planner.decide(input(reportedDone, state, 2, Optional.empty()).toBuilder()
                .statuses(Map.of(u(2), new StatusLine.Done(1, 1))).leader(Optional.of(u(3))).build());
        assertThat(one.state().grants()).containsExactly(u(3));

        // Every unit on the target, every granted one done by its word: the plan completes.
        var allDone = peers(cp(0, Map.of("kubectl", rev(1350))), reported(u(1), Role.WORKER,
                        Map.of("kubectl", rev(1350)), Optional.of(Progress.done(PLAN))),
                reported(u(2), Role.WORKER, Map.of("kubectl", rev(1350)), Optional.of(Progress.done(PLAN))),
                worker(3, Map.of("kubectl", rev(1350))), worker(4, Map.of("kubectl", rev(1350))));
        PlannerDecision complete = Planner.decide(input(allDone, planned(u(1), u(2)), 2, Optional.empty()));
        assertThat(complete.state().plan().orElseThrow().complete()).isTrue();
        assertThat(complete.state().grants()).isEmpty();
    }

    @Test
    void aUnitNeverGrantedWhoseStatusSaysItIsQueuedIsNotDoneByACopyOfItsReportOnTheTargets() {
        // Wide seed 173266: workers u(1) and u(2) refreshed for an earlier plan while the leader u(3) ran no hook for
        // them; its copies of their reports are from before and show this plan's target, 1350. Their statuses, read
        // afresh, say they are queued for this plan: their machines are off its targets.
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1350))),
                worker(2, Map.of("kubectl", rev(1350))), worker(3, Map.of("kubectl", rev(1350))));
        Map<String, StatusLine> queued = Map.of(u(1), new StatusLine.Queued(1), u(2), new StatusLine.Queued(1));
        PlannerDecision d = Planner.decide(input(peers, planned(), 1, Optional.empty()).toBuilder().statuses(queued)
                .leader(Optional.of(u(3))).build());
        // Not complete: they are granted (two batches of one), to verify or refresh in their turn; the tally does not
        // count them.
        assertThat(d.state().plan().orElseThrow().complete()).isFalse();
        assertThat(d.state().grants()).containsExactly(u(1), u(2));
        assertThat(d.tally()).contains(new Tally(1, 1, 1, 3));

        // A queued line of another plan is no news about this one; without a line the copy counts as before.
        for (Map<String, StatusLine> noNews : List.<Map<String, StatusLine>>of(Map.of(u(1), new StatusLine.Queued(2),
                u(2), new StatusLine.Queued(2)), Map.of())) {
            PlannerDecision complete = Planner.decide(input(peers, planned(), 1, Optional.empty()).toBuilder()
                    .statuses(noNews).leader(Optional.of(u(3))).build());
            assertThat(complete.state().plan().orElseThrow().complete()).isTrue();
        }
    }

    @Test
    void aUnitNeverGrantedWhoseStatusTellsOfARefreshItsReportSaysNothingOfIsNotDoneByThatReport() {
        // Plan 3 is active; u(1)'s status tells of its refresh for plan 2 (not yet moved on by a hook of its own
        // since plan 3 was published), while the leader's copy of its report is from before that refresh and shows
        // plan 3's target. Whatever that refresh did, the copy is older than the machine: u(1) is not done by it.
        Plan plan3 = new Plan(3, 1, KUBECTL, false);
        RolloutState state = new RolloutState(Optional.of(plan3), List.of(), Optional.empty(), false);
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1350))),
                worker(3, Map.of("kubectl", rev(1350))));
        for (StatusLine earlier : List.of(new StatusLine.Done(2, 1), new StatusLine.Refreshing(2, 1),
                new StatusLine.Failed(2, 1, new Failure("kubectl", 1360, "cannot refresh")))) {
            PlannerDecision d = Planner.decide(input(peers, state, 1, Optional.empty()).toBuilder()
                    .statuses(Map.of(u(1), earlier)).leader(Optional.of(u(3))).build());
            assertThat(d.state().plan().orElseThrow().complete()).as(earlier.toString()).isFalse();
            assertThat(d.state().grants()).as(earlier.toString()).containsExactly(u(1));
        }
        // A report that says how that refresh ended is as new as the status: its revisions count.
        var reportOfIt = peers(cp(0, Map.of("kubectl", rev(1350))), reported(u(1), Role.WORKER,
                Map.of("kubectl", rev(1350)), Optional.of(Progress.done(new Plan(2, 1, KUBECTL, false)))),
                worker(3, Map.of("kubectl", rev(1350))));
        PlannerDecision complete = Planner.decide(input(reportOfIt, state, 1, Optional.empty()).toBuilder()
                .statuses(Map.of(u(1), new StatusLine.Done(2, 1))).leader(Optional.of(u(3))).build());
        assertThat(complete.state().plan().orElseThrow().complete()).isTrue();
    }
}
