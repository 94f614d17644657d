package io.snapcoherence.coherence;

/**
 * A failure of a unit that left the relation, as another unit read it in its {@code -departed} hook (the last
 * moment Juju shows the leaving unit's data). The witness reports it in its own databag while the plan and attempt
 * it is about are current, so the failure outlives the failed unit: a leader that had not read it before the unit
 * left (leadership moved, or its hook for that unit had not run) still halts, and units about to refresh still
 * stop.
 */
public record Witnessed(String unit, Progress progress) {

    public Witnessed {
        if (!progress.phase().failed()) {
            throw new IllegalArgumentException("a witnessed report is a failure");
        }
    }

    /** Whether it is a failure of the plan's current attempt. */
    public boolean current(Plan plan) {
        return progress.failedAttemptOf(plan);
    }

    public String describe(long planId, String witness) {
        return progress.failure().map(f -> f.describe(planId)).orElse("failed") + " (seen by " + witness
                + " as it left)";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Witnessed other && unit.equals(other.unit) && progress.equals(other.progress);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(unit, progress);
    }
}
