package io.snapcoherence.coherence;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One rollout: the targets every unit must reach, per architecture. {@code attempt} starts at 1 and grows with each
 * resume of a halted plan, so a unit can tell a failure it reported before the resume from one it reports after it.
 * {@code replaces} is the halted plan an operator's {@code refresh} replaced with this one, if so: a failure of that
 * plan still standing on a unit keeps it from counting done here until it has verified for this plan
 * ({@link UnitReport#done}).
 */
public record Plan(long id, int attempt, List<Target> targets, boolean complete, Optional<Long> replaces) {

    public Plan {
        targets = targets.stream().sorted().toList();
        if (id <= 0 || attempt <= 0) {
            throw new IllegalArgumentException("plan id and attempt must be positive");
        }
        if (replaces.filter(r -> r <= 0 || r >= id).isPresent()) {
            throw new IllegalArgumentException("plan " + id + " cannot replace plan " + replaces.get());
        }
    }

    /** A plan that replaced none. */
    public Plan(long id, int attempt, List<Target> targets, boolean complete) {
        this(id, attempt, targets, complete, Optional.empty());
    }

    /**
     * Whether a failure a unit reported for plan {@code failedPlan} stands in this plan: one of this plan (any
     * attempt), or of the halted plan it replaced, whose targets it may share (seed 207035).
     */
    public boolean failureOf(long failedPlan) {
        return failedPlan == id || replaces.equals(Optional.of(failedPlan));
    }

    public boolean active() {
        return !complete;
    }

    public Plan completed() {
        return new Plan(id, attempt, targets, true, replaces);
    }

    public Plan nextAttempt() {
        return new Plan(id, attempt + 1, targets, complete, replaces);
    }

    /**
     * Whether a machine of {@code arch} is on this plan: every target of its architecture whose snap and channel it
     * has installed is at the target revision. A machine without a planned snap, tracking another channel of it, or
     * of an architecture the plan has no target for, has nothing to do for it.
     */
    public boolean reachedBy(String arch, Map<String, InstalledRevision> installed) {
        return pendingOn(arch, installed).isEmpty();
    }

    /** The targets a machine of {@code arch} still has to reach, in plan order. */
    public List<Target> pendingOn(String arch, Map<String, InstalledRevision> installed) {
        return coveredOn(arch, installed).stream().filter(t -> installed.get(t.snap()).revision() != t.revision())
                .toList();
    }

    /** The targets that concern a machine of {@code arch}: its architecture's, for a snap it tracks on that channel. */
    public List<Target> coveredOn(String arch, Map<String, InstalledRevision> installed) {
        return targets.stream()
                .filter(t -> {
                    InstalledRevision have = installed.get(t.snap());
                    return have != null && have.channel().equals(t.channel()) && t.appliesTo(arch);
                })
                .toList();
    }
}
