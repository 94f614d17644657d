package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The leader's rules, as a function from what it reads to the app databag it writes. Run on every hook, so a new
 * leader simply continues from the databag: grants it finds stay, and it never grants beyond max-unavailable.
 */
public final class Planner {

    private Planner() {
    }

    /**
     * The most targets one plan holds: plans travel in the app databag, which Juju copies to every unit, so its size
     * is bounded whatever the units run (at most this many (snap, channel, architecture)s, as many as the offers
     * hold; more differing at once is refused, with the reason in the status, rather than split: a split could plan
     * the workers' snaps before the control plane's).
     */
    public static final int MAX_TARGETS = Offers.MAX_ENTRIES;

    public static PlannerDecision decide(PlannerInput input) {
        // What the units' statuses say counts with their reports: a verified done frees a grant and lets the next
        // unit in, a failure halts, in the leader's first hook after the status was set (docs/protocol.md).
        // A granted unit counts done only by its done report or status, never by revisions a copy of its report
        // from before its grant shows (Census.done).
        Census census = Census.of(StatusLine.applied(input.peers(), input.statuses(), input.state().plan()))
                .withStatuses(input.statuses()).withGrants(input.state().grants()).managing(input.managedSnaps())
                .knowingGone(gone(input));
        if (input.leaderLeaving()) {
            return whileLeaving(input, census);
        }
        Watch watch = input.watch();
        RolloutState state = applyRequest(input.state(), input.request(), census, watch);

        // A departed unit's grant is freed (I8). A granted unit the leader has not seen join yet keeps its grant
        // (it may be refreshing), and until it is seen the leader neither grants nor completes anything.
        List<String> grants = state.grants().stream().filter(u -> census.knows(u) || !input.left().contains(u))
                .toList();
        Optional<Plan> plan = state.plan();
        Optional<Halt> halt = state.halt();

        if (plan.isPresent() && plan.get().active()) {
            Plan active = plan.get();
            if (halt.isEmpty()) {
                halt = firstFailure(census, input.leaving(), active);
            }
            if (halt.isEmpty()) {
                // A unit done with this attempt without a snap the plan targets, off its target on that snap: it can
                // move only on a grant it can tell from the one its done answered, which a resume gives (rule 11).
                // Its grant is freed: after the resume it is granted again last in its tier's line, behind units
                // that may have started on its done.
                Optional<Halt> missed = doneWithout(census, active);
                if (missed.isPresent()) {
                    halt = missed;
                    String unit = missed.get().unit();
                    grants = grants.stream().filter(u -> !u.equals(unit)).toList();
                }
            }
            grants = notDone(grants, census, active);
            // Every grant left is of a unit not in view or not done by its own word (Census.done).
            boolean allDone = grants.isEmpty() && census.controlPlaneKnown()
                    && census.reports().stream().allMatch(r -> census.done(r, active));
            // A failure of this attempt halts it even when every unit left is done (the failed unit left with
            // its report): it is news about the revision, and only the operator moves on from it (I4).
            if (allDone && halt.isEmpty()) {
                plan = Optional.of(active.completed());
                grants = List.of();
                halt = Optional.empty();
            }
        }

        // What the proxy serves: the newest views the units reported. When a view changed what the leader held, or
        // a (snap, channel, architecture) some unit tracks has no view yet, or the operator asks, a few units are
        // asked to look now; no plan is made until they have answered, so that one plan covers what changed.
        Instant now = watch.now();
        Offers.Merged merged = input.offers().merge(census.reports(), now);
        Offers offers = mayPrune(input, census) ? merged.offers().prunedTo(census) : merged.offers();
        CheckRound round = offers.check();
        boolean refreshNow = input.request().orElse(null) instanceof LeaderRequest.Refresh;
        boolean running = round.runs(census, now);
        boolean news = merged.changedBy().stream().anyMatch(u -> census.report(u).flatMap(UnitReport::view)
                .map(v -> !v.answer()).orElse(false));
        Map<String, Set<SnapChannel>> uncoveredPairs = offers.uncovered(census.reports(), input.managedSnaps());
        Set<String> uncovered = uncoveredPairs.keySet();
        // A (snap, channel, architecture) no unit asked in the last round tracks (new, or every unit asked about it
        // has left) is asked about at once; otherwise a unit asked that could not look answers when it can, and the
        // leader asks again only after CheckRound.RETRY.
        boolean unasked = !round.covers(uncoveredPairs, census);
        boolean everything = refreshNow || (!running && news);
        if (everything || (!running && !uncovered.isEmpty() && (unasked || round.retryDue(now)))) {
            long next = round.round() + 1;
            // What changed may have changed everywhere; what nobody covers is asked about alone.
            List<String> toAsk = offers.toAsk(census.reports(), input.managedSnaps(), next, input.leader(), now,
                    everything ? Optional.empty() : Optional.of(uncovered));
            if (!toAsk.isEmpty()) {
                offers = offers.withCheck(new CheckRound(next, now, toAsk));
                running = true;
            }
        }

        // A refresh request, now or waiting from an earlier one that could not start a plan yet.
        Optional<Set<String>> asked = state.requested();
        Optional<LeaderRequest.Refresh> refreshRequest = input.request()
                .filter(LeaderRequest.Refresh.class::isInstance).map(LeaderRequest.Refresh.class::cast);
        if (refreshRequest.isPresent()) {
            asked = Optional.of(merged(asked, refreshRequest.get().snaps()));
        }
        // An operator's refresh acts on what units saw the proxy serve since it was asked; on a halted plan it
        // replaces that plan. A resume meanwhile (no halt any more) or a plan moved on leaves nothing to replace.
        Optional<RefreshRequest> refresh = state.refresh();
        if (refreshNow) {
            // Only a halt the operator could have seen (committed before this hook) is replaced: one found in this
            // very hook halts first, and a refresh then asks again (I4; seed 165547).
            Optional<Long> replacing = state.halt().isPresent() && plan.filter(Plan::active).isPresent()
                    ? plan.map(Plan::id) : refresh.flatMap(RefreshRequest::replaces);
            refresh = Optional.of(new RefreshRequest(now, replacing));
        }
        Optional<Long> replacing = refresh.flatMap(RefreshRequest::replaces);
        Optional<Plan> halted = halt.isPresent()
                ? plan.filter(p -> p.active() && replacing.equals(Optional.of(p.id()))) : Optional.empty();
        if (halted.isEmpty() && replacing.isPresent()) {
            refresh = refresh.map(r -> new RefreshRequest(r.asked(), Optional.empty()));
        }
        Instant since = refresh.map(RefreshRequest::asked).orElse(Instant.EPOCH);
        // Replacing a halted plan, the new one also covers the halted plan's snaps: units already on the abandoned
        // revisions go to what the proxy serves now.
        Optional<Set<String>> scope = halted.isPresent() ? asked.map(snaps -> snaps.isEmpty() ? snaps
                : union(snaps, halted.get().targets().stream().map(Target::snap).collect(Collectors.toSet())))
                : asked;
        List<Target> differences = differences(census, offers, input.managedSnaps(), scope);
        Optional<String> planBlocked = planBlocked(census, running, offers, differences);
        // What a request still waits for: a view, taken since it was asked, of what it concerns.
        Optional<String> unseen = asked.isPresent() ? unseenSince(census, offers, input.managedSnaps(), scope, since)
                : Optional.empty();
        boolean planCreated = false;
        Optional<Long> superseded = Optional.empty();
        if (halted.isPresent()) {
            // The operator moves on from a halted plan: a new plan from what the proxy serves now (complete at
            // once when nothing differs). Grants carry over in their order: a unit of the halted plan may still be
            // refreshing, and it counts in its tier's window until it reports. Until it can be made (the units
            // asked have not answered, the control plane is not known), the plan stays halted and the request waits.
            planBlocked = planBlocked.or(() -> unseen);
            if (planBlocked.isEmpty()) {
                // The new plan records what it replaced: a unit whose failure of that plan stands is not done in it
                // until it verifies for it (UnitReport.done), so it keeps its grant and is granted first (seed 207035).
                Plan next = new Plan(halted.get().id() + 1, 1, differences, differences.isEmpty(),
                        Optional.of(halted.get().id()));
                superseded = Optional.of(halted.get().id());
                plan = Optional.of(next);
                halt = Optional.empty();
                grants = next.active() ? notDone(grants, census, next) : List.of();
                asked = Optional.empty();
                planCreated = true;
            }
        } else {
            boolean fresh = unseen.isEmpty();
            boolean triggered = input.autoRefresh() || (asked.isPresent() && fresh);
            boolean idle = plan.map(Plan::complete).orElse(true) && halt.isEmpty();
            if (idle && triggered && !differences.isEmpty() && planBlocked.isEmpty()) {
                plan = Optional.of(new Plan(state.lastPlanId() + 1, 1, differences, false));
                grants = List.of();
                planCreated = true;
            }
            if (planCreated || (idle && planBlocked.isEmpty() && differences.isEmpty() && fresh)) {
                asked = Optional.empty(); // done with: planned, or nothing to refresh
            }
            if (!input.autoRefresh() && asked.isPresent()) {
                planBlocked = planBlocked.or(() -> unseen);
            }
        }
        if (asked.isEmpty()) {
            refresh = Optional.empty();
        }

        // The window in force (I2): units pace themselves by the max-unavailable the app databag holds, not by their
        // own config. A raised value is put in force at once; a lowered one only once no tier has more granted units
        // not done than the new value, granting one batch of it per tier meanwhile (see windowInForce).
        Optional<Plan> activeNow = plan.filter(Plan::active);
        List<String> granted = grants;
        Optional<Integer> window = activeNow.map(p -> windowInForce(census, p, granted, input.maxUnavailable(),
                input.window()));
        boolean lowering = window.map(w -> w > input.maxUnavailable()).orElse(false);
        boolean viewComplete = grants.stream().allMatch(census::knows);
        // The soak of the active plan (a new plan drops the entry of the one before), asked before granting, and
        // even while halted or paused: the hook that frees the canary's grant is the one that can tell which unit
        // it was, and starts its soak (the clock runs while paused).
        Optional<Long> activeId = activeNow.map(Plan::id);
        Optional<Soak.Entry> stored = input.soak().filter(e -> activeId.equals(Optional.of(e.plan())));
        Optional<Soak.Verdict> soak = activeNow
                .map(p -> Soak.decide(input.soakFor(), p, census, state.grants(), stored, now));
        Optional<Soak.Entry> soakEntry = soak.isPresent() ? soak.get().entry() : stored;
        Optional<Soak.Verdict.Soaking> soaking = soak.filter(Soak.Verdict.Soaking.class::isInstance)
                .map(Soak.Verdict.Soaking.class::cast);
        if (activeNow.isPresent() && halt.isEmpty() && !state.paused() && viewComplete) {
            if (soaking.isPresent()) {
                halt = soaking.get().silent();
            } else {
                // While a lowered value waits to come into force, one batch of it per tier, not two: a tier with
                // more granted units not done drains, and the other tier still moves (workers granted before a
                // control-plane unit joined wait for that tier, which must be granted to move; seeds 147758, 148731).
                List<String> widened = grant(census, plan.get(), grants, input.maxUnavailable(),
                        lowering ? 1 : BATCHES_GRANTED, input.leader());
                grants = soak.get() instanceof Soak.Verdict.CanaryOnly only
                        ? Soak.canaryOnly(only, grants, widened, census, plan.get()) : widened;
            }
        }

        // What units pace themselves by (UnitAgent): the lower of the config and the window in force.
        int paced = Math.min(input.maxUnavailable(), window.orElse(input.maxUnavailable()));
        RolloutState next = new RolloutState(plan, grants, halt, state.paused(), asked, refresh);
        Watch after = new Watch(watch.now(), due(next, census, paced, watch), watch.silentAfter());
        Optional<Halt> silent = silence(next, census, after);
        if (silent.isPresent()) {
            next = new RolloutState(plan, grants, silent, state.paused(), asked, refresh);
            after = new Watch(watch.now(), due(next, census, paced, watch), watch.silentAfter());
        }
        Optional<Tally> tally = next.activePlan().map(p -> Tally.of(census, p));
        Status status = appStatus(next, census, differences, input, after, planBlocked, offers, running, uncovered,
                merged.refused());
        if (soaking.isPresent() && next.halt().isEmpty() && !next.paused()) {
            status = Status.maintenance(Soak.describe(soaking.get(), plan.orElseThrow(), now) + "; "
                    + status.message());
        }
        if (lowering && next.activePlan().isPresent()) {
            status = new Status(status.kind(), status.message() + "; max-unavailable " + input.maxUnavailable()
                    + " takes effect once no more than " + input.maxUnavailable() + " granted units of a tier are "
                    + "not done (" + window.get() + " in force until then): one batch granted at a time meanwhile");
        }
        return new PlannerDecision(next, tally, status, differences, planCreated, after.dueSince(), superseded,
                Optional.empty(), offers, soakEntry, next.activePlan().isPresent() ? window : Optional.empty());
    }

