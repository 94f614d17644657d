package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.SnapService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every unit's rules: refresh only when granted for the active plan, and only what differs from its targets, those
 * of its own architecture.
 */
public final class UnitAgent {

    private UnitAgent() {
    }

    private static Status haltedHere(Plan plan, Halt halt) {
        return Status.blocked("rollout halted at plan " + plan.id() + " on this unit: " + halt.reason()
                + "; run the resume action to retry it");
    }

    /**
     * Halted on this unit for a failure of this attempt that its own report does not hold: its status told it and a
     * hook killed before its commit lost it from the report. The unit writes it back as its own (`progress`
     * failed): a report on the targets without it would count as done (the leader frees its grant, and after a
     * resume the unit would never verify the attempt it failed; seed 199179).
     */
    private static AgentDecision haltedHere(AgentInput input, Plan plan, Halt halt) {
        // A done of this attempt does not hold it: a canary verified, then found broken while it soaked, in a hook
        // killed before its commit (its revert done on the machine), still reports that done; counted on it after a
        // resume, workers refreshed while it ran the old revisions (seed 365670).
        boolean failedThisAttempt = input.lastProgress().filter(p -> p.failedAttemptOf(plan)).isPresent();
        Optional<Progress> told = failedThisAttempt ? Optional.empty()
                : Failure.described(halt.reason(), plan.id()).map(f -> Progress.failed(plan, Phase.FAILED, f));
        return new AgentDecision.Settle(haltedHere(plan, halt), told);
    }

    /**
     * The plan's targets the machine lists at their revisions, not managed by config snaps, that serve a node
     * endpoint (a revision is one snap's build for one architecture).
     */
    static List<Target> unmanagedOnTargets(AgentInput input, Plan plan) {
        return plan.targets().stream().filter(t -> !input.installed().containsKey(t.snap())
                && io.snapcoherence.kube.NodeHealth.Endpoint.of(t.snap()).isPresent()
                && Integer.valueOf(t.revision()).equals(input.unmanagedListed().get(t.snap()))).toList();
    }

