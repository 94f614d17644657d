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

    public static PlannerDecision decide(PlannerInput input) {
        Census census = Census.of(input.peers());
        RolloutState state = applyRequest(input.state(), input.request(), census);

        // A departed unit's grant is freed (I8). A granted unit the leader has not seen join yet keeps its grant
        // (it may be refreshing), and until it is seen the leader neither grants nor completes anything.
        List<String> grants = state.grants().stream().filter(u -> census.knows(u) || !input.left().contains(u))
                .toList();
        boolean viewComplete = grants.stream().allMatch(census::knows);
        Optional<Plan> plan = state.plan();
        Optional<Halt> halt = state.halt();

        if (plan.isPresent() && plan.get().active()) {
            Plan active = plan.get();
            if (halt.isEmpty()) {
                // A unit leaving in this hook is out of the census (its grant is freed), but its failure is news
                // about the revision, not about the unit: it halts like any other (I4).
                halt = java.util.stream.Stream.concat(census.reports().stream(),
                                Census.of(input.leaving()).reports().stream())
                        .filter(r -> r.failed(active)).findFirst()
                        .map(r -> new Halt(r.unit(), r.progress().flatMap(Progress::failure)
                                .map(f -> f.describe(active.id())).orElse("failed")));
            }
            grants = grants.stream().filter(u -> census.report(u).map(r -> !r.done(active)).orElse(true)).toList();
            boolean allDone = viewComplete && !census.anyUnknown()
                    && census.reports().stream().allMatch(r -> r.done(active));
            if (allDone) {
                plan = Optional.of(active.completed());
                grants = List.of();
                halt = Optional.empty();
            }
        }

        // A refresh request, now or waiting from an earlier one that could not start a plan yet.
        Optional<Set<String>> asked = state.requested();
        if (input.request().orElse(null) instanceof LeaderRequest.Refresh refresh) {
            asked = Optional.of(asked.map(before -> before.isEmpty() || refresh.snaps().isEmpty() ? Set.<String>of()
                    : union(before, refresh.snaps())).orElse(refresh.snaps()));
        }
        List<Target> differences = differences(census, input, asked);
        boolean triggered = input.autoRefresh() || asked.isPresent();
        boolean planCreated = false;
        boolean idle = plan.map(Plan::complete).orElse(true) && halt.isEmpty();
        if (idle && triggered && !differences.isEmpty() && input.store() instanceof StoreView.Revisions) {
            plan = Optional.of(new Plan(state.lastPlanId() + 1, 1, differences, false));
            grants = List.of();
            planCreated = true;
        }
        if (planCreated || (idle && input.store() instanceof StoreView.Revisions && differences.isEmpty())) {
            asked = Optional.empty(); // done with: planned, or nothing to refresh
        }

        if (plan.isPresent() && plan.get().active() && halt.isEmpty() && !state.paused() && viewComplete) {
            grants = grant(census, plan.get(), grants, input.maxUnavailable(), input.leader());
        }

        RolloutState next = new RolloutState(plan, grants, halt, state.paused(), asked);
        Optional<Tally> tally = next.activePlan().map(p -> Tally.of(census, p));
        return new PlannerDecision(next, tally, appStatus(next, census, differences, input), differences, planCreated);
    }

    private static RolloutState applyRequest(RolloutState state, Optional<LeaderRequest> request, Census census) {
        if (request.isEmpty()) {
            return state;
        }
        if (request.get() instanceof LeaderRequest.Pause) {
            return new RolloutState(state.plan(), state.grants(), state.halt(), true, state.requested());
        }
        if (request.get() instanceof LeaderRequest.Resume) {
            // Resume also frees grants of units the leader cannot see: the operator's way out when a unit left
            // before this leader joined and no leader saw it go.
            return new RolloutState(state.halt().isPresent() ? state.plan().map(Plan::nextAttempt) : state.plan(),
                    state.grants().stream().filter(census::knows).toList(), Optional.empty(), false,
                    state.requested());
        }
        return state;
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

    static Status appStatus(RolloutState state, Census census, List<Target> differences, PlannerInput input) {
        String unreadable = census.unreadable().isEmpty() ? "" : "; unreadable peer data from "
                + census.unreadable().stream().map(Malformed::describe).collect(Collectors.joining(", "));
        String storeTrouble = input.store() instanceof StoreView.Unavailable u ? "; store check failed: "
                + u.reason() : "";
        Optional<Plan> active = state.activePlan();
        if (active.isPresent()) {
            Plan plan = active.get();
            if (state.halt().isPresent()) {
                Halt halt = state.halt().get();
                return Status.blocked("halted at plan " + plan.id() + ": " + halt.unit() + " " + halt.reason()
                        + "; run the resume action" + unreadable);
            }
            String progress = census.tierProgress(Role.CONTROL_PLANE, plan) + ", "
                    + census.tierProgress(Role.WORKER, plan)
                    + (state.requested().isPresent() ? "; a requested refresh follows" : "");
            if (state.paused()) {
                return Status.waiting("paused at plan " + plan.id() + ": " + progress + "; run the resume action"
                        + unreadable);
            }
            // A granted unit this leader cannot see holds the rollout (it may be refreshing); if it was removed
            // before this leader joined and nobody saw it go, only the operator can tell: say how to go on.
            List<String> unseen = state.grants().stream().filter(u -> !census.knows(u)).toList();
            String holding = unseen.isEmpty() ? "" : "; waiting for granted " + String.join(", ", unseen)
                    + ", not in the relation (if removed, run the resume action)";
            return Status.maintenance("rolling out plan " + plan.id() + ": " + progress + holding + unreadable
                    + storeTrouble);
        }
        if (input.store() instanceof StoreView.Unavailable u) {
            return Status.waiting("store check failed: " + u.reason() + "; retrying on the next hook"
                    + (state.requested().isPresent() ? " (a refresh is requested)" : "") + unreadable);
        }
        if (!differences.isEmpty()) {
            return Status.active("updates available: " + differences.stream()
                    .map(t -> t.snap() + " " + t.revision() + " (" + t.channel() + ")")
                    .collect(Collectors.joining(", ")) + "; run the refresh action" + unreadable);
        }
        List<String> last = new ArrayList<>();
        state.plan().ifPresent(p -> last.add("plan " + p.id()));
        return Status.active("up to date" + (last.isEmpty() ? "" : " (" + last.get(0) + ")") + unreadable);
    }
}
