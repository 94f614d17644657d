package io.snapcoherence.coherence;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** What one unit tells its peers: its tier, the managed snaps on its machine, and its last plan outcome. */
public record UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                         Optional<Progress> progress) {

    public UnitReport {
        installed = java.util.Collections.unmodifiableMap(new TreeMap<>(installed));
    }

    /** Whether this unit failed the plan's current attempt. */
    public boolean failed(Plan plan) {
        return progress.map(p -> p.failedAttemptOf(plan)).orElse(false);
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
                && java.util.Objects.equals(progress, other.progress);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(unit, role, installed, progress);
    }
}