    public static AgentDecision decide(AgentInput input) {
        if (input.app() instanceof PeerCodec.AppReading.Unreadable bad) {
            return settle(Status.blocked("rollout data unreadable: " + bad.malformed().reason()));
        }
        RolloutState state = ((PeerCodec.AppReading.Read) input.app()).state();
        Optional<Plan> active = state.activePlan();
        if (active.isEmpty()) {
            // A unit that verified its refresh for the plan keeps saying so (StatusLine) once it is complete: the
            // leader may complete a plan on the statuses before it has read every report.
            return settle(state.plan().filter(p -> p.reachedBy(input.arch(), input.installed()))
                    .map(p -> input.lastProgress().filter(d -> d.doneWith(p)).map(d -> StatusLine.done(p, d))
                            .orElse(Status.active("on plan " + p.id())))
                    .orElse(Status.active("up to date")));
        }
        Plan plan = active.get();
        Optional<Failure> ownFailure = input.lastProgress().filter(p -> p.failedAttemptOf(plan))
                .flatMap(Progress::failure);
        if (ownFailure.isPresent()) {
            return settle(StatusLine.failed(plan, ownFailure.get()));
        }
        List<Target> pending = plan.pendingOn(input.arch(), input.installed());
        List<Target> mine = plan.coveredOn(input.arch(), input.installed());
        boolean granted = state.granted(input.unit());
        if (pending.isEmpty()) {
            if (state.halt().filter(h -> h.unit().equals(input.unit())).isPresent()) {
                // Halted on this unit while it is on the targets: a failure its status told and a killed hook then
                // lost from its report, or a soak check never read; and snapd's timer (hold=false) or a refresh by
                // hand may have finished what the failed attempt left off its targets. That attempt failed here:
                // it is never verified, whatever the machine runs now; the operator's next move is about this
                // unit, so it says so, not `active` (seeds 180048, 173854, 175215, 184822, 199179).
                return haltedHere(input, plan, state.halt().get());
            }
            // Already on target, e.g. an earlier hook refreshed but was killed before its report was written:
            // verify and report, without refreshing again.
            // A done that did not cover a snap now managed is no done of this attempt here: verified again, it
            // covers what the unit manages now (Progress.covers).
            boolean reported = input.lastProgress()
                    .filter(p -> p.doneWith(plan) && p.covers(plan, input.managedSnaps())).isPresent();
            if (granted && !reported && !mine.isEmpty()) {
                return new AgentDecision.Refresh(plan, List.of(), mine);
            }
            Optional<Progress> failedReplaced = input.lastProgress().filter(p -> p.phase().failed()
                    && plan.replaces().equals(Optional.of(p.plan())));
            if (!granted && failedReplaced.isPresent()) {
                // Its failure of the halted plan this one replaced stands until it verifies for this plan: it says
                // so, not `active` (the leader grants it first; seed 207035).
                Progress failed = failedReplaced.get();
                return settle(StatusLine.failed(failed.plan(), failed.attempt(), failed.failure().orElseThrow()));
            }
            if (granted && !reported && !unmanagedOnTargets(input, plan).isEmpty()) {
                // On every target it manages (none to verify), but its machine runs a target of the plan that config
                // snaps no longer manages, with a node endpoint: the plan may have put it there (dropped while its
                // refresh ran, or before a resume), and it is not done until the node answers healthy for it (seeds
                // 225422, wide 167573): it verifies.
                return new AgentDecision.Refresh(plan, List.of(), List.of());
            }
            // Its status tells the leader at once that this attempt is done here (StatusLine), once it is.
            Optional<Progress> reporting = granted && !reported ? Optional.of(doneNow(input, plan)) : Optional.empty();
            Optional<Progress> done = reported ? input.lastProgress() : reporting;
            return new AgentDecision.Settle(done.map(d -> StatusLine.done(plan, d))
                    .orElse(Status.active("on plan " + plan.id())), reporting);
        }
        Optional<Progress> doneBefore = input.lastProgress()
                .filter(p -> p.plan() == plan.id() && p.phase() == Phase.DONE);
        Optional<String> notCovered = doneBefore.flatMap(p -> p.covers().flatMap(c -> pending.stream()
                .map(Target::snap).filter(snap -> !c.contains(snap)).findFirst()));
        if (notCovered.isPresent() && doneBefore.get().doneWith(plan)) {
            // Done with this attempt while a snap it runs off the targets was not in its snaps: the plan never
            // refreshed it here. Its grant, if it still stands, is the one its done answered, and units granted
            // after it may be refreshing on that done: refreshing there could make one more than max-unavailable
            // (I2). Nobody counts the done for that snap (UnitReport.reportedDone), so the leader halts naming it,
            // and after the operator's resume it is granted again, last in its tier's line (leader rule 11).
            if (state.halt().filter(h -> h.unit().equals(input.unit())).isPresent()) {
                return haltedHere(input, plan, state.halt().get());
            }
            return settle(Status.waiting(doneWithout(plan, notCovered.get()) + "; the rollout halts on it, and "
                    + "resume refreshes it here"));
        }
        if (doneBefore.isPresent() && notCovered.isEmpty()) {
            // Done for this plan, then moved off its targets by something else (snapd's timer with hold=false, a
            // snap managed again after it was dropped, a refresh by hand). Units granted after this one started on
            // its done report: refreshing again at its old place in the line could make one unit more than
            // max-unavailable refresh (I2). It stays done for this plan; the next plan moves it.
            Target moved = pending.get(0);
            if (state.halt().filter(h -> h.unit().equals(input.unit())).isPresent()) {
                return haltedHere(input, plan, state.halt().get()); // as on the targets (seeds 184822, 365670)
            }
            return settle(Status.active("done for plan " + plan.id() + "; " + moved.snap() + " is on "
                    + input.installed().get(moved.snap()).revision() + " since, moved outside the plan (snapd's "
                    + "timer, or by hand): the next plan brings it to what the proxy serves"));
        }
        if (state.halt().isPresent()) {
            Halt halt = state.halt().get();
            if (halt.unit().equals(input.unit())) {
                // Halted on this unit (its failure read from its status, whose report a failed hook then lost; or
                // silent too long): it says so, as the operator's next move is about it.
                return haltedHere(input, plan, halt);
            }
            return settle(Status.waiting("rollout halted at plan " + plan.id() + " by " + halt.unit()));
        }
        if (state.paused() && granted) {
            // Units in line behind the grants would otherwise keep starting: pause stops every refresh that has
            // not started; one that has is inside its hook and finishes there.
            return settle(Status.waiting("rollout paused at plan " + plan.id() + "; granted, starts after resume"));
        }
        if (!granted) {
            // Its status tells the leader, which reads it afresh, that this machine is off the targets: the leader's
            // copy of its report may be older than a move of the machine (StatusLine.Queued, Census.done).
            return settle(StatusLine.queued(plan, ((PeerCodec.AppReading.Read) input.app()).tally().map(Tally::done)));
        }
        Optional<Soak.Entry> soaking = ((PeerCodec.AppReading.Read) input.app()).soak()
                .filter(e -> !e.ended() && e.plan() == plan.id() && e.attempt() == plan.attempt());
        if (soaking.isPresent()) {
            // The soak holds the leader's new grants only; a grant that stood before it began (a worker granted
            // before a control-plane unit joined and became the plan's canary, grants carried over from a
            // replaced plan) would start in it. No unit starts a refresh of the plan while its soak runs (I10).
            return settle(Status.waiting("granted for plan " + plan.id() + "; starts after the "
                    + (soaking.get().stage() == Soak.Stage.CANARY ? "control plane canary's soak"
                    : "control plane's soak") + " (until " + Soak.clock(soaking.get().until()) + ")"));
        }
        if (input.peers().isEmpty()) {
            return new AgentDecision.NeedPeers(false);
        }
        // Decided twice when it may go: with the readings of the units granted before it, then with every peer's
        // (the checks below run again on the wider view).
        Census census = Census.of(withSelf(input)).withGrants(state.grants()).managing(input.managedSnaps());
        // Every failure comes from a granted unit (only granted units refresh, and a failed one keeps its grant),
        // so a unit that reads every other granted unit sees every failure of the plan (I4). While it waits in
        // line it reads only the units granted before it (what the window needs); before it starts, all.
        List<String> mustRead = input.allPeers() ? state.grants() : state.grantedBefore(input.unit());
        Optional<String> unread = mustRead.stream()
                .filter(u -> !u.equals(input.unit()) && census.report(u).isEmpty()).findFirst();
        if (unread.isPresent()) {
            return settle(Status.waiting("granted for plan " + plan.id() + "; waiting to read " + unread.get()
                    + "'s report"));
        }
        // A peer's failure, or one a unit (this one included) saw as the failed unit left.
        Optional<Halt> failedPeer = census.reports().stream().map(r -> r.failureOf(plan)).flatMap(Optional::stream)
                .findFirst();
        if (failedPeer.isPresent()) {
            // The leader has not halted yet, but a failure is known: start nothing new (I4).
            return settle(Status.waiting("rollout halting at plan " + plan.id() + ": " + failedPeer.get().unit()
                    + " failed"));
        }
        // The window: fewer than max-unavailable units of this tier granted before this one may still be busy.
        // Whoever started later saw everyone granted before it, so no more than max-unavailable run at once (I2),
        // and the next unit starts in the hook that reads its predecessor's done report, without a leader hook.
        // Counted against the lower of this unit's config and the max-unavailable in force (the leader's window,
        // Planner.windowInForce): a raised value waits for the leader; a lowered one holds back units that have not
        // started, but until the leader puts it in force a unit granted before one already refreshing under the
        // former value may still start beside it, within that former value (I2 is judged by the value in force).
        // A unit ahead is through only by its done report of the plan, which it writes once granted and verified
        // and which stays within the plan. Its revisions are no sign of it: a unit on the targets when the plan was
        // made that snapd's timer moved off them is granted and refreshes, while this unit's copy of its report
        // may be older (Juju's relation cache) and show the targets (seed 198069).
        int window = Math.min(input.maxUnavailable(),
                ((PeerCodec.AppReading.Read) input.app()).window().orElse(input.maxUnavailable()));
        long ahead = state.grantedBefore(input.unit()).stream().map(u -> census.report(u).orElseThrow())
                .filter(r -> r.role() == input.role() && !census.reportedDone(r, plan)).count();
        if (ahead >= window) {
            return settle(Status.waiting("granted for plan " + plan.id() + " in line: " + ahead
                    + (ahead == 1 ? " unit" : " units") + " ahead not done yet"));
        }
        if (!input.registrationOk()) {
            return settle(Status.waiting("granted for plan " + plan.id() + "; waiting for proxy registration"));
        }
        if (!input.allPeers()) {
            return new AgentDecision.NeedPeers(true);
        }
        if (input.role() == Role.WORKER && !census.controlPlaneOn(plan)) {
            // Defence in depth for the control-plane-first rule: the grant alone is not trusted.
            return settle(Status.waiting(census.tierProgress(Role.CONTROL_PLANE, plan) + " on plan " + plan.id()));
        }
        Optional<Tally> tally = ((PeerCodec.AppReading.Read) input.app()).tally();
        if (input.role() == Role.WORKER && tally.filter(t -> !t.controlPlaneThrough()).isPresent()) {
            // The leader counts a unit this unit has not seen yet (joined since): it could be control plane.
            return settle(Status.waiting(tally.get().describe(plan.id())));
        }
        if (input.role() == Role.WORKER) {
            // A control-plane unit added a moment ago may not be in any view yet: neither this unit nor a unit it
            // read has joined it, and the leader may not have counted it. Juju lists it in goal-state from the
            // moment it is added (its principal, under the control-plane endpoint): until a report from the unit
            // on each live principal listed is read, the control plane is not known to be through (I1).
            if (input.controlPlaneGoal().isEmpty()) {
                return new AgentDecision.NeedGoalState(plan);
            }
            java.util.Set<String> reporting = census.reports().stream().filter(r -> r.role() == Role.CONTROL_PLANE)
                    .map(UnitReport::principal).flatMap(Optional::stream).collect(Collectors.toSet());
            Optional<String> unseen = input.controlPlaneGoal().get().stream().filter(p -> !reporting.contains(p))
                    .findFirst();
            if (unseen.isPresent()) {
                return settle(Status.waiting("granted for plan " + plan.id() + "; waiting for a report from the unit on "
                        + unseen.get() + " (goal-state lists it)"));
            }
        }
        return new AgentDecision.Refresh(plan, pending, mine);
    }

