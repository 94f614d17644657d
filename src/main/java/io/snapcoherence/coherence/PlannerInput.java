package io.snapcoherence.coherence;

import java.util.List;
import java.util.Optional;

/**
 * Everything the leader decides from: every peer's reading (the leader's own included), the app databag, the
 * store, the configuration, an operator's request, and which unit the leader is (it goes last in its tier).
 */
public record PlannerInput(List<UnitReading> peers, RolloutState state, StoreView store, List<String> managedSnaps,
                           int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request,
                           Optional<String> leader) {
    /** Without a leader among the peers: every tier in plain unit order. */
    public PlannerInput(List<UnitReading> peers, RolloutState state, StoreView store, List<String> managedSnaps,
                        int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request) {
        this(peers, state, store, managedSnaps, maxUnavailable, autoRefresh, request, Optional.empty());
    }

    public PlannerInput {
        peers = List.copyOf(peers);
        managedSnaps = List.copyOf(managedSnaps);
        if (maxUnavailable < 1) {
            throw new IllegalArgumentException("max-unavailable must be at least 1");
        }
    }
}
