package io.snapcoherence.coherence;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one unit tells its peers: its tier, the managed snaps on its machine, its last plan outcome, the failure
 * of a unit it saw leave, if one of the current attempt ({@link Witnessed}), its machine's architecture (dpkg name,
 * {@code amd64}) and the last view of the store it reported ({@link StoreView}). A report without an architecture
 * ({@link #UNKNOWN_ARCH}) comes from the previous charm version. {@code principal} names the principal unit it
 * runs on ({@code kubernetes-control-plane/3}), which is how Juju's {@code goal-state} names it to the others; a
 * report of the previous version has none. {@code managed} is the {@code snaps} config the report was written
 * under: {@code installed} speaks only for those snaps (none: a report that does not say, counted as speaking for
 * every snap, as before).
 */
public record UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                         Optional<Progress> progress, Optional<Witnessed> witnessed, String arch,
                         Optional<StoreView> view, Optional<String> principal, Optional<Soak.Check> soakCheck,
                         Optional<java.util.SortedSet<String>> managed) {

    /** The architecture of a unit that reports none. */
    public static final String UNKNOWN_ARCH = "";

    public UnitReport {
        installed = java.util.Collections.unmodifiableMap(new TreeMap<>(installed));
        managed = managed.map(m -> java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(m)));
    }

    /** A report that does not say which snaps it was written for. */
    public UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> progress, Optional<Witnessed> witnessed, String arch,
                      Optional<StoreView> view, Optional<String> principal, Optional<Soak.Check> soakCheck) {
        this(unit, role, installed, progress, witnessed, arch, view, principal, soakCheck, Optional.empty());
    }

    /** A report without a soak check. */
    public UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> progress, Optional<Witnessed> witnessed, String arch,
                      Optional<StoreView> view, Optional<String> principal) {
        this(unit, role, installed, progress, witnessed, arch, view, principal, Optional.empty());
    }

    /** A report that does not say its principal. */
    public UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> progress, Optional<Witnessed> witnessed, String arch,
                      Optional<StoreView> view) {
        this(unit, role, installed, progress, witnessed, arch, view, Optional.empty());
    }

    /** A report of the previous version: no architecture, no view. */
    public UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> progress, Optional<Witnessed> witnessed) {
        this(unit, role, installed, progress, witnessed, UNKNOWN_ARCH, Optional.empty());
    }

    /** A report of the previous version, without a witnessed failure. */
    public UnitReport(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> progress) {
        this(unit, role, installed, progress, Optional.empty());
    }

    /** The same report with this architecture and view. */
    public UnitReport on(String arch, Optional<StoreView> view) {
        return new UnitReport(unit, role, installed, progress, witnessed, arch, view, principal, soakCheck, managed);
    }

    /** The same report, saying the principal unit it runs on (none: it does not say). */
    public UnitReport on(Optional<String> principal) {
        return new UnitReport(unit, role, installed, progress, witnessed, arch, view, principal, soakCheck, managed);
    }

    /** The same report, written for these managed snaps (the {@code snaps} config the unit's hook read). */
    public UnitReport managing(java.util.Collection<String> snaps) {
        return new UnitReport(unit, role, installed, progress, witnessed, arch, view, principal, soakCheck,
                Optional.of(new java.util.TreeSet<>(snaps)));
    }

    /** The same report with this soak check (none: it reports none). */
    public UnitReport checked(Optional<Soak.Check> check) {
        return new UnitReport(unit, role, installed, progress, witnessed, arch, view, principal, check, managed);
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
     * Done means on the plan's revisions of its architecture, and no failure for this plan left standing (of any
     * attempt: after a resume a unit whose verification failed must verify again), or reported done for this plan
     * (any attempt). A failure of the halted plan this one replaced ({@link Plan#replaces}) stands as one of this
     * plan: the unit is done only once it reports done for this plan. A unit that reports no architecture is done
     * only on every target of its channels, whatever their architecture: it could be any.
     *
     * <p>Done stays done within a plan: the charm reports done only once its machine is verified on the targets,
     * and units granted after it start on that report. Should its snaps move afterwards (snapd's own timer with
     * {@code hold=false}, a snap dropped from {@code snaps} and back, a refresh by hand), counting it not done again
     * would send it back into the window at its old place, ahead of units already refreshing on its report (I2);
     * the next plan, made from what it runs then, moves it instead.
     */
    public boolean done(Plan plan) {
        return done(plan, java.util.Set.of());
    }

    /**
     * As {@link #done(Plan)}, counted by a unit that manages {@code managed} ({@code snaps} config): a done report
     * counts only if it covered each of those snaps the plan targets ({@link #reportedDone(Plan, java.util.Collection)});
     * one that did not is no sign, and the revisions speak.
     */
    public boolean done(Plan plan, java.util.Collection<String> managed) {
        if (reportedDone(plan, managed)) {
            return true;
        }
        // A failure of the halted plan this one replaced stands too: with the same targets (the proxy still serving
        // the revision that failed), the failed unit runs them, and counted done it would let the rest of its tier
        // refresh beside its broken services (seed 207035). It must verify for this plan first.
        boolean failureStanding = progress.map(p -> plan.failureOf(p.plan()) && p.phase().failed()).orElse(false);
        return plan.reachedBy(arch, installed) && !failureStanding && speaksFor(plan);
    }

    /**
     * Whether this report can tell where the machine stands on every snap of the plan's targets: it was written
     * while the unit managed each of them. One written before a snap was managed (again) does not list it whatever
     * the machine runs, and counted done by the snaps it lists, a control-plane unit running another revision of
     * the snap let its plan complete and the next one replace it (seed 262783: kubectl dropped from {@code snaps}
     * and put back; the leader's copies of two peers' reports were from between). Such a unit is done only once
     * its report of the new config says so, or by its done report when granted.
     */
    public boolean speaksFor(Plan plan) {
        return managed.map(snaps -> plan.targets().stream().allMatch(t -> snaps.contains(t.snap()))).orElse(true);
    }

    /** Whether the unit's last outcome is done for this plan, in any attempt, whatever it covered. */
    public boolean reportedDone(Plan plan) {
        return progress.map(p -> p.plan() == plan.id() && p.phase() == Phase.DONE).orElse(false);
    }

    /**
     * Whether the unit's last outcome is done for this plan, in any attempt, covering every snap of its targets in
     * {@code managed}, the {@code snaps} of the unit that counts. A done written while a snap the plan targets was
     * not in {@code snaps} never refreshed that snap; counted once the snap is managed again, it let workers refresh
     * it while a control-plane unit still ran its old revision (seed 334233). Each unit counts by its own config,
     * read afresh in its hook, so a copy of the report from before the change counts no more than one after it.
     */
    public boolean reportedDone(Plan plan, java.util.Collection<String> managed) {
        return reportedDone(plan) && progress.get().covers(plan, managed);
    }

    /**
     * The snap a done of the plan's current attempt did not cover, of the plan's targets in {@code managed}: the
     * unit verified this attempt without refreshing it, and must refresh it in a later attempt.
     */
    public Optional<String> doneWithout(Plan plan, java.util.Collection<String> managed) {
        return progress.filter(p -> p.doneWith(plan)).flatMap(p -> p.uncovered(plan, managed));
    }

    // Written out, not generated: a record's generated equals/hashCode bootstraps method handles on first use,
    // which costs a fresh hook JVM milliseconds (docs/performance.md), and every hook compares peer reports.
    @Override
    public boolean equals(Object o) {
        return o instanceof UnitReport other && java.util.Objects.equals(unit, other.unit)
                && java.util.Objects.equals(role, other.role)
                && java.util.Objects.equals(installed, other.installed)
                && java.util.Objects.equals(progress, other.progress)
                && java.util.Objects.equals(witnessed, other.witnessed)
                && java.util.Objects.equals(arch, other.arch)
                && java.util.Objects.equals(view, other.view)
                && java.util.Objects.equals(principal, other.principal)
                && java.util.Objects.equals(soakCheck, other.soakCheck)
                && java.util.Objects.equals(managed, other.managed);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(unit, role, installed, progress, witnessed, arch, view, principal, soakCheck,
                managed);
    }
}