    /**
     * Whether the offers may lose the entries no unit in view tracks: only over a view of every unit, every one
     * readable, and, once goal-state was asked, a report from the unit on every live principal it lists. A leader
     * elected before its {@code -joined} hooks ran sees few peers or none, and what it dropped is told again only
     * by a unit that sees it: a unit that reverted a snap leaves it out of its view while snapd blocks the
     * revision it went back from, and the only unit of its architecture to run that snap then kept it off what
     * the proxy serves for good (seed 169544: a new leader, at its install, dropped kube-apiserver for amd64).
     */
    private static boolean mayPrune(PlannerInput input, Census census) {
        if (census.anyUnknown()) {
            return false;
        }
        return input.principals().map(live -> live.stream().allMatch(p -> census.reports().stream()
                .anyMatch(r -> r.principal().equals(Optional.of(p))))).orElse(true);
    }

    /**
     * Whether this leader's decision would drop offers no unit in its view tracks, goal-state not asked yet: then
     * the charm asks it ({@link PlannerInput#withPrincipals}) and decides again. A steady hook drops nothing and asks
     * nothing.
     */
    public static boolean prunes(PlannerInput input) {
        if (input.principals().isPresent() || input.leaderLeaving()) {
            return false;
        }
        Census census = Census.of(input.peers());
        if (census.anyUnknown()) {
            return false;
        }
        Offers merged = input.offers().merge(census.reports(), input.watch().now()).offers();
        return !merged.prunedTo(census).equals(merged);
    }

