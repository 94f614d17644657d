package io.snapcoherence.coherence;

import java.util.Optional;

/** A unit's outcome for one attempt of one plan. A failure is present exactly when the phase is not done. */
public record Progress(long plan, int attempt, Phase phase, Optional<Failure> failure) {

    public Progress {
        if (phase.failed() != failure.isPresent()) {
            throw new IllegalArgumentException("a failure goes with a failed or reverted phase, and only then");
        }
    }

    public static Progress done(Plan plan) {
        return new Progress(plan.id(), plan.attempt(), Phase.DONE, Optional.empty());
    }

    public static Progress failed(Plan plan, Phase phase, Failure failure) {
        return new Progress(plan.id(), plan.attempt(), phase, Optional.of(failure));
    }

    /** Whether this reports a failure of the plan's current attempt (a failure before a resume no longer counts). */
    public boolean failedAttemptOf(Plan plan) {
        return phase.failed() && this.plan == plan.id() && attempt == plan.attempt();
    }

    // Written out, not generated: a record's generated equals/hashCode bootstraps method handles on first use,
    // which costs a fresh hook JVM milliseconds (docs/performance.md), and every hook compares peer reports.
    @Override
    public boolean equals(Object o) {
        return o instanceof Progress other && plan == other.plan
                && attempt == other.attempt
                && java.util.Objects.equals(phase, other.phase)
                && java.util.Objects.equals(failure, other.failure);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(plan, attempt, phase, failure);
    }
}