    /** A done of this attempt, saying the {@code snaps} it covered when the unit's config is known. */
    private static Progress doneNow(AgentInput input, Plan plan) {
        return input.managedSnaps().isEmpty() ? Progress.done(plan) : Progress.done(plan, input.managedSnaps());
    }

    /** Why a unit's done of the plan's current attempt counts for no snap of its targets {@code snap} is one. */
    public static String doneWithout(Plan plan, String snap) {
        return "done with plan " + plan.id() + " (attempt " + plan.attempt() + ") while " + snap
                + " was not in snaps: never refreshed for it";
    }

    /** The status line of a worker that cannot read goal-state before it starts; it tries again later. */
    public static Status goalStateUnreadable(Plan plan, String reason) {
        return Status.waiting("granted for plan " + plan.id() + "; cannot read goal-state (" + reason
                + "); trying again on the next hook");
    }

    /** The status line while refreshing one target. */
    public static Status refreshing(Plan plan, Target target) {
        return StatusLine.running(plan, "refreshing " + target.snap() + " " + target.revision(), "");
    }

    /**
     * The status line while snapd goes on with changes the hook stopped waiting for: the unit is refreshing (or
     * reverting) until each change is ready, whatever snap list shows meanwhile.
     */
    public static Status stillRefreshing(Plan plan, List<Target> targets, java.time.Instant since, boolean reverting) {
        Target first = targets.get(0);
        return StatusLine.running(plan, (reverting ? "reverting " + first.snap() : "refreshing " + first.snap() + " "
                + first.revision()) + (targets.size() > 1 ? " and " + (targets.size() - 1) + " more" : ""),
                "snapd still at it since " + since + "; checked again on the next hook");
    }

