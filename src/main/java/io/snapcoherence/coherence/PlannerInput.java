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
 * app databag holds in force for the active plan (absent: none written); {@code principals}: the principal units
 * Juju's goal-state lists alive, asked only when the leader would drop offers no unit in its view tracks
 * ({@link Planner#prunes}; absent: not asked).
 */
public record PlannerInput(List<UnitReading> peers, RolloutState state, Offers offers, List<String> managedSnaps,
                           int maxUnavailable, boolean autoRefresh, Optional<LeaderRequest> request,
                           Optional<String> leader, Set<String> left, List<UnitReading> leaving,
                           boolean leaderLeaving, Optional<Tally> committedTally, Watch watch,
                           java.util.Map<String, StatusLine> statuses, Duration soakFor, Optional<Soak.Entry> soak,
                           Optional<Integer> window, Optional<List<String>> principals) {

    public PlannerInput {
        principals = principals.map(List::copyOf);
        left = Set.copyOf(left);
        peers = List.copyOf(peers);
        leaving = List.copyOf(leaving);
        managedSnaps = List.copyOf(managedSnaps);
        statuses = java.util.Map.copyOf(statuses);
        if (maxUnavailable < 1) {
            throw new IllegalArgumentException("max-unavailable must be at least 1");
        }
    }

    /**
     * An input with the charm's config defaults (max-unavailable 1, auto-refresh on), no peers, no rollout, no
     * offers, no snaps managed, no request, no leader and nothing else known; {@code left}, unless given, is the
     * granted units not among the peers (a view without a memory of them: a granted unit not among them has left).
     */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().peers(peers).state(state).offers(offers).managedSnaps(managedSnaps)
                .maxUnavailable(maxUnavailable).autoRefresh(autoRefresh).request(request).leader(leader).left(left)
                .leaving(leaving).leaderLeaving(leaderLeaving).committedTally(committedTally).watch(watch)
                .statuses(statuses).soakFor(soakFor).soak(soak).window(window).principals(principals);
    }

    /** The same input for a leader that is being removed, with the tally the app databag holds. */
    public PlannerInput leaderLeaving(Optional<Tally> committed) {
        return toBuilder().leaderLeaving(true).committedTally(committed).build();
    }

    /** The same input at this watch. */
    public PlannerInput at(Watch watch) {
        return toBuilder().watch(watch).build();
    }

    /** The same input with what the units' statuses say. */
    public PlannerInput withStatuses(java.util.Map<String, StatusLine> lines) {
        return toBuilder().statuses(lines).build();
    }

    /** What stands for a goal-state that could not be read: a principal no report names, so nothing is dropped. */
    public static final List<String> PRINCIPALS_UNKNOWN = List.of("");

    /** The same input with the principal units Juju's goal-state lists alive. */
    public PlannerInput withPrincipals(List<String> live) {
        return toBuilder().principals(Optional.of(live)).build();
    }

    /** The same input with this soak config and the soak entry the app databag holds. */
    public PlannerInput withSoak(Duration soakFor, Optional<Soak.Entry> soak) {
        return toBuilder().soakFor(soakFor).soak(soak).build();
    }

    /** The same input with the window the app databag holds. */
    public PlannerInput withWindow(Optional<Integer> committed) {
        return toBuilder().window(committed).build();
    }

    /**
     * The same input once the leader's own refresh changed its report: the peers with that report, the state, watch
     * and offers it decided, no request (it was applied).
     */
    public PlannerInput afterOwnRefresh(List<UnitReading> peers, RolloutState decided, Watch watch, Offers held) {
        return toBuilder().peers(peers).state(decided).watch(watch).offers(held).request(Optional.empty()).build();
    }

    public static final class Builder {
        private List<UnitReading> peers = List.of();
        private RolloutState state = RolloutState.EMPTY;
        private Offers offers = Offers.NONE;
        private List<String> managedSnaps = List.of();
        private int maxUnavailable = 1;
        private boolean autoRefresh = true;
        private Optional<LeaderRequest> request = Optional.empty();
        private Optional<String> leader = Optional.empty();
        private Optional<Set<String>> left = Optional.empty();
        private List<UnitReading> leaving = List.of();
        private boolean leaderLeaving;
        private Optional<Tally> committedTally = Optional.empty();
        private Watch watch = Watch.NONE;
        private java.util.Map<String, StatusLine> statuses = java.util.Map.of();
        private Duration soakFor = Duration.ZERO;
        private Optional<Soak.Entry> soak = Optional.empty();
        private Optional<Integer> window = Optional.empty();
        private Optional<List<String>> principals = Optional.empty();

        private Builder() {
        }

        public Builder peers(List<UnitReading> peers) {
            this.peers = peers;
            return this;
        }

        public Builder state(RolloutState state) {
            this.state = state;
            return this;
        }

        public Builder offers(Offers offers) {
            this.offers = offers;
            return this;
        }

        public Builder managedSnaps(List<String> managedSnaps) {
            this.managedSnaps = managedSnaps;
            return this;
        }

        public Builder maxUnavailable(int maxUnavailable) {
            this.maxUnavailable = maxUnavailable;
            return this;
        }

        public Builder autoRefresh(boolean autoRefresh) {
            this.autoRefresh = autoRefresh;
            return this;
        }

        public Builder request(Optional<LeaderRequest> request) {
            this.request = request;
            return this;
        }

        public Builder leader(Optional<String> leader) {
            this.leader = leader;
            return this;
        }

        public Builder left(Set<String> left) {
            this.left = Optional.of(left);
            return this;
        }

        public Builder leaving(List<UnitReading> leaving) {
            this.leaving = leaving;
            return this;
        }

        public Builder leaderLeaving(boolean leaderLeaving) {
            this.leaderLeaving = leaderLeaving;
            return this;
        }

        public Builder committedTally(Optional<Tally> committedTally) {
            this.committedTally = committedTally;
            return this;
        }

        public Builder watch(Watch watch) {
            this.watch = watch;
            return this;
        }

        public Builder statuses(java.util.Map<String, StatusLine> statuses) {
            this.statuses = statuses;
            return this;
        }

        public Builder soakFor(Duration soakFor) {
            this.soakFor = soakFor;
            return this;
        }

        public Builder soak(Optional<Soak.Entry> soak) {
            this.soak = soak;
            return this;
        }

        public Builder window(Optional<Integer> window) {
            this.window = window;
            return this;
        }

        public Builder principals(Optional<List<String>> principals) {
            this.principals = principals;
            return this;
        }

        public PlannerInput build() {
            Set<String> gone = left.orElseGet(() -> state.grants().stream()
                    .filter(u -> peers.stream().noneMatch(p -> p.unit().equals(u))).collect(Collectors.toSet()));
            return new PlannerInput(peers, state, offers, managedSnaps, maxUnavailable, autoRefresh, request, leader,
                    gone, leaving, leaderLeaving, committedTally, watch, statuses, soakFor, soak, window, principals);
        }
    }
}
