package io.snapcoherence.coherence;

import java.util.List;
import java.util.Optional;

/**
 * The application databag: the last plan, the units granted for it that are not done yet, a halt, a pause.
 * Only the leader writes it; every unit reads it.
 */
public record RolloutState(Optional<Plan> plan, List<String> grants, Optional<Halt> halt, boolean paused) {

    public static final RolloutState EMPTY = new RolloutState(Optional.empty(), List.of(), Optional.empty(), false);

    public RolloutState {
        grants = Units.ordered(grants);
    }

    public Optional<Plan> activePlan() {
        return plan.filter(Plan::active);
    }

    public boolean granted(String unit) {
        return grants.contains(unit);
    }

    public long lastPlanId() {
        return plan.map(Plan::id).orElse(0L);
    }
}
