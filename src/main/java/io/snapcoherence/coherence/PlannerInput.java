package io.snapcoherence.coherence;

import java.util.List;
import java.util.Optional;

/**
 * Everything the leader decides from: every peer's reading (the leader's own included), the app databag, the
 * store, the configuration and an operator's request.
 */
public record PlannerInput(List<UnitReading> peers, RolloutState state, StoreView store, List<String> managedSnaps,
                           int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request) {
    public PlannerInput {
        peers = List.copyOf(peers);
        managedSnaps = List.copyOf(managedSnaps);
        if (maxUnavailable < 1) {
            throw new IllegalArgumentException("max-unavailable must be at least 1");
        }
    }
}
