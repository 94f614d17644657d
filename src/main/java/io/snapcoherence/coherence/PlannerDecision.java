package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The leader's decision: the app databag to hold (state and tally of the active plan), the app status, what differs
 * from the store (the targets a plan would have, whether or not one was made), for action results; since when each
 * granted unit has been due (the leader's unit store); the halted plan a {@code refresh} replaced, and why an
 * operator's request was not carried out ({@code refused}, for the action's result); the offers and check round to
 * hold in the app databag; the soak entry to hold there ({@link Soak}); the max-unavailable in force for the active
 * plan's window ({@code window}, absent without an active plan).
 */
public record PlannerDecision(RolloutState state, Optional<Tally> tally, Status appStatus, List<Target> differences,
                              boolean planCreated, Map<String, Instant> dueSince, Optional<Long> superseded,
                              Optional<String> refused, Offers offers, Optional<Soak.Entry> soak,
                              Optional<Integer> window) {

    /** Without a soak entry or a window. */
    public PlannerDecision(RolloutState state, Optional<Tally> tally, Status appStatus, List<Target> differences,
                           boolean planCreated, Map<String, Instant> dueSince, Optional<Long> superseded,
                           Optional<String> refused, Offers offers) {
        this(state, tally, appStatus, differences, planCreated, dueSince, superseded, refused, offers,
                Optional.empty(), Optional.empty());
    }

    public PlannerDecision {
        differences = List.copyOf(differences);
        dueSince = Map.copyOf(dueSince);
    }
}