    /**
     * The max-unavailable in force for the active plan's window. A unit starts when fewer than the window of its
     * tier's units granted before it are not done; so a unit granted later may have started under a higher value
     * beside one granted before it, and were the lower value put in force at once, that earlier unit, counting only
     * those before it, could start beside it: two refreshing at max-unavailable 1 (I2; seed 104221). Whether a
     * unit granted later has started is in no databag anyone can read in time (a unit reports when its refresh
     * ends). So a lowered value is put in force only once no tier has more granted units not done than the new
     * value (a granted unit out of view, or whose role cannot be read, counts in every tier): then no more than that
     * can be refreshing, whoever starts. A stale view shows a unit not done, so it only delays that. A raised value
     * is put in force at once: a unit that starts under it saw every unit granted before it, and one that read the
     * lower value counts against less. Absent in the app databag (none written yet): the config is in force.
     */
    static int windowInForce(Census census, Plan plan, List<String> grants, int configured,
                             Optional<Integer> committed) {
        int inForce = committed.orElse(configured);
        if (configured >= inForce) {
            return configured;
        }
        for (Role tier : Role.values()) {
            long notDone = grants.stream().filter(u -> census.report(u).map(r -> r.role() == tier
                    && !census.done(r, plan)).orElse(true)).count();
            if (notDone > configured) {
                return inForce;
            }
        }
        return configured;
    }

