package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.SnapService;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.snapcoherence.coherence.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

class UnitAgentTest {
    private static final Target KUBELET = new Target("kubelet", CH, ARCH, 201);
    private static final Plan PLAN = new Plan(7, 1, List.of(KUBELET), false);

    private static PeerCodec.AppReading app(RolloutState state) {
        return new PeerCodec.AppReading.Read(state);
    }

    private static RolloutState granted(String... units) {
        return new RolloutState(Optional.of(PLAN), List.of(units), Optional.empty(), false);
    }

    /**
     * Decides as the charm does: a worker about to start asks goal-state, which here lists no control-plane
     * principal (the rule on what it lists is tested on its own, below).
     */
    private static AgentDecision decide(AgentInput input) {
        AgentDecision first = UnitAgent.decide(input);
        return first instanceof AgentDecision.NeedGoalState ? UnitAgent.decide(input.withControlPlaneGoal(List.of()))
                : first;
    }

    private static UnitReading cpOn(int n, String principal) {
        return new UnitReading.Reported(new UnitReport(u(n), Role.CONTROL_PLANE, Map.of("kube-apiserver", rev(10)),
                Optional.empty()).on(Optional.of(principal)));
    }

    @Test
    void aWorkerAboutToStartWaitsForEveryLiveControlPlanePrincipalGoalStateListsToReport() {
        var seenOne = List.of(cpOn(0, "kubernetes-control-plane/0"));
        AgentInput input = workerFive(granted(u(5)), seenOne);
        AgentDecision.NeedGoalState ask = new AgentDecision.NeedGoalState(PLAN);
        assertThat(UnitAgent.decide(input)).isEqualTo(ask);
        // A principal added a moment ago: no unit this worker read has reported from it.
        assertThat(UnitAgent.decide(input.withControlPlaneGoal(List.of("kubernetes-control-plane/0",
                "kubernetes-control-plane/4")))).isEqualTo(new AgentDecision.Settle(Status.waiting(
                "granted for plan 7; waiting for a report from the unit on kubernetes-control-plane/4 (goal-state "
                        + "lists it)"), Optional.empty()));
        // Once it reports, the worker goes.
        var seenBoth = List.of(cpOn(0, "kubernetes-control-plane/0"), cpOn(6, "kubernetes-control-plane/4"));
        assertThat(UnitAgent.decide(workerFive(granted(u(5)), seenBoth).withControlPlaneGoal(List.of(
                "kubernetes-control-plane/0", "kubernetes-control-plane/4")))).isInstanceOf(AgentDecision.Refresh.class);
        // A report of the previous version names no principal: the unit on that principal is not known yet.
        var unnamed = List.<UnitReading>of(cp(0, Map.of("kube-apiserver", rev(10))));
        assertThat(UnitAgent.decide(workerFive(granted(u(5)), unnamed).withControlPlaneGoal(List.of(
                "kubernetes-control-plane/0")))).isInstanceOf(AgentDecision.Settle.class);
        // A control-plane unit does not ask: it cannot miss a control-plane unit, the tier it is in.
        assertThat(UnitAgent.decide(inLine(u(9), Role.CONTROL_PLANE, granted(u(9)), 1, seenOne, true)))
                .isInstanceOf(AgentDecision.Refresh.class);
    }

