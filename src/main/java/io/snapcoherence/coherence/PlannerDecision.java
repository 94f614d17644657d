package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;

import java.util.List;
import java.util.Optional;

/**
 * The leader's decision: the app databag to hold (state and tally of the active plan), the app status, and what differs from the store (the targets a
 * plan would have, whether or not one was made), for action results.
 */
public record PlannerDecision(RolloutState state, Optional<Tally> tally, Status appStatus, List<Target> differences,
                              boolean planCreated) {
    public PlannerDecision {
        differences = List.copyOf(differences);
    }
}