    /**
     * A leader that is being removed keeps leadership until its unit is dead, while each of its own
     * {@code -departed} hooks takes a peer out of its view: live, refreshing peers seem to leave one by one. So it
     * frees no grant, grants nothing, completes nothing, plans nothing and leaves the tally as it is; the units go
     * on within the grants already made (they pace themselves). It still halts on a failure it reads (a failure
     * of the current attempt is a fact whatever the view; halting only stops refreshes), and takes a pause and a
     * refresh request for the next leader. A resume, or a refresh that would replace a halted plan, waits for the
     * next leader: both act on a view of every unit.
     */
    private static PlannerDecision whileLeaving(PlannerInput input, Census census) {
        RolloutState state = input.state();
        Optional<LeaderRequest> request = input.request();
        Optional<Plan> active = state.activePlan();
        Optional<Halt> halt = state.halt().or(() -> active.flatMap(p -> firstFailure(census, input.leaving(), p)));
        boolean paused = state.paused() || request.orElse(null) instanceof LeaderRequest.Pause;
        Optional<Set<String>> requested = state.requested();
        Optional<RefreshRequest> asked = state.refresh();
        Optional<String> refused = Optional.empty();
        if (request.orElse(null) instanceof LeaderRequest.Resume
                || (request.orElse(null) instanceof LeaderRequest.Refresh && halt.isPresent() && active.isPresent())) {
            refused = Optional.of("this leader is leaving the model: run it again once the next leader is elected");
        } else if (request.orElse(null) instanceof LeaderRequest.Refresh refresh) {
            requested = Optional.of(merged(requested, refresh.snaps()));
            asked = Optional.of(new RefreshRequest(input.watch().now(), Optional.empty()));
        }
        RolloutState next = new RolloutState(state.plan(), state.grants(), halt, paused, requested, asked);
        String held = active.map(p -> halt.isPresent()
                ? "halted at plan " + p.id() + ": " + halt.get().unit() + " " + halt.get().reason()
                : "plan " + p.id() + " goes on within its grants").orElse("no rollout");
        Status status = Status.maintenance("leader leaving: " + held + "; nothing new is granted or planned until "
                + "the next leader is elected");
        if (active.isPresent() && halt.isPresent()) {
            status = Status.blocked(status.message());
        }
        return new PlannerDecision(next, input.committedTally(), status, List.of(), false,
                input.watch().dueSince(), Optional.empty(), refused, input.offers(), input.soak(),
                active.isPresent() ? input.window() : Optional.empty());
    }

    /** The units known gone: seen leaving the relation, or watched out of view longer than a refresh can take. */
    private static Set<String> gone(PlannerInput input) {
        Set<String> gone = new java.util.TreeSet<>(input.left());
        input.watch().dueSince().keySet().stream().filter(input.watch()::silent).forEach(gone::add);
        return gone;
    }

    /** The first failure of the plan's current attempt any reading tells of, the units leaving included. */
    private static Optional<Halt> firstFailure(Census census, List<UnitReading> leaving, Plan plan) {
        // A unit leaving in this hook is out of the census (its grant is freed), but its failure is news about the
        // revision, not about the unit: it halts like any other (I4).
        return java.util.stream.Stream.concat(census.reports().stream(), Census.of(leaving).reports().stream())
                .map(r -> r.failureOf(plan)).flatMap(Optional::stream).findFirst()
                .or(() -> census.statusFailures(plan).stream().findFirst());
    }

