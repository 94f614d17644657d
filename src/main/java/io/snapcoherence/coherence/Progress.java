package io.snapcoherence.coherence;

import java.util.Collection;
import java.util.Optional;
import java.util.SortedSet;

/**
 * A unit's outcome for one attempt of one plan. A failure is present exactly when the phase is not done.
 * {@code covers}, of a done only: the {@code snaps} config the unit verified the plan under (it refreshes only the
 * snaps it manages), fixed when the done is written and carried with it; absent (the previous version) it covers
 * every snap. A done counts only for the snaps it covered ({@link #covers}).
 */
public record Progress(long plan, int attempt, Phase phase, Optional<Failure> failure,
                       Optional<SortedSet<String>> covers) {

    public Progress {
        if (phase.failed() != failure.isPresent()) {
            throw new IllegalArgumentException("a failure goes with a failed or reverted phase, and only then");
        }
        if (covers.isPresent() && phase != Phase.DONE) {
            throw new IllegalArgumentException("only a done covers snaps");
        }
        covers = covers.map(c -> java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(c)));
    }

    /** An outcome that does not say what it covered. */
    public Progress(long plan, int attempt, Phase phase, Optional<Failure> failure) {
        this(plan, attempt, phase, failure, Optional.empty());
    }

    /** Done with the plan's current attempt, not saying under which {@code snaps} (covering every snap). */
    public static Progress done(Plan plan) {
        return new Progress(plan.id(), plan.attempt(), Phase.DONE, Optional.empty());
    }

    /** Done with the plan's current attempt, verified under config {@code snaps}. */
    public static Progress done(Plan plan, Collection<String> snaps) {
        return new Progress(plan.id(), plan.attempt(), Phase.DONE, Optional.empty(),
                Optional.of(new java.util.TreeSet<>(snaps)));
    }

    public static Progress failed(Plan plan, Phase phase, Failure failure) {
        return new Progress(plan.id(), plan.attempt(), phase, Optional.of(failure));
    }

    /** Whether this reports a failure of the plan's current attempt (a failure before a resume no longer counts). */
    public boolean failedAttemptOf(Plan plan) {
        return phase.failed() && this.plan == plan.id() && attempt == plan.attempt();
    }

    /** Whether this is a done of the plan's current attempt, whatever it covered. */
    public boolean doneWith(Plan plan) {
        return phase == Phase.DONE && this.plan == plan.id() && attempt == plan.attempt();
    }

    /** The same outcome, a done saying it covered {@code snaps} unless it says already. */
    public Progress covering(Collection<String> snaps) {
        return phase != Phase.DONE || covers.isPresent() ? this
                : new Progress(plan, attempt, phase, failure, Optional.of(new java.util.TreeSet<>(snaps)));
    }

    /**
     * The first snap of the plan's targets among {@code managed} that this done did not cover, if any: the unit
     * verified the plan while that snap was not in its {@code snaps}, so it never refreshed it for the plan.
     */
    public Optional<String> uncovered(Plan plan, Collection<String> managed) {
        if (covers.isEmpty()) {
            return Optional.empty();
        }
        return plan.targets().stream().map(Target::snap).filter(s -> managed.contains(s) && !covers.get().contains(s))
                .findFirst();
    }

    /** Whether this done covered every snap of the plan's targets that {@code managed} holds. */
    public boolean covers(Plan plan, Collection<String> managed) {
        return uncovered(plan, managed).isEmpty();
    }

    /** Whether this done covered every snap of the plan's targets. */
    public boolean coversAll(Plan plan) {
        return covers.map(c -> plan.targets().stream().allMatch(t -> c.contains(t.snap()))).orElse(true);
    }

    // Written out, not generated: a record's generated equals/hashCode bootstraps method handles on first use,
    // which costs a fresh hook JVM milliseconds (docs/performance.md), and every hook compares peer reports.
    @Override
    public boolean equals(Object o) {
        return o instanceof Progress other && plan == other.plan
                && attempt == other.attempt
                && java.util.Objects.equals(phase, other.phase)
                && java.util.Objects.equals(failure, other.failure)
                && java.util.Objects.equals(covers, other.covers);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(plan, attempt, phase, failure, covers);
    }
}
