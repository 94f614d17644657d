package io.snapcoherence.coherence;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The application databag: the last plan, the units granted for it that are not done yet in the order they were
 * granted, a halt, a pause. Only the leader writes it; every unit reads it. The order matters: a granted unit
 * starts only when fewer than max-unavailable units of its tier granted before it are not done
 * ({@link UnitAgent}), so grants are appended, never re-sorted. {@code requested} is a {@code refresh} action
 * that could not start a plan yet (one was active, or the store did not answer): the snaps it asked for, empty for
 * all; it starts the next plan even with auto-refresh off. {@code refresh} says when it was asked and the halted plan
 * it replaces, if any ({@link RefreshRequest}): it acts on what units saw the proxy serve since.
 */
public record RolloutState(Optional<Plan> plan, List<String> grants, Optional<Halt> halt, boolean paused,
                           Optional<Set<String>> requested, Optional<RefreshRequest> refresh) {

    public static final RolloutState EMPTY = new RolloutState(Optional.empty(), List.of(), Optional.empty(), false);

    /** No refresh request waiting. */
    public RolloutState(Optional<Plan> plan, List<String> grants, Optional<Halt> halt, boolean paused) {
        this(plan, grants, halt, paused, Optional.empty());
    }

    /** A request (if any) of unknown time: of the previous version's app databag. */
    public RolloutState(Optional<Plan> plan, List<String> grants, Optional<Halt> halt, boolean paused,
                        Optional<Set<String>> requested) {
        this(plan, grants, halt, paused, requested, Optional.empty());
    }

    public RolloutState {
        grants = grants.stream().distinct().toList();
        requested = requested.map(s -> Set.copyOf(new java.util.TreeSet<>(s)));
    }

    public Optional<Plan> activePlan() {
        return plan.filter(Plan::active);
    }

    public boolean granted(String unit) {
        return grants.contains(unit);
    }

    /** The units granted before {@code unit} (all grants when it is not granted). */
    public List<String> grantedBefore(String unit) {
        int at = grants.indexOf(unit);
        return at < 0 ? grants : grants.subList(0, at);
    }

    public long lastPlanId() {
        return plan.map(Plan::id).orElse(0L);
    }
}