    /**
     * The first unit, control plane first, whose done of the plan's current attempt did not cover a snap the leader
     * manages and whose report, written under a config that manages every such snap, shows it off the targets. A
     * copy of its report from before its config changed cannot tell where that snap is: the leader waits for the
     * next one (the unit is neither done nor granted meanwhile), so a unit already on every target is not halted on.
     */
    private static Optional<Halt> doneWithout(Census census, Plan plan) {
        for (Role tier : Role.values()) {
            for (UnitReport report : census.tier(tier)) {
                Optional<String> snap = report.doneWithout(plan, census.managed());
                boolean speaks = report.managed().map(m -> plan.targets().stream().map(Target::snap)
                        .filter(census.managed()::contains).allMatch(m::contains)).orElse(true);
                if (snap.isPresent() && speaks && !census.done(report, plan)) {
                    return Optional.of(new Halt(report.unit(), UnitAgent.doneWithout(plan, snap.get())
                            + "; resume refreshes it"));
                }
            }
        }
        return Optional.empty();
    }

    private static List<String> notDone(List<String> grants, Census census, Plan plan) {
        return grants.stream().filter(u -> census.report(u).map(r -> !census.done(r, plan)).orElse(true)).toList();
    }

    /**
     * Why no plan can be made now, if so: the control plane is not known, units asked to look at what the proxy
     * serves have not answered yet, too many differ.
     */
    static Optional<String> planBlocked(Census census, boolean checking, Offers offers, List<Target> differences) {
        Optional<String> unknown = census.controlPlaneUnknown();
        if (unknown.isPresent()) {
            return Optional.of("the control plane is not known (" + unknown.get() + ")");
        }
        if (checking) {
            return Optional.of("units are checking what " + source(offers) + " serves (round "
                    + offers.check().round() + ", asked " + offers.check().at() + ")");
        }
        if (differences.size() > MAX_TARGETS) {
            return Optional.of(differences.size() + " snap channels differ, more than one plan holds ("
                    + MAX_TARGETS + ")");
        }
        return Optional.empty();
    }

    /**
     * The first (snap, channel, architecture) in scope that units track and no view taken since {@code since}
     * covers, if any: what a halted plan is replaced from must be what the proxy serves after the operator asked.
     */
    private static Optional<String> unseenSince(Census census, Offers offers, List<String> managed,
                                                Optional<Set<String>> scope, Instant since) {
        for (Map.Entry<String, Set<SnapChannel>> tracked : Offers.tracked(census.reports()).entrySet()) {
            for (SnapChannel sc : tracked.getValue()) {
                boolean wanted = managed.contains(sc.snap())
                        && scope.map(snaps -> snaps.isEmpty() || snaps.contains(sc.snap())).orElse(true);
                if (wanted && offers.offer(tracked.getKey(), sc).map(o -> o.at().isBefore(since)).orElse(true)) {
                    return Optional.of("no unit has told what " + source(offers) + " serves " + sc + " ("
                            + tracked.getKey() + ") since the refresh at " + since);
                }
            }
        }
        return Optional.empty();
    }

    /** What the units' views come from: the proxy, or the store when no proxy-url is set. */
    private static String source(Offers offers) {
        return offers.proxy().isEmpty() ? "the store" : "the proxy";
    }

    /**
     * The granted units the leader is waiting on, with since when: every granted unit out of its view, and, while
     * the plan moves (not halted, not paused), every granted unit that is free to start and not done (fewer than
     * max-unavailable of its tier granted before it are not done, and a worker only once the control plane is
     * through) or whose data cannot be read. A unit keeps the time it became due for as long as it stays due.
     */
    static Map<String, java.time.Instant> due(RolloutState state, Census census, int maxUnavailable, Watch watch) {
        Map<String, java.time.Instant> due = new TreeMap<>();
        Optional<Plan> active = state.activePlan();
        boolean moving = active.isPresent() && state.halt().isEmpty() && !state.paused();
        for (String unit : state.grants()) {
            boolean isDue;
            if (!census.knows(unit)) {
                isDue = true;
            } else if (!moving) {
                isDue = false;
            } else {
                Plan plan = active.get();
                Optional<UnitReport> report = census.report(unit);
                if (report.isEmpty()) {
                    isDue = true; // silent or unreadable: it owes a report
                } else {
                    Role tier = report.get().role();
                    long ahead = state.grantedBefore(unit).stream()
                            .filter(u -> census.report(u).map(r -> r.role() == tier && !census.done(r, plan))
                                    .orElse(true))
                            .count();
                    isDue = ahead < maxUnavailable && !census.done(report.get(), plan)
                            && (tier == Role.CONTROL_PLANE || census.controlPlaneOn(plan));
                }
            }
            if (isDue) {
                due.put(unit, watch.dueSince().getOrDefault(unit, watch.now()));
            }
        }
        return due;
    }

