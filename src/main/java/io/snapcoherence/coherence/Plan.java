package io.snapcoherence.coherence;

import java.util.List;
import java.util.Map;

/**
 * One rollout: the targets every unit must reach. {@code attempt} starts at 1 and grows with each resume of a
 * halted plan, so a unit can tell a failure it reported before the resume from one it reports after it.
 */
public record Plan(long id, int attempt, List<Target> targets, boolean complete) {

    public Plan {
        targets = targets.stream().sorted().toList();
        if (id <= 0 || attempt <= 0) {
            throw new IllegalArgumentException("plan id and attempt must be positive");
        }
    }

    public boolean active() {
        return !complete;
    }

    public Plan completed() {
        return new Plan(id, attempt, targets, true);
    }

    public Plan nextAttempt() {
        return new Plan(id, attempt + 1, targets, complete);
    }

    /**
     * Whether a machine is on this plan: every target whose snap and channel it has installed is at the target
     * revision. A machine without a planned snap, or tracking another channel of it, has nothing to do for it.
     */
    public boolean reachedBy(Map<String, InstalledRevision> installed) {
        return pendingOn(installed).isEmpty();
    }

    /** The targets a machine still has to reach, in plan order. */
    public List<Target> pendingOn(Map<String, InstalledRevision> installed) {
        return coveredOn(installed).stream().filter(t -> installed.get(t.snap()).revision() != t.revision()).toList();
    }

    /** The targets that concern a machine: the snap is installed there, tracking the target's channel. */
    public List<Target> coveredOn(Map<String, InstalledRevision> installed) {
        return targets.stream()
                .filter(t -> {
                    InstalledRevision have = installed.get(t.snap());
                    return have != null && have.channel().equals(t.channel());
                })
                .toList();
    }
}
