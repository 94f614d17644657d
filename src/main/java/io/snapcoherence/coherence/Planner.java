package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;

import java.util.ArrayList;
import java.util.Comparator;
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
     * is bounded whatever the units run (at most this many snap channels; more differing at once is refused, with
     * the reason in the status, rather than split: a split could plan the workers' snaps before the control
     * plane's).
     */
    public static final int MAX_TARGETS = 64;

    public static PlannerDecision decide(PlannerInput input) {
        Census census = Census.of(input.peers());
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
            grants = notDone(grants, census, active);
            boolean allDone = grants.stream().allMatch(census::knows) && census.controlPlaneKnown()
                    && census.reports().stream().allMatch(r -> r.done(active));
            if (allDone) {
                plan = Optional.of(active.completed());
                grants = List.of();
                halt = Optional.empty();
            }
        }

        // A refresh request, now or waiting from an earlier one that could not start a plan yet.
        Optional<Set<String>> asked = state.requested();
        Optional<LeaderRequest.Refresh> refreshNow = input.request().filter(LeaderRequest.Refresh.class::isInstance)
                .map(LeaderRequest.Refresh.class::cast);
        if (refreshNow.isPresent()) {
            asked = Optional.of(merged(asked, refreshNow.get().snaps()));
        }
        Optional<Plan> halted = halt.isPresent() ? plan.filter(Plan::active) : Optional.empty();
        boolean supersede = halted.isPresent() && refreshNow.isPresent();
        // Replacing a halted plan, the new one also covers the halted plan's snaps: units already on the abandoned
        // revisions go to what the proxy serves now.
        Optional<Set<String>> scope = supersede ? asked.map(snaps -> snaps.isEmpty() ? snaps
                : union(snaps, halted.get().targets().stream().map(Target::snap).collect(Collectors.toSet())))
                : asked;
        List<Target> differences = differences(census, input, scope);
        Optional<String> planBlocked = planBlocked(census, input.store(), differences);
        boolean planCreated = false;
        Optional<Long> superseded = Optional.empty();
        Optional<String> refused = Optional.empty();
        if (supersede) {
            // The operator moves on from a halted plan: a new plan from what the proxy serves now (complete at
            // once when nothing differs). Grants carry over in their order: a unit of the halted plan may still be
            // refreshing, and it counts in its tier's window until it reports.
            if (planBlocked.isEmpty()) {
                Plan next = new Plan(halted.get().id() + 1, 1, differences, differences.isEmpty());
                superseded = Optional.of(halted.get().id());
                plan = Optional.of(next);
                halt = Optional.empty();
                grants = next.active() ? notDone(grants, census, next) : List.of();
                asked = Optional.empty();
                planCreated = true;
            } else {
                refused = Optional.of("plan " + halted.get().id() + " stays halted, no new plan: "
                        + planBlocked.get());
                asked = state.requested(); // a refresh on a halted rollout replaces it now or not at all
            }
        } else {
            boolean triggered = input.autoRefresh() || asked.isPresent();
            boolean idle = plan.map(Plan::complete).orElse(true) && halt.isEmpty();
            if (idle && triggered && !differences.isEmpty() && planBlocked.isEmpty()) {
                plan = Optional.of(new Plan(state.lastPlanId() + 1, 1, differences, false));
                grants = List.of();
                planCreated = true;
            }
            if (planCreated || (idle && planBlocked.isEmpty() && differences.isEmpty())) {
                asked = Optional.empty(); // done with: planned, or nothing to refresh
            }
        }

        boolean viewComplete = grants.stream().allMatch(census::knows);
        if (plan.isPresent() && plan.get().active() && halt.isEmpty() && !state.paused() && viewComplete) {
            grants = grant(census, plan.get(), grants, input.maxUnavailable(), input.leader());
        }

        RolloutState next = new RolloutState(plan, grants, halt, state.paused(), asked);
        Watch after = new Watch(watch.now(), due(next, census, input.maxUnavailable(), watch), watch.silentAfter());
        Optional<Halt> silent = silence(next, census, after);
        if (silent.isPresent()) {
            next = new RolloutState(plan, grants, silent, state.paused(), asked);
            after = new Watch(watch.now(), due(next, census, input.maxUnavailable(), watch), watch.silentAfter());
        }
        Optional<Tally> tally = next.activePlan().map(p -> Tally.of(census, p));
        return new PlannerDecision(next, tally, appStatus(next, census, differences, input, after, planBlocked),
                differences, planCreated, after.dueSince(), superseded, refused);
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
        Optional<String> refused = Optional.empty();
        if (request.orElse(null) instanceof LeaderRequest.Resume
                || (request.orElse(null) instanceof LeaderRequest.Refresh && halt.isPresent() && active.isPresent())) {
            refused = Optional.of("this leader is leaving the model: run it again once the next leader is elected");
        } else if (request.orElse(null) instanceof LeaderRequest.Refresh refresh) {
            requested = Optional.of(merged(requested, refresh.snaps()));
        }
        RolloutState next = new RolloutState(state.plan(), state.grants(), halt, paused, requested);
        String held = active.map(p -> halt.isPresent()
                ? "halted at plan " + p.id() + ": " + halt.get().unit() + " " + halt.get().reason()
                : "plan " + p.id() + " goes on within its grants").orElse("no rollout");
        Status status = Status.maintenance("leader leaving: " + held + "; nothing new is granted or planned until "
                + "the next leader is elected");
        if (active.isPresent() && halt.isPresent()) {
            status = Status.blocked(status.message());
        }
        return new PlannerDecision(next, input.committedTally(), status, List.of(), false,
                input.watch().dueSince(), Optional.empty(), refused);
    }

    /** The first failure of the plan's current attempt any reading tells of, the units leaving included. */
    private static Optional<Halt> firstFailure(Census census, List<UnitReading> leaving, Plan plan) {
        // A unit leaving in this hook is out of the census (its grant is freed), but its failure is news about the
        // revision, not about the unit: it halts like any other (I4).
        return java.util.stream.Stream.concat(census.reports().stream(), Census.of(leaving).reports().stream())
                .map(r -> r.failureOf(plan)).flatMap(Optional::stream).findFirst();
    }

    private static List<String> notDone(List<String> grants, Census census, Plan plan) {
        return grants.stream().filter(u -> census.report(u).map(r -> !r.done(plan)).orElse(true)).toList();
    }

    /** Why no plan can be made now, if so: the store did not answer, the control plane is not known, too many. */
    static Optional<String> planBlocked(Census census, StoreView store, List<Target> differences) {
        if (store instanceof StoreView.Unavailable u) {
            return Optional.of("store check failed: " + u.reason());
        }
        Optional<String> unknown = census.controlPlaneUnknown();
        if (unknown.isPresent()) {
            return Optional.of("the control plane is not known (" + unknown.get() + ")");
        }
        if (differences.size() > MAX_TARGETS) {
            return Optional.of(differences.size() + " snap channels differ, more than one plan holds ("
                    + MAX_TARGETS + ")");
        }
        return Optional.empty();
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
                            .filter(u -> census.report(u).map(r -> r.role() == tier && !r.done(plan)).orElse(true))
                            .count();
                    isDue = ahead < maxUnavailable && !report.get().done(plan)
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
            return new RolloutState(state.plan(), state.grants(), state.halt(), true, state.requested());
        }
        if (request.get() instanceof LeaderRequest.Resume) {
            // Resume also frees the grant of a unit this leader has not seen in the relation for longer than a
            // refresh can take: the operator's way out when a unit left before this leader joined and no leader
            // saw it go. Not sooner: a leader elected before its -joined hooks ran sees nobody yet, and a unit it
            // has not seen may be refreshing.
            return new RolloutState(state.halt().isPresent() ? state.plan().map(Plan::nextAttempt) : state.plan(),
                    state.grants().stream().filter(u -> census.knows(u) || !watch.silent(u)).toList(),
                    Optional.empty(), false, state.requested());
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
     * Every (snap, channel) some unit tracks whose revision differs from the store's, newer or older: overrides
     * can pin older revisions. Snaps installed only on workers count as much as the leader's own. A refresh
     * request naming snaps ({@code asked}, empty set: all) restricts the plan to them.
     */
    static List<Target> differences(Census census, PlannerInput input, Optional<Set<String>> asked) {
        if (!(input.store() instanceof StoreView.Revisions store)) {
            return List.of();
        }
        Set<String> managed = Set.copyOf(input.managedSnaps());
        Map<SnapChannel, Target> targets = new TreeMap<>();
        for (UnitReport report : census.reports()) {
            report.installed().forEach((snap, have) -> {
                boolean wanted = managed.contains(snap)
                        && asked.map(snaps -> snaps.isEmpty() || snaps.contains(snap)).orElse(true);
                if (wanted) {
                    store.revision(snap, have.channel())
                            .filter(rev -> rev != have.revision())
                            .ifPresent(rev -> targets.put(new SnapChannel(snap, have.channel()),
                                    new Target(snap, have.channel(), rev)));
                }
            });
        }
        return List.copyOf(targets.values());
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
     */
    static List<String> grant(Census census, Plan plan, List<String> grants, int maxUnavailable,
                              Optional<String> leader) {
        Role tier = census.controlPlaneOn(plan) ? Role.WORKER : Role.CONTROL_PLANE;
        Set<String> next = new LinkedHashSet<>(grants);
        // A granted unit whose role cannot be read counts against the tier: it may be refreshing in it.
        long busy = grants.stream().filter(u -> census.report(u).map(r -> r.role() == tier).orElse(true)).count();
        for (UnitReport report : leaderLast(census.tier(tier), leader)) {
            if (busy >= (long) BATCHES_GRANTED * maxUnavailable) {
                break;
            }
            if (!next.contains(report.unit()) && !report.done(plan)) {
                next.add(report.unit());
                busy++;
            }
        }
        return List.copyOf(next);
    }

    /**
     * The app state the leader's own agent acts on in this hook. What the leader writes is committed only when its
     * hook ends: had it refreshed its own machine on a grant written in the same hook and the hook been killed,
     * its machine would be changing while no committed databag says so: under a plan nobody else knows (I5), or
     * outside the grants the other units pace themselves by (I2). So the leader acts on its own grant only when
     * the app databag held it, for the same plan, when the hook started; otherwise it refreshes in a later hook.
     */
    public static RolloutState forLeaderAgent(RolloutState committed, RolloutState decided, String leader) {
        boolean grantCommitted = decided.activePlan()
                .map(p -> committed.activePlan().map(c -> c.id() == p.id()).orElse(false)
                        && committed.granted(leader))
                .orElse(true);
        if (grantCommitted || !decided.granted(leader)) {
            return decided;
        }
        return new RolloutState(decided.plan(), decided.grants().stream().filter(u -> !u.equals(leader)).toList(),
                decided.halt(), decided.paused(), decided.requested());
    }

    /**
     * The order units would go in for a plan of these targets: per tier, the units with something to do, the
     * leader (when known: only the leader knows it is one) last.
     */
    public static Map<Role, List<String>> order(Census census, Plan plan, Optional<String> leader) {
        Map<Role, List<String>> order = new TreeMap<>();
        for (Role role : Role.values()) {
            order.put(role, leaderLast(census.tier(role), leader).stream().filter(r -> !r.done(plan))
                    .map(UnitReport::unit).toList());
        }
        return order;
    }

    private static List<UnitReport> leaderLast(List<UnitReport> tier, Optional<String> leader) {
        List<UnitReport> ordered = new ArrayList<>(tier);
        ordered.sort(Comparator.comparing(r -> leader.equals(Optional.of(r.unit())))); // stable: false first
        return ordered;
    }

    static Status appStatus(RolloutState state, Census census, List<Target> differences, PlannerInput input,
                            Watch watch, Optional<String> planBlocked) {
        String unreadable = census.unreadable().isEmpty() ? "" : "; unreadable peer data from "
                + census.unreadable().stream().map(Malformed::describe).collect(Collectors.joining(", "));
        String storeTrouble = input.store() instanceof StoreView.Unavailable u ? "; store check failed: "
                + u.reason() : "";
        Optional<Plan> active = state.activePlan();
        if (active.isPresent()) {
            Plan plan = active.get();
            String waiting = waitingOn(state, census, watch);
            if (state.halt().isPresent()) {
                Halt halt = state.halt().get();
                return Status.blocked("halted at plan " + plan.id() + ": " + halt.unit() + " " + halt.reason()
                        + "; run the resume action to retry it, or the refresh action to replace the plan with "
                        + "what the proxy serves now" + waiting + unreadable);
            }
            String progress = census.tierProgress(Role.CONTROL_PLANE, plan) + ", "
                    + census.tierProgress(Role.WORKER, plan)
                    + (state.requested().isPresent() ? "; a requested refresh follows" : "");
            if (state.paused()) {
                return Status.waiting("paused at plan " + plan.id() + ": " + progress + "; run the resume action"
                        + waiting + unreadable);
            }
            Optional<String> unknown = census.controlPlaneUnknown();
            if (unknown.isPresent()) {
                // Nothing moves past the control plane without one in view (rule 4): say so, not just 0/0.
                return Status.waiting("rolling out plan " + plan.id() + ": " + progress + "; the control plane is "
                        + "not known (" + unknown.get() + "): workers wait and the plan cannot complete" + waiting
                        + unreadable + storeTrouble);
            }
            return Status.maintenance("rolling out plan " + plan.id() + ": " + progress + waiting + unreadable
                    + storeTrouble);
        }
        if (input.store() instanceof StoreView.Unavailable u) {
            return Status.waiting("store check failed: " + u.reason() + "; retrying on the next hook"
                    + (state.requested().isPresent() ? " (a refresh is requested)" : "") + unreadable);
        }
        if (!differences.isEmpty()) {
            String updates = "updates available: " + differences.stream()
                    .map(t -> t.snap() + " " + t.revision() + " (" + t.channel() + ")")
                    .collect(Collectors.joining(", "));
            if (planBlocked.isPresent() && differences.size() > MAX_TARGETS) {
                return Status.blocked(planBlocked.get() + ": manage fewer snaps, or fewer channels at once");
            }
            if (planBlocked.isPresent()) {
                return Status.waiting(updates + "; no plan while " + planBlocked.get() + unreadable);
            }
            return Status.active(updates + "; run the refresh action" + unreadable);
        }
        List<String> last = new ArrayList<>();
        state.plan().ifPresent(p -> last.add("plan " + p.id()));
        String unknown = census.controlPlaneUnknown().map(why -> "; no plan while the control plane is not known ("
                + why + ")").orElse("");
        return Status.active("up to date" + (last.isEmpty() ? "" : " (" + last.get(0) + ")") + unknown + unreadable);
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