    /**
     * A granted unit due for longer than a refresh can take halts the moving rollout, named: a node that went
     * silent after its grant may be one its refresh took down, and the operator is the one who can tell (and
     * remove the unit, or retry). A unit out of view that long is named with what resume does for it. A
     * subordinate unit cannot be removed by itself (Juju refuses: "unit ... is a subordinate"): the operator
     * removes the principal unit it runs on, which juju status lists it under.
     */
    private static Optional<Halt> silence(RolloutState state, Census census, Watch watch) {
        if (state.activePlan().isEmpty() || state.halt().isPresent() || state.paused()) {
            return Optional.empty();
        }
        return state.grants().stream().filter(watch::silent).findFirst().map(unit -> new Halt(unit,
                census.knows(unit)
                        ? "granted and silent for " + watch.dueFor(unit).toMinutes() + " min, longer than a refresh "
                        + "can take: if its machine is down, run juju remove-unit --force on the principal unit it "
                        + "runs on (juju status lists it there)"
                        : "granted, not in the relation for " + watch.dueFor(unit).toMinutes() + " min: if it was "
                        + "removed, resume frees its grant"));
    }

    private static RolloutState applyRequest(RolloutState state, Optional<LeaderRequest> request, Census census,
                                             Watch watch) {
        if (request.isEmpty()) {
            return state;
        }
        if (request.get() instanceof LeaderRequest.Pause) {
            return new RolloutState(state.plan(), state.grants(), state.halt(), true, state.requested(),
                    state.refresh());
        }
        if (request.get() instanceof LeaderRequest.Resume) {
            // Resume also frees the grant of a unit this leader has not seen in the relation for longer than a
            // refresh can take: the operator's way out when a unit left before this leader joined and no leader
            // saw it go. Not sooner: a leader elected before its -joined hooks ran sees nobody yet, and a unit it
            // has not seen may be refreshing.
            return new RolloutState(state.halt().isPresent() ? state.plan().map(Plan::nextAttempt) : state.plan(),
                    state.grants().stream().filter(u -> census.knows(u) || !watch.silent(u)).toList(),
                    Optional.empty(), false, state.requested(), state.refresh());
        }
        return state;
    }