    @Test
    void aDoneThatDidNotCoverASnapNowManagedNeitherLetsAWorkerGoNorRefreshesOnTheGrantItAnswered() {
        var managed = List.of("kubelet", "kube-apiserver");
        Progress partial = Progress.done(PLAN, List.of("kube-apiserver"));
        // Control-plane unit 0 verified plan 7 while kubelet was not in snaps; it runs kubelet 200 (seed 334233).
        UnitReading cp0 = reported(u(0), Role.CONTROL_PLANE, Map.of("kube-apiserver", rev(10), "kubelet", rev(200)),
                Optional.of(partial));
        AgentDecision worker = decide(workerFive(granted(u(5)), List.of(cp0)).managing(managed));
        assertThat(worker).isEqualTo(new AgentDecision.Settle(Status.waiting("control plane 0/1 on plan 7"),
                Optional.empty()));
        // Counted by a worker whose snaps leave kubelet out, as before.
        assertThat(decide(workerFive(granted(u(5)), List.of(cp0)).managing(List.of("kube-apiserver"))))
                .isInstanceOf(AgentDecision.Refresh.class);

        // The unit itself, its grant still standing: the one its done answered. It waits for the halt.
        AgentInput self = new AgentInput(u(0), Role.CONTROL_PLANE, Map.of("kubelet", rev(200)), Optional.of(partial),
                app(granted(u(0), u(1))), Optional.of(List.of()), true).managing(managed);
        assertThat(decide(self)).isEqualTo(new AgentDecision.Settle(Status.waiting("done with plan 7 (attempt 1) "
                + "while kubelet was not in snaps: never refreshed for it; the rollout halts on it, and resume "
                + "refreshes it here"), Optional.empty()));
        // After the resume (attempt 2) its done is of an earlier attempt: granted again, it refreshes kubelet.
        Plan second = PLAN.nextAttempt();
        AgentInput resumed = new AgentInput(u(0), Role.CONTROL_PLANE, Map.of("kubelet", rev(200)),
                Optional.of(partial), app(new RolloutState(Optional.of(second), List.of(u(1), u(0)),
                Optional.empty(), false)), Optional.of(List.of(reported(u(1), Role.CONTROL_PLANE,
                Map.of("kubelet", rev(201)), Optional.of(Progress.done(PLAN))))), true).managing(managed);
        assertThat(decide(resumed)).isEqualTo(new AgentDecision.Refresh(second, List.of(KUBELET), List.of(KUBELET)));
    }

