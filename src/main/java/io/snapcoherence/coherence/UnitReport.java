package io.snapcoherence.coherence;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one unit tells its peers: its tier, the managed snaps on its machine, its last plan outcome, and the failure
 * of a unit it saw leave, if one of the current attempt ({@link Witnessed}).
 */
public record UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                         Optional<Progress> progress, Optional<Witnessed> witnessed) {

    public UnitReport {
        installed = java.util.Collections.unmodifiableMap(new TreeMap<>(installed));
    }

    /** Without a witnessed failure. */
    public UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> progress) {
        this(unit, role, installed, progress, Optional.empty());
    }

    /** Whether this unit failed the plan's current attempt. */
    public boolean failed(Plan plan) {
        return progress.map(p -> p.failedAttemptOf(plan)).orElse(false);
    }

    /**
     * The failure of the plan's current attempt this report tells of: the unit's own, or one it saw as a unit left
     * (named after the unit that failed).
     */
    public Optional<Halt> failureOf(Plan plan) {
        if (failed(plan)) {
            return Optional.of(new Halt(unit, progress.flatMap(Progress::failure).map(f -> f.describe(plan.id()))
                    .orElse("failed")));
        }
        return witnessed.filter(w -> w.current(plan)).map(w -> new Halt(w.unit(), w.describe(plan.id(), unit)));
    }

    /**
     * Done means on the plan's revisions, and no failure for this plan left standing (of any attempt: after a
     * resume a unit whose verification failed must verify again). A report alone, without the revisions, is not
     * enough.
     */
    public boolean done(Plan plan) {
        boolean failureStanding = progress.map(p -> p.plan() == plan.id() && p.phase().failed()).orElse(false);
        return plan.reachedBy(installed) && !failureStanding;
    }

    // Written out, not generated: a record's generated equals/hashCode bootstraps method handles on first use,
    // which costs a fresh hook JVM milliseconds (docs/performance.md), and every hook compares peer reports.
    @Override
    public boolean equals(Object o) {
        return o instanceof UnitReport other && java.util.Objects.equals(unit, other.unit)
                && java.util.Objects.equals(role, other.role)
                && java.util.Objects.equals(installed, other.installed)
                && java.util.Objects.equals(progress, other.progress)
                && java.util.Objects.equals(witnessed, other.witnessed);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(unit, role, installed, progress, witnessed);
    }
}
