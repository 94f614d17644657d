package io.snapcoherence.coherence;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Everything the leader decides from: every peer's reading (the leader's own included), the app databag (the
 * rollout, and the offers: what the units saw the proxy serve, as this leader may use them: those of the
 * configured proxy-url), the configuration, an operator's request, which unit the leader is (it goes last in its
 * tier), the
 * units it knows have left the relation (a unit it merely has not seen yet is not one of them), and the readings
 * of units leaving in this hook ({@code -departed}): no longer peers, but a failure they report still halts.
 * {@code leaderLeaving}: the leader itself is being removed (its own {@code -departed} hooks shrink its view);
 * {@code committedTally}: the tally the app databag holds; {@code watch}: the time and the leader's memory of
 * since when each granted unit has been due; {@code statuses}: what the units' workload statuses say
 * ({@link StatusLine}), read afresh in this hook while a plan runs (none otherwise); {@code soakFor} and {@code soak}:
 * the config's soak and the soak entry the app databag holds ({@link Soak}); {@code window}: the max-unavailable the
 * app databag holds in force for the active plan (absent: none written).
 */
public record PlannerInput(List<UnitReading> peers, RolloutState state, Offers offers, List<String> managedSnaps,
                           int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request,
                           Optional<String> leader, Set<String> left, List<UnitReading> leaving,
                           boolean leaderLeaving, Optional<Tally> committedTally, Watch watch,
                           java.util.Map<String, StatusLine> statuses, Duration soakFor, Optional<Soak.Entry> soak,
                           Optional<Integer> window) {

    /** Without statuses, a soak or a window. */
    public PlannerInput(List<UnitReading> peers, RolloutState state, Offers offers, List<String> managedSnaps,
                        int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request,
                        Optional<String> leader, Set<String> left, List<UnitReading> leaving,
                        boolean leaderLeaving, Optional<Tally> committedTally, Watch watch) {
        this(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader, left, leaving,
                leaderLeaving, committedTally, watch, java.util.Map.of(), Duration.ZERO, Optional.empty(),
                Optional.empty());
    }

    public PlannerInput(List<UnitReading> peers, RolloutState state, Offers offers, List<String> managedSnaps,
                        int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request,
                        Optional<String> leader, Set<String> left, List<UnitReading> leaving) {
        this(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader, left, leaving, false,
                Optional.empty(), Watch.NONE);
    }

    public PlannerInput(List<UnitReading> peers, RolloutState state, Offers offers, List<String> managedSnaps,
                        int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request,
                        Optional<String> leader, Set<String> left) {
        this(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader, left, List.of());
    }

    /** Without a leader among the peers and without a memory of them: a granted unit not among them has left. */
    public PlannerInput(List<UnitReading> peers, RolloutState state, Offers offers, List<String> managedSnaps,
                        int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request) {
        this(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, Optional.empty(),
                state.grants().stream().filter(u -> peers.stream().noneMatch(p -> p.unit().equals(u)))
                        .collect(Collectors.toSet()));
    }

    public PlannerInput {
        left = Set.copyOf(left);
        peers = List.copyOf(peers);
        leaving = List.copyOf(leaving);
        managedSnaps = List.copyOf(managedSnaps);
        statuses = java.util.Map.copyOf(statuses);
        if (maxUnavailable < 1) {
            throw new IllegalArgumentException("max-unavailable must be at least 1");
        }
    }

    /** The same input for a leader that is being removed, with the tally the app databag holds. */
    public PlannerInput leaderLeaving(Optional<Tally> committed) {
        return new PlannerInput(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader,
                left, leaving, true, committed, watch, statuses, soakFor, soak, window);
    }

    /** The same input at this watch. */
    public PlannerInput at(Watch watch) {
        return new PlannerInput(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader,
                left, leaving, leaderLeaving, committedTally, watch, statuses, soakFor, soak, window);
    }

    /** The same input with what the units' statuses say. */
    public PlannerInput withStatuses(java.util.Map<String, StatusLine> lines) {
        return new PlannerInput(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader,
                left, leaving, leaderLeaving, committedTally, watch, lines, soakFor, soak, window);
    }

    /** The same input with this soak config and the soak entry the app databag holds. */
    public PlannerInput withSoak(Duration soakFor, Optional<Soak.Entry> soak) {
        return new PlannerInput(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader,
                left, leaving, leaderLeaving, committedTally, watch, statuses, soakFor, soak, window);
    }

    /** The same input with the window the app databag holds. */
    public PlannerInput withWindow(Optional<Integer> committed) {
        return new PlannerInput(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader,
                left, leaving, leaderLeaving, committedTally, watch, statuses, soakFor, soak, committed);
    }

    /**
     * The same input once the leader's own refresh changed its report: the peers with that report, the state, watch
     * and offers it decided, no request (it was applied).
     */
    public PlannerInput afterOwnRefresh(List<UnitReading> peers, RolloutState decided, Watch watch, Offers held) {
        return new PlannerInput(peers, decided, held, managedSnaps, maxUnavailable, autoRefresh, Optional.empty(),
                leader, left, leaving, leaderLeaving, committedTally, watch, statuses, soakFor, soak, window);
    }
}