    /**
     * The status line of a granted unit held up by something that is not a failure (a conflicting change, the
     * store or snapd unreachable, no answer in time, an answer it cannot read): it keeps its place and tries again.
     */
    public static Status waitingForSnapd(Plan plan, String reason, java.time.Instant since) {
        return Status.waiting("refresh for plan " + plan.id() + " waiting since " + since + ": " + reason
                + "; trying again on the next hook");
    }

    /**
     * Once every refresh change is {@code Done}: each target must be installed at its revision and every enabled
     * service of its snap active ({@code services}: those of the target snaps; a snap without services, such as
     * kubectl, has none to check). The first shortfall is the failure.
     */
    public static Optional<Failure> verify(List<Target> targets, List<InstalledSnap> installed,
                                           List<SnapService> services) {
        Map<String, InstalledSnap> byName = installed.stream()
                .collect(Collectors.toMap(InstalledSnap::name, s -> s, (a, b) -> a));
        for (Target target : targets) {
            InstalledSnap snap = byName.get(target.snap());
            if (snap == null || snap.revision() != target.revision()) {
                return Optional.of(new Failure(target.snap(), target.revision(), "installed revision is "
                        + (snap == null ? "none" : String.valueOf(snap.revision())) + " after the refresh"));
            }
            List<String> down = services.stream()
                    .filter(s -> s.snap().equals(target.snap()) && s.enabled() && !s.active())
                    .map(s -> s.snap() + "." + s.service()).toList();
            if (!down.isEmpty()) {
                return Optional.of(new Failure(target.snap(), target.revision(),
                        "enabled services not active: " + String.join(", ", down)));
            }
        }
        return Optional.empty();
    }

    /** The managed snaps a machine runs, as a unit reports them. */
    public static Map<String, InstalledRevision> managed(List<InstalledSnap> installed, List<String> managedSnaps) {
        Map<String, InstalledRevision> out = new java.util.TreeMap<>();
        for (InstalledSnap snap : installed) {
            if (managedSnaps.contains(snap.name())) {
                out.put(snap.name(), new InstalledRevision(snap.tracking(), snap.revision()));
            }
        }
        return out;
    }

    private static List<UnitReading> withSelf(AgentInput input) {
        List<UnitReading> all = new ArrayList<>(input.peers().orElse(List.of()));
        if (all.stream().noneMatch(r -> r.unit().equals(input.unit()))) {
            all.add(new UnitReading.Reported(new UnitReport(input.unit(), input.role(), input.installed(),
                    input.lastProgress(), input.witnessed(), input.arch(), Optional.empty())));
        }
        return all;
    }

    private static AgentDecision settle(Status status) {
        return new AgentDecision.Settle(status, Optional.empty());
    }
}