    private static AgentInput workerFive(RolloutState state, List<UnitReading> peers) {
        return new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(), app(state),
                Optional.of(peers), true);
    }

    private static final List<UnitReading> CP_ON_TARGET = List.of(cp(0, Map.of("kube-apiserver", rev(10))));

    @Test
    void aUnitWhoseFailureOfTheReplacedPlanStandsShowsItUntilGrantedThenVerifiesForTheNewPlan() {
        // Plan 8 replaced plan 7, halted on this unit, with the same target: it runs it, and its failure stands.
        Plan replacing = new Plan(8, 1, List.of(KUBELET), false, Optional.of(7L));
        Failure broken = new Failure("kubelet", 201, "enabled services not active: kubelet.daemon");
        Optional<Progress> failed = Optional.of(Progress.failed(PLAN, Phase.FAILED, broken));
        var notGranted = new RolloutState(Optional.of(replacing), List.of(), Optional.empty(), false);
        AgentDecision waiting = decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(201)), failed,
                app(notGranted), Optional.of(CP_ON_TARGET), true));
        assertThat(waiting).isEqualTo(new AgentDecision.Settle(Status.blocked("kubelet 201 failed (plan 7, attempt "
                + "1): enabled services not active: kubelet.daemon"), Optional.empty()));
        // Granted, it verifies for plan 8 without refreshing (services, the node's health), then reports.
        var grantedFirst = new RolloutState(Optional.of(replacing), List.of(u(5)), Optional.empty(), false);
        assertThat(decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(201)), failed,
                app(grantedFirst), Optional.of(CP_ON_TARGET), true)))
                .isEqualTo(new AgentDecision.Refresh(replacing, List.of(), List.of(KUBELET)));
    }

    /**
     * Granted, with no target among the snaps it manages (kube-proxy only), and its machine lists kubelet, dropped
     * from config snaps, at the plan's revision: the plan may have put it there, and the node has not answered for
     * it yet, so the unit verifies instead of reporting done (seeds 225422, wide 167573). Not for a revision other
     * than the plan's, nor for a snap without a node endpoint, nor once it has reported done.
     */
    @Test
    void aGrantedUnitWhoseMachineRunsAnUnmanagedTargetWithANodeEndpointVerifiesIt() {
        Target kubectl = new Target("kubectl", CH, ARCH, 301);
        Plan plan = new Plan(7, 1, List.of(KUBELET, kubectl), false);
        RolloutState state = new RolloutState(Optional.of(plan), List.of(u(5)), Optional.empty(), false);
        java.util.function.BiFunction<Map<String, Integer>, Optional<Progress>, AgentDecision> decideWith =
                (unmanaged, progress) -> decide(new AgentInput(u(5), Role.WORKER, Map.of("kube-proxy", rev(10)),
                        progress, app(state), 1, Optional.of(CP_ON_TARGET), true, true, Optional.empty(), ARCH,
                        unmanaged));
        AgentDecision reportsDone = new AgentDecision.Settle(StatusLine.done(plan), Optional.of(Progress.done(plan)));

        assertThat(decideWith.apply(Map.of("kubelet", 201, "kubectl", 301), Optional.empty()))
                .isEqualTo(new AgentDecision.Refresh(plan, List.of(), List.of()));
        assertThat(decideWith.apply(Map.of("kubelet", 200, "kubectl", 301), Optional.empty()))
                .as("kubelet is not the plan's revision; kubectl serves no node endpoint").isEqualTo(reportsDone);
        assertThat(decideWith.apply(Map.of(), Optional.empty())).isEqualTo(reportsDone);
        assertThat(decideWith.apply(Map.of("kubelet", 201), Optional.of(Progress.done(plan))))
                .isEqualTo(new AgentDecision.Settle(StatusLine.done(plan), Optional.empty()));
    }

    @Test
    void aGrantedWorkerRefreshesItsPendingTargetsOnlyWhenTheControlPlaneIsOnThePlan() {
        AgentDecision go = decide(workerFive(granted(u(5)), CP_ON_TARGET));
        assertThat(go).isEqualTo(new AgentDecision.Refresh(PLAN, List.of(KUBELET), List.of(KUBELET)));

        var cpBehind = List.<UnitReading>of(cp(0, Map.of("kubelet", rev(200))));
        AgentDecision wait = decide(workerFive(granted(u(5)), cpBehind));
        assertThat(wait).isEqualTo(new AgentDecision.Settle(Status.waiting("control plane 0/1 on plan 7"),
                Optional.empty()));

        var silentPeer = List.<UnitReading>of(cp(0, Map.of()), new UnitReading.Unreported(u(9)));
        assertThat(decide(workerFive(granted(u(5)), silentPeer))).isInstanceOf(AgentDecision.Settle.class);
    }

    @Test
    void aGrantedWorkerCountsAControlPlaneUnitStillGrantedThroughByItsDoneReportNotByItsRevisions() {
        // The leader still grants snap-coherence/0 (it has not read its done report, or it is refreshing): this
        // worker's copy of its report may be from before its grant and show the target (seed 248268).
        var onTarget = List.<UnitReading>of(cp(0, Map.of("kubelet", rev(201))));
        AgentDecision wait = decide(workerFive(granted(u(0), u(5)), onTarget));
        assertThat(wait).isEqualTo(new AgentDecision.Settle(Status.waiting("control plane 0/1 on plan 7"),
                Optional.empty()));
        var verified = List.<UnitReading>of(reported(u(0), Role.CONTROL_PLANE, Map.of("kubelet", rev(201)),
                Optional.of(Progress.done(PLAN))));
        assertThat(decide(workerFive(granted(u(0), u(5)), verified))).isEqualTo(
                new AgentDecision.Refresh(PLAN, List.of(KUBELET), List.of(KUBELET)));
    }

    @Test
    void aGrantedWorkerWaitsWhileTheLeadersTallyShowsTheControlPlaneNotThrough() {
        // The leader saw a unit join that this worker has not seen yet: it could be control plane.
        var tallyBehind = new PeerCodec.AppReading.Read(granted(u(5)), Optional.of(new Tally(1, 2, 0, 3)));
        var input = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(), tallyBehind,
                Optional.of(CP_ON_TARGET), true);
        assertThat(decide(input)).isEqualTo(new AgentDecision.Settle(
                Status.waiting("control plane 1/2 on plan 7"), Optional.empty()));
        var tallyThrough = new PeerCodec.AppReading.Read(granted(u(5)), Optional.of(new Tally(2, 2, 0, 3)));
        assertThat(decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                tallyThrough, Optional.of(CP_ON_TARGET), true))).isInstanceOf(AgentDecision.Refresh.class);
    }

    /**
     * A worker granted before a control-plane unit joined, waiting for it to be on the plan, then finding the
     * leader soaking it as the plan's canary (seeds 183416, 172240, wide 165613): the soak holds the grants that
     * stood before it too, until it ended; one of an earlier attempt or another plan does not hold it.
     */
    @Test
    void aGrantedWorkerStartsNoRefreshWhileTheSoakOfItsPlansAttemptRuns() {
        java.time.Instant until = java.time.Instant.parse("2026-11-25T10:32:10Z");
        Soak.Entry canary = new Soak.Entry(PLAN.id(), PLAN.attempt(), Soak.Stage.CANARY, u(6), until, false);
        var through = Optional.of(new Tally(2, 2, 0, 3));
        AgentInput soaking = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                new PeerCodec.AppReading.Read(granted(u(5)), through, Offers.NONE, Optional.empty(),
                        Optional.of(canary)), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(soaking)).isEqualTo(new AgentDecision.Settle(Status.waiting(
                "granted for plan 7; starts after the control plane canary's soak (until 10:32 UTC)"),
                Optional.empty()));
        Soak.Entry controlPlane = new Soak.Entry(PLAN.id(), PLAN.attempt(), Soak.Stage.CONTROL_PLANE, u(6), until,
                false);
        assertThat(decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                new PeerCodec.AppReading.Read(granted(u(5)), through, Offers.NONE, Optional.empty(),
                        Optional.of(controlPlane)), Optional.of(CP_ON_TARGET), true))).isEqualTo(
                new AgentDecision.Settle(Status.waiting(
                        "granted for plan 7; starts after the control plane's soak (until 10:32 UTC)"),
                        Optional.empty()));
        for (Soak.Entry over : List.of(canary.endedNow(), new Soak.Entry(PLAN.id() - 1, 1, Soak.Stage.CANARY, u(6),
                until, false))) {
            assertThat(decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                    new PeerCodec.AppReading.Read(granted(u(5)), through, Offers.NONE, Optional.empty(),
                            Optional.of(over)), Optional.of(CP_ON_TARGET), true)))
                    .isInstanceOf(AgentDecision.Refresh.class);
        }
    }

    @Test
    void anUngrantedUnitWaitsWithTheLeadersTallyAndReadsNoPeers() {
        var withTally = new PeerCodec.AppReading.Read(granted(u(6)), Optional.of(new Tally(3, 3, 1, 2)));
        var input = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(), withTally,
                Optional.empty(), true);
        assertThat(decide(input)).isEqualTo(new AgentDecision.Settle(
                Status.waiting("queued for plan 7 (workers 1/2 done)"), Optional.empty()));
        var cpTally = new PeerCodec.AppReading.Read(granted(u(6)), Optional.of(new Tally(2, 3, 0, 2)));
        assertThat(decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                cpTally, Optional.empty(), true))).isEqualTo(new AgentDecision.Settle(
                Status.waiting("queued for plan 7 (control plane 2/3 done)"), Optional.empty()));
        // Granted: the agent asks for the peers before refreshing.
        assertThat(decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                app(granted(u(5))), Optional.empty(), true))).isEqualTo(new AgentDecision.NeedPeers(false));
    }

    private static AgentInput inLine(String unit, Role role, RolloutState state, int m, List<UnitReading> peers,
                                     boolean all) {
        return new AgentInput(unit, role, Map.of("kubelet", rev(200)), Optional.empty(), app(state), m,
                Optional.of(peers), all, true);
    }

    private static UnitReading workerOn(int n, int revision) {
        return worker(n, Map.of("kubelet", rev(revision)));
    }

    @Test
    void aGrantedUnitStartsOnlyWhenFewerThanMaxUnavailableGrantedBeforeItAreNotDone() {
        var line = granted(u(3), u(4), u(5), u(6));
        // m = 2: u(3) and u(4) are ahead of u(5) and not done.
        var busy = List.of(workerOn(3, 200), workerOn(4, 200), workerOn(6, 200));
        assertThat(decide(inLine(u(5), Role.WORKER, line, 2, busy, false))).isEqualTo(
                new AgentDecision.Settle(Status.waiting("granted for plan 7 in line: 2 units ahead not done yet"),
                        Optional.empty()));
        // u(3) done: u(5) may go, and asks for every peer's data once (the control-plane check) before it does.
        var oneDone = List.of(reported(u(3), Role.WORKER, Map.of("kubelet", rev(201)), Optional.of(Progress.done(PLAN))),
                workerOn(4, 200), workerOn(6, 200));
        assertThat(decide(inLine(u(5), Role.WORKER, line, 2, oneDone, false)))
                .isEqualTo(new AgentDecision.NeedPeers(true));
        var all = new java.util.ArrayList<>(oneDone);
        all.addAll(CP_ON_TARGET);
        assertThat(decide(inLine(u(5), Role.WORKER, line, 2, all, true)))
                .isEqualTo(new AgentDecision.Refresh(PLAN, List.of(KUBELET), List.of(KUBELET)));
        // Units granted after it do not count, however many are busy.
        var othersBusy = List.of(workerOn(4, 200), workerOn(5, 200), workerOn(6, 200));
        assertThat(decide(inLine(u(3), Role.WORKER, line, 1, othersBusy, false)))
                .isEqualTo(new AgentDecision.NeedPeers(true));
    }

    /**
     * Seed 198069: the control plane was on the plan's revisions when it was made; snapd's timer (hold=false) then
     * moved both units off them, the leader read u(0)'s report and granted u(0), then u(1). u(0) refreshes; u(1)'s
     * copy of u(0)'s report is from before the timer moved it (Juju's relation cache: read as of u(1)'s last hook
     * for u(0)) and shows the plan's revisions. A granted unit ahead is through only by its own word, a done report
     * of the plan, which it writes once granted and verified and which stays within the plan; revisions are no
     * sign of it, as an older copy of them may show the targets while the unit refreshes.
     */
    @Test
    void aUnitGrantedAheadIsThroughInTheWindowByItsDoneReportNotByRevisionsAnOlderCopyMayShow() {
        var line = granted(u(0), u(1));
        AgentInput behind = new AgentInput(u(1), Role.CONTROL_PLANE, Map.of("kubelet", rev(200)), Optional.empty(),
                app(line), 1, Optional.of(List.of(reported(u(0), Role.CONTROL_PLANE, Map.of("kubelet", rev(201)),
                Optional.empty()))), false, true);
        assertThat(decide(behind)).isEqualTo(new AgentDecision.Settle(
                Status.waiting("granted for plan 7 in line: 1 unit ahead not done yet"), Optional.empty()));
        // Its done report of the plan, this attempt or an earlier one (done stays done), lets u(1) go.
        var resumed = new RolloutState(Optional.of(new Plan(PLAN.id(), 2, List.of(KUBELET), false)),
                List.of(u(0), u(1)), Optional.empty(), false);
        for (RolloutState state : List.of(line, resumed)) {
            assertThat(decide(new AgentInput(u(1), Role.CONTROL_PLANE, Map.of("kubelet", rev(200)), Optional.empty(),
                    app(state), 1, Optional.of(List.of(reported(u(0), Role.CONTROL_PLANE, Map.of("kubelet", rev(201)),
                    Optional.of(Progress.done(PLAN))))), false, true))).isEqualTo(new AgentDecision.NeedPeers(true));
        }
        // A done report of an earlier plan is not this plan's.
        assertThat(decide(new AgentInput(u(1), Role.CONTROL_PLANE, Map.of("kubelet", rev(200)), Optional.empty(),
                app(line), 1, Optional.of(List.of(reported(u(0), Role.CONTROL_PLANE, Map.of("kubelet", rev(201)),
                Optional.of(new Progress(PLAN.id() - 1, 1, Phase.DONE, Optional.empty()))))), false, true)))
                .isInstanceOf(AgentDecision.Settle.class);
    }

    @Test
    void onlyUnitsOfItsOwnTierAheadOfItCount() {
        // A control-plane unit that joined mid-rollout is granted behind workers waiting for it: it must not wait
        // for them, or neither would ever go.
        var line = granted(u(3), u(4), u(9));
        var peers = List.of(workerOn(3, 200), workerOn(4, 200));
        AgentDecision d = decide(new AgentInput(u(9), Role.CONTROL_PLANE, Map.of("kubelet", rev(200)),
                Optional.empty(), app(line), 1, Optional.of(peers), false, true));
        assertThat(d).isEqualTo(new AgentDecision.NeedPeers(true));
    }

    @Test
    void aPausedRolloutStartsNoGrantedUnit() {
        var paused = new RolloutState(Optional.of(PLAN), List.of(u(5)), Optional.empty(), true);
        assertThat(decide(inLine(u(5), Role.WORKER, paused, 1, CP_ON_TARGET, true))).isEqualTo(
                new AgentDecision.Settle(Status.waiting("rollout paused at plan 7; granted, starts after resume"),
                        Optional.empty()));
    }

    @Test
    void aGrantedUnitWaitsUntilItCanReadEveryOtherGrantedUnit() {
        // Every failure comes from a granted unit: one it cannot read could have failed (I4), and could be busy.
        var line = granted(u(3), u(5));
        assertThat(decide(inLine(u(5), Role.WORKER, line, 2, List.of(), false))).isEqualTo(
                new AgentDecision.Settle(Status.waiting("granted for plan 7; waiting to read snap-coherence/3's report"),
                        Optional.empty()));
        var unreadable = List.<UnitReading>of(new UnitReading.Unreadable(new Malformed(u(3), "schema 2")));
        assertThat(decide(inLine(u(5), Role.WORKER, line, 2, unreadable, false)))
                .isInstanceOf(AgentDecision.Settle.class);
        var failed = reported(u(3), Role.WORKER, Map.of("kubelet", rev(200)),
                Optional.of(Progress.failed(PLAN, Phase.FAILED, new Failure("kubelet", 201, "x"))));
        assertThat(decide(inLine(u(5), Role.WORKER, line, 2, List.of(failed), false))).isEqualTo(
                new AgentDecision.Settle(Status.waiting("rollout halting at plan 7: snap-coherence/3 failed"),
                        Optional.empty()));
    }

    @Test
    void aUnitAlreadyOnTargetVerifiesAndReportsWithoutRefreshing() {
        var input = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(201)), Optional.empty(),
                app(granted(u(5))), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(input)).isEqualTo(new AgentDecision.Refresh(PLAN, List.of(), List.of(KUBELET)));

        var reported = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(201)),
                Optional.of(Progress.done(PLAN)), app(granted(u(5))), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(reported)).isEqualTo(new AgentDecision.Settle(Status.active("on plan 7 (attempt 1, verified)"),
                Optional.empty()));
    }

    @Test
    void aUnitWithoutThePlannedSnapHasNothingToDo() {
        var input = new AgentInput(u(5), Role.WORKER, Map.of("kubectl", rev(3)), Optional.empty(),
                app(granted(u(5))), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(input)).isEqualTo(new AgentDecision.Settle(Status.active("on plan 7 (attempt 1, verified)"),
                Optional.of(Progress.done(PLAN))));
    }

    @Test
    void itsOwnFailureBlocksUntilAResumeRaisesTheAttempt() {
        var failure = Progress.failed(PLAN, Phase.FAILED, new Failure("kubelet", 201, "cannot refresh"));
        var input = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.of(failure),
                app(granted(u(5))), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(input)).isEqualTo(new AgentDecision.Settle(
                Status.blocked("kubelet 201 failed (plan 7, attempt 1): cannot refresh"), Optional.empty()));

        var resumed = new RolloutState(Optional.of(PLAN.nextAttempt()), List.of(u(5)), Optional.empty(), false);
        var retry = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.of(failure),
                app(resumed), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(retry)).isInstanceOf(AgentDecision.Refresh.class);
    }

    @Test
    void aUnitOnTheTargetsThatTheHaltNamesSaysSoRatherThanVerifiedAndWritesTheFailureOverItsDone() {
        // Its soak check failed and said so in its status; the hook was killed before its commit, so its report
        // still says done (seed 180048): it showed `active: on plan 7 (attempt 1, verified)` under a halt naming it.
        // It writes the failure back over its done: counted done on it after a resume, a canary whose killed hook
        // had reverted it let the workers refresh while it ran the old revisions (seed 365670).
        var halted = new RolloutState(Optional.of(PLAN), List.of(), Optional.of(new Halt(u(5),
                "kubelet 201 failed (plan 7): enabled services not active (found while soaking)")), false);
        var input = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(201)), Optional.of(Progress.done(PLAN)),
                app(halted), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(input)).isEqualTo(new AgentDecision.Settle(Status.blocked("rollout halted at plan 7 on "
                + "this unit: kubelet 201 failed (plan 7): enabled services not active (found while soaking); run the "
                + "resume action to retry it"), Optional.of(Progress.failed(PLAN, Phase.FAILED, new Failure("kubelet",
                201, "enabled services not active (found while soaking)")))));

        // Done, then moved off the targets by snapd's timer: the halt all the same (seed 184822).
        var moved = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(202)), Optional.of(Progress.done(PLAN)),
                app(halted), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(moved)).isEqualTo(decide(input));
    }

    @Test
    void aUnitTheHaltNamesWritesBackTheFailureItsReportLostAndIsNeverVerifiedOnTheTargets() {
        // Its failure was in its status only (a killed hook lost it from its report); snapd's timer then brought the
        // machine onto the targets (seed 199179: it verified and reported done for the attempt that failed).
        var halted = new RolloutState(Optional.of(PLAN), List.of(u(5)), Optional.of(new Halt(u(5),
                "kubelet 201 failed (plan 7): cannot perform the following tasks: - Start snap \"kubelet\" (201)")),
                false);
        var onTargets = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(201)), Optional.empty(),
                app(halted), Optional.of(CP_ON_TARGET), true);
        Failure lost = new Failure("kubelet", 201, "cannot perform the following tasks: - Start snap \"kubelet\" (201)");
        assertThat(decide(onTargets)).isEqualTo(new AgentDecision.Settle(Status.blocked("rollout halted at plan 7 on "
                + "this unit: kubelet 201 failed (plan 7): cannot perform the following tasks: - Start snap \"kubelet\" "
                + "(201); run the resume action to retry it"), Optional.of(Progress.failed(PLAN, Phase.FAILED, lost))));
        // Off the targets, the same.
        var offTargets = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                app(halted), Optional.of(CP_ON_TARGET), true);
        assertThat(decide(offTargets)).isEqualTo(decide(onTargets));

        // A halt for silence names no failure: nothing is written, and it is not verified either.
        var silent = new RolloutState(Optional.of(PLAN), List.of(u(5)), Optional.of(new Halt(u(5),
                "granted, not in the relation for 45 min")), false);
        assertThat(decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(201)), Optional.empty(),
                app(silent), Optional.of(CP_ON_TARGET), true))).isEqualTo(new AgentDecision.Settle(Status.blocked(
                "rollout halted at plan 7 on this unit: granted, not in the relation for 45 min; run the resume action"
                + " to retry it"), Optional.empty()));
    }

    @Test
    void nothingStartsWhileHaltedWhileAPeerHasFailedOrBeforeRegistration() {
        var halted = new RolloutState(Optional.of(PLAN), List.of(u(5)), Optional.of(new Halt(u(6), "x")), false);
        assertThat(decide(workerFive(halted, CP_ON_TARGET))).isInstanceOf(AgentDecision.Settle.class);

        var failedPeer = reported(u(6), Role.WORKER, Map.of("kubelet", rev(200)),
                Optional.of(Progress.failed(PLAN, Phase.FAILED, new Failure("kubelet", 201, "x"))));
        var peers = List.of(CP_ON_TARGET.get(0), failedPeer);
        assertThat(decide(workerFive(granted(u(5), u(6)), peers))).isInstanceOf(AgentDecision.Settle.class);

        var unregistered = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                app(granted(u(5))), Optional.of(CP_ON_TARGET), false);
        assertThat(decide(unregistered)).isEqualTo(new AgentDecision.Settle(
                Status.waiting("granted for plan 7; waiting for proxy registration"), Optional.empty()));
    }

    @Test
    void unreadableAppDataBlocksInsteadOfGuessing() {
        var input = new AgentInput(u(5), Role.WORKER, Map.of(), Optional.empty(),
                new PeerCodec.AppReading.Unreadable(new Malformed("snap-coherence", "schema 9")), Optional.empty(), true);
        assertThat(decide(input)).isEqualTo(new AgentDecision.Settle(
                Status.blocked("rollout data unreadable: schema 9"), Optional.empty()));
    }

    @Test
    void verificationWantsTheTargetRevisionAndActiveEnabledServices() {
        var list = List.of(new InstalledSnap("kubelet", "v", 201, CH, Optional.empty()));
        assertThat(UnitAgent.verify(List.of(KUBELET), list,
                List.of(new SnapService("kubelet", "daemon", true, true),
                        new SnapService("kubelet", "helper", false, false)))).isEmpty();
        assertThat(UnitAgent.verify(List.of(KUBELET), list,
                List.of(new SnapService("kubelet", "daemon", true, false))))
                .contains(new Failure("kubelet", 201, "enabled services not active: kubelet.daemon"));
        assertThat(UnitAgent.verify(List.of(KUBELET), List.of(new InstalledSnap("kubelet", "v", 200, CH,
                Optional.empty())), List.of())).contains(new Failure("kubelet", 201,
                "installed revision is 200 after the refresh"));
    }

    @Test
    void aFailureWitnessedAsAUnitLeftStopsAGrantedUnitLikeAPeersFailure() {
        Witnessed seen = new Witnessed(u(3), Progress.failed(PLAN, Phase.FAILED,
                new Failure("kubelet", 201, "download failed")));
        // Reported by a peer (the failed unit itself is gone).
        var peers = List.<UnitReading>of(cp(0, Map.of("kube-apiserver", rev(10))),
                new UnitReading.Reported(new UnitReport(u(4), Role.WORKER, Map.of("kubelet", rev(200)),
                        Optional.empty(), Optional.of(seen))));
        assertThat(decide(workerFive(granted(u(5)), peers))).isEqualTo(new AgentDecision.Settle(
                Status.waiting("rollout halting at plan 7: snap-coherence/3 failed"), Optional.empty()));
        // Witnessed by this unit itself, in an earlier hook.
        var own = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                app(granted(u(5))), 1, Optional.of(CP_ON_TARGET), true, true, Optional.of(seen));
        assertThat(decide(own)).isInstanceOf(AgentDecision.Settle.class);
        // After a resume (attempt 2) it no longer counts.
        Plan resumed = PLAN.nextAttempt();
        var next = new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(200)), Optional.empty(),
                app(new RolloutState(Optional.of(resumed), List.of(u(5)), Optional.empty(), false)), 1,
                Optional.of(CP_ON_TARGET), true, true, Optional.of(seen));
        assertThat(decide(next)).isInstanceOf(AgentDecision.Refresh.class);
    }

    @Test
    void aGrantedWorkerThatSeesNoControlPlaneUnitDoesNotRefresh() {
        var workersOnly = List.<UnitReading>of(worker(6, Map.of("kubelet", rev(201))));
        assertThat(decide(workerFive(granted(u(5)), workersOnly)))
                .isInstanceOf(AgentDecision.Settle.class);
    }
}