    /** A refresh request for {@code snaps} added to the one waiting, if any (an empty set asks for every snap). */
    private static Set<String> merged(Optional<Set<String>> waiting, Set<String> snaps) {
        return waiting.map(before -> before.isEmpty() || snaps.isEmpty() ? Set.<String>of() : union(before, snaps))
                .orElse(snaps);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Every (snap, channel, architecture) some unit of that architecture tracks whose accepted revision differs from
     * what the unit runs, newer or older: overrides can pin older revisions. Snaps installed only on workers count as
     * much as the leader's own. A (snap, channel, architecture) without an accepted view is not planned, nor is a
     * unit that reports no architecture. A refresh request naming snaps ({@code asked}, empty set: all) restricts
     * the plan to them.
     */
    static List<Target> differences(Census census, Offers offers, List<String> managedSnaps,
                                    Optional<Set<String>> asked) {
        Set<String> managed = Set.copyOf(managedSnaps);
        Map<String, Target> targets = new TreeMap<>();
        for (UnitReport report : census.reports()) {
            if (report.arch().equals(UnitReport.UNKNOWN_ARCH)) {
                continue;
            }
            report.installed().forEach((snap, have) -> {
                boolean wanted = managed.contains(snap)
                        && asked.map(snaps -> snaps.isEmpty() || snaps.contains(snap)).orElse(true);
                if (wanted) {
                    offers.revision(report.arch(), snap, have.channel())
                            .filter(rev -> rev != have.revision())
                            .ifPresent(rev -> targets.put(snap + " " + have.channel() + " " + report.arch(),
                                    new Target(snap, have.channel(), report.arch(), rev)));
                }
            });
        }
        return targets.values().stream().sorted().toList();
    }

    /**
     * How many batches of max-unavailable units a tier may hold granted and not done: the running one and the
     * next. Units pace themselves inside the grants ({@link UnitAgent}: fewer than max-unavailable granted before
     * a unit may be not done when it starts), so the next batch's units start one by one in the hooks that read
     * the done reports before them, without waiting for a leader hook in between.
     */
    public static final int BATCHES_GRANTED = 2;

    /**
     * Grants units of the current tier in unit order, the leader last, until two batches of max-unavailable of
     * that tier are granted and not done; new grants are appended after the existing ones, whose order is kept.
     * The leader goes last because it refreshes only on a grant committed before its hook
     * ({@link #forLeaderAgent}); granted after the others of its tier, it is woken by their {@code done} reports.
     * In a plan that replaced a halted one, the units of the tier whose failure of that plan stands are granted
     * first and alone, until each has verified for this plan.
     */
    static List<String> grant(Census census, Plan plan, List<String> grants, int maxUnavailable,
                              Optional<String> leader) {
        return grant(census, plan, grants, maxUnavailable, BATCHES_GRANTED, leader);
    }

    /** As above, with at most {@code batches} batches of max-unavailable granted and not done per tier. */
    static List<String> grant(Census census, Plan plan, List<String> grants, int maxUnavailable, int batches,
                              Optional<String> leader) {
        Role tier = census.controlPlaneOn(plan) ? Role.WORKER : Role.CONTROL_PLANE;
        Set<String> next = new LinkedHashSet<>(grants);
        // A granted unit whose role cannot be read counts against the tier: it may be refreshing in it.
        long busy = grants.stream().filter(u -> census.report(u).map(r -> r.role() == tier).orElse(true)).count();
        List<UnitReport> candidates = leaderLast(census.tier(tier), leader);
        // In a plan that replaced a halted one, a unit of the tier whose failure of that plan stands goes alone: it
        // verifies for this plan (its services, the node's health) before anyone else of its tier is granted, as
        // after a resume; a failure halts the rollout instead of spreading across a replacement (seed 207035).
        List<UnitReport> failedBefore = candidates.stream().filter(r -> failedReplaced(r, plan)
                && !census.done(r, plan)).toList();
        if (!failedBefore.isEmpty()) {
            candidates = failedBefore;
        }
        for (UnitReport report : candidates) {
            if (busy >= (long) batches * maxUnavailable) {
                break;
            }
            // A unit done with this attempt without a snap now managed is not granted: the grant its done answered
            // may still stand in its view, and it could not tell a new one from it (rule 11; it halts the plan).
            if (!next.contains(report.unit()) && !census.done(report, plan)
                    && report.doneWithout(plan, census.managed()).isEmpty()) {
                next.add(report.unit());
                busy++;
            }
        }
        return List.copyOf(next);
    }

    /** Whether the unit's last outcome is a failure of the halted plan this one replaced. */
    static boolean failedReplaced(UnitReport report, Plan plan) {
        return plan.replaces().isPresent() && report.progress()
                .filter(p -> p.phase().failed() && plan.replaces().equals(Optional.of(p.plan()))).isPresent();
    }

    /**
     * The app state the leader's own agent acts on in this hook. What the leader writes is committed only when its
     * hook ends: had it refreshed its own machine on a grant written in the same hook and the hook been killed,
     * its machine would be changing while no committed databag says so: under a plan nobody else knows (I5), or
     * outside the grants the other units pace themselves by (I2), or while the committed databag still holds a
     * halt or pause its own {@code resume} lifts in this hook (I4). So the leader acts on its own grant only when
     * the app databag held it, for the same plan, when the hook started, and this hook lifts no halt or pause;
     * otherwise it refreshes in a later hook.
     */
    public static RolloutState forLeaderAgent(RolloutState committed, RolloutState decided, String leader) {
        boolean grantCommitted = decided.activePlan()
                .map(p -> committed.activePlan().map(c -> c.id() == p.id()).orElse(false)
                        && committed.granted(leader))
                .orElse(true);
        boolean lifts = committed.halt().isPresent() && decided.halt().isEmpty()
                || committed.paused() && !decided.paused();
        if (grantCommitted && !lifts || !decided.granted(leader)) {
            return decided;
        }
        return new RolloutState(decided.plan(), decided.grants().stream().filter(u -> !u.equals(leader)).toList(),
                decided.halt(), decided.paused(), decided.requested(), decided.refresh());
    }

    /**
     * The order units would go in for a plan of these targets: per tier, the units with something to do, the
     * leader (when known: only the leader knows it is one) last.
     */
    public static Map<Role, List<String>> order(Census census, Plan plan, Optional<String> leader) {
        Map<Role, List<String>> order = new TreeMap<>();
        for (Role role : Role.values()) {
            order.put(role, leaderLast(census.tier(role), leader).stream().filter(r -> !census.done(r, plan))
                    .map(UnitReport::unit).toList());
        }
        return order;
    }

    private static List<UnitReport> leaderLast(List<UnitReport> tier, Optional<String> leader) {
        List<UnitReport> ordered = new ArrayList<>(tier);
        // stable: false first (a lambda, not Comparator.comparing: see Units.ORDER)
        ordered.sort((a, b) -> Boolean.compare(leader.equals(Optional.of(a.unit())),
                leader.equals(Optional.of(b.unit()))));
        return ordered;
    }

    static Status appStatus(RolloutState state, Census census, List<Target> differences, PlannerInput input,
                            Watch watch, Optional<String> planBlocked, Offers offers, boolean checking,
                            Set<String> uncovered, int refused) {
        String unreadable = census.unreadable().isEmpty() ? "" : "; unreadable peer data from "
                + census.unreadable().stream().map(Malformed::describe).collect(Collectors.joining(", "));
        // Why some units are planned for later, if at all: what their proxy serves them is not known yet.
        String views = (uncovered.isEmpty() ? "" : "; no " + (offers.proxy().isEmpty() ? "" : "registered ")
                + "unit of " + String.join(", ", uncovered) + " has reported what " + source(offers)
                + " serves yet")
                + (refused == 0 ? "" : "; " + refused + " views not kept: more than " + Offers.MAX_ENTRIES
                + " (snap, channel, architecture)s are tracked") + unreadable;
        Optional<Plan> active = state.activePlan();
        if (active.isPresent()) {
            Plan plan = active.get();
            String waiting = waitingOn(state, census, watch);
            if (state.halt().isPresent()) {
                Halt halt = state.halt().get();
                String next = state.refresh().flatMap(RefreshRequest::replaces).isPresent()
                        ? "; a refresh replaces it with what " + source(offers) + " serves, waiting while "
                        + planBlocked.orElse("the units report")
                        : "; run the resume action to retry it, or the refresh action to replace the plan with "
                        + "what the proxy serves now";
                return Status.blocked("halted at plan " + plan.id() + ": " + halt.unit() + " " + halt.reason() + next
                        + waiting + views);
            }
            String progress = census.tierProgress(Role.CONTROL_PLANE, plan) + ", "
                    + census.tierProgress(Role.WORKER, plan)
                    + (state.requested().isPresent() ? "; a requested refresh follows" : "");
            if (state.paused()) {
                return Status.waiting("paused at plan " + plan.id() + ": " + progress + "; run the resume action"
                        + waiting + views);
            }
            Optional<String> unknown = census.controlPlaneUnknown();
            if (unknown.isPresent()) {
                // Nothing moves past the control plane without one in view (rule 4): say so, not just 0/0.
                return Status.waiting("rolling out plan " + plan.id() + ": " + progress + "; the control plane is "
                        + "not known (" + unknown.get() + "): workers wait and the plan cannot complete" + waiting
                        + views);
            }
            return Status.maintenance("rolling out plan " + plan.id() + ": " + progress + waiting + views);
        }
        if (!differences.isEmpty()) {
            String updates = "updates available: " + differences.stream().map(Target::describe)
                    .collect(Collectors.joining(", "));
            if (planBlocked.isPresent() && differences.size() > MAX_TARGETS) {
                return Status.blocked(planBlocked.get() + ": manage fewer snaps, or fewer channels at once");
            }
            if (planBlocked.isPresent()) {
                return Status.waiting(updates + "; no plan while " + planBlocked.get() + views);
            }
            return Status.active(updates + "; run the refresh action" + views);
        }
        List<String> last = new ArrayList<>();
        state.plan().ifPresent(p -> last.add("plan " + p.id()));
        String upToDate = "up to date" + (last.isEmpty() ? "" : " (" + last.get(0) + ")");
        if (state.requested().isPresent() && planBlocked.isPresent()) {
            return Status.waiting(upToDate + "; a requested refresh waits while " + planBlocked.get() + views);
        }
        String unknown = census.controlPlaneUnknown().map(why -> "; no plan while the control plane is not known ("
                + why + ")").orElse("");
        String looking = checking ? "; " + planBlocked.orElse("units are checking") : "";
        return Status.active(upToDate + (checking ? looking : unknown) + views);
    }

    /**
     * The granted units out of the leader's view, which the operator should know of: not seen yet, or (past the
     * time a refresh can take, the rollout then halted on one of them) not seen for so long that resume frees them.
     */
    private static String waitingOn(RolloutState state, Census census, Watch watch) {
        List<String> notes = new ArrayList<>();
        Optional<String> halted = state.halt().map(Halt::unit);
        List<String> unseen = state.grants().stream().filter(u -> !census.knows(u)).toList();
        List<String> unseenLong = unseen.stream().filter(u -> watch.silent(u) && !halted.equals(Optional.of(u)))
                .toList();
        List<String> unseenNew = unseen.stream().filter(u -> !watch.silent(u)).toList();
        if (!unseenNew.isEmpty()) {
            notes.add("waiting for granted " + names(unseenNew) + ", not in the relation yet");
        }
        if (!unseenLong.isEmpty()) {
            notes.add("granted " + names(unseenLong) + " not in the relation for " + minutes(watch, unseenLong)
                    + ": if removed, run the resume action");
        }
        return notes.isEmpty() ? "" : "; " + String.join("; ", notes);
    }

    /** How many units a status names at most; the rest are counted. */
    private static final int NAMED = 3;

    private static String names(List<String> units) {
        return String.join(", ", units.subList(0, Math.min(units.size(), NAMED)))
                + (units.size() > NAMED ? " and " + (units.size() - NAMED) + " more" : "");
    }

    private static String minutes(Watch watch, List<String> units) {
        return units.stream().map(watch::dueFor).max(java.time.Duration::compareTo).orElseThrow().toMinutes()
                + " min";
    }
}
