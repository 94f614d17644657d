package io.snapcoherence.coherence;

import java.util.List;
import java.util.Optional;

/**
 * The application databag: the last plan, the units granted for it that are not done yet in the order they were
 * granted, a halt, a pause. Only the leader writes it; every unit reads it. The order matters: a granted unit
 * starts only when fewer than max-unavailable units of its tier granted before it are not done
 * ({@link UnitAgent}), so grants are appended, never re-sorted.
 */
public record RolloutState(Optional<Plan> plan, List<String> grants, Optional<Halt> halt, boolean paused) {

    public static final RolloutState EMPTY = new RolloutState(Optional.empty(), List.of(), Optional.empty(), false);

    public RolloutState {
        grants = grants.stream().distinct().toList();
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
