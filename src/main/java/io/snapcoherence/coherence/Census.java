package io.snapcoherence.coherence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The peers sorted by what can be known of them: readable reports per tier, unreadable data, silent units; and
 * every reading by unit name (a leader of thousands of units looks units up by name for every grant).
 */
public record Census(List<UnitReport> reports, List<Malformed> unreadable, List<String> unreported,
                     Map<String, UnitReading> byUnit, Map<String, StatusLine> statuses, Set<String> granted,
                     Set<String> managed, Set<String> gone) {

    public static Census of(List<UnitReading> readings) {
        Map<String, UnitReading> byUnit = new HashMap<>();
        List<UnitReport> reports = new ArrayList<>();
        List<Malformed> unreadable = new ArrayList<>();
        List<String> unreported = new ArrayList<>();
        for (UnitReading reading : readings) {
            byUnit.putIfAbsent(reading.unit(), reading);
            if (reading instanceof UnitReading.Reported r) {
                reports.add(r.report());
            } else if (reading instanceof UnitReading.Unreadable u) {
                unreadable.add(u.malformed());
            } else {
                unreported.add(reading.unit());
            }
        }
        reports.sort((a, b) -> Units.ORDER.compare(a.unit(), b.unit()));
        return new Census(List.copyOf(reports), List.copyOf(unreadable), Units.ordered(unreported),
                java.util.Collections.unmodifiableMap(byUnit), Map.of(), Set.of(), Set.of(), Set.of());
    }

    /**
     * The same census with what the units' workload statuses say ({@link StatusLine}), as the leader read them
     * afresh in this hook: a unit whose status says its refresh for the plan's current attempt is verified done
     * counts as done ({@link #done}) before the leader has read its report in its databag.
     */
    public Census withStatuses(Map<String, StatusLine> lines) {
        return new Census(reports, unreadable, unreported, byUnit, Map.copyOf(lines), granted, managed, gone);
    }

    /**
     * The same census knowing which units the active plan's grants name (as committed when the hook began): a
     * granted unit is done only by its done report or its verified status ({@link #done}).
     */
    public Census withGrants(java.util.Collection<String> grants) {
        return new Census(reports, unreadable, unreported, byUnit, statuses, Set.copyOf(grants), managed, gone);
    }

    /**
     * The same census counted by a unit that manages {@code snaps} (its {@code snaps} config): a done report counts
     * only for the snaps it covered ({@link UnitReport#reportedDone(Plan, java.util.Collection)}). None given: every
     * done counts, as a report of the previous version does.
     */
    public Census managing(java.util.Collection<String> snaps) {
        return new Census(reports, unreadable, unreported, byUnit, statuses, granted, Set.copyOf(snaps), gone);
    }

    /** Whether the unit reported the plan done, covering what this census's unit manages. */
    public boolean reportedDone(UnitReport report, Plan plan) {
        return report.reportedDone(plan, managed);
    }

    /**
     * Whether a unit is done with the plan: its report says it verified the plan (progress done, any attempt), or
     * its status says its refresh for the plan's current attempt is verified done; or, for a unit the plan has not
     * granted, its report's revisions are the targets and no failure of the plan stands. Each is a fact about its
     * machine: the status is set after verification, at once, and may be read before the report commits.
     *
     * <p>A granted unit's revisions are no sign of it. It is granted on a reading off the targets (or carried over
     * from a halted plan its plan replaced, and then verifies for this one before it is through), and every
     * report it writes while granted holds the targets at their last reported revisions until it reports the plan
     * done (leader rule 3), so a report of it on the targets without done predates its grant, and its machine has
     * moved since: Juju's relation cache serves the copy of a peer's report read in the hook for that peer, which
     * may have run while the peer's hook refreshing it elsewhere was still under way (seed 248268: a control-plane
     * unit on upstream's revisions from snapd's timer, brought back to the proxy's by its grant for one plan, was
     * counted done for the next plan, whose targets were upstream's, on the copy from before: the worker tier
     * opened while it ran the old revisions; wide seed 169016: snapd's timer took two workers off the targets, the
     * leader granted them for the next plan and freed both grants on its copies of their reports from before, then
     * started beside them, one more than the window). Counted not done, it keeps its grant, verifies in its next
     * hook and reports done, or refreshes; a machine dead meanwhile is due and halts the rollout, named (leader
     * rule 7).
     */
    public boolean done(UnitReport report, Plan plan) {
        if (report.reportedDone(plan, managed) || verifiedByStatus(report.unit(), plan)) {
            return true;
        }
        return !granted.contains(report.unit()) && !movedSince(report, plan) && report.done(plan, managed);
    }

    /**
     * Whether a unit is done with the plan's current attempt: as {@link #done}, but a report of an earlier attempt
     * (done, or failed) is no sign of it. After a resume the leader's copy of a peer's report may be from before
     * the failure that halted the attempt (Juju's relation cache serves the copy read in its last hook for that
     * peer): a canary done, then broken while it soaked and reverted, whose done the copy still holds, is not
     * through until it verifies for this attempt (wide seed 180251: its soak started again while it refreshed).
     */
    public boolean doneInAttempt(UnitReport report, Plan plan) {
        if (verifiedByStatus(report.unit(), plan)) {
            return true;
        }
        boolean earlierAttempt = report.progress()
                .map(p -> p.plan() == plan.id() && p.attempt() < plan.attempt()).orElse(false);
        return !earlierAttempt && done(report, plan);
    }

    /** Whether the unit's status says its refresh for the plan's current attempt is verified done. */
    private boolean verifiedByStatus(String unit, Plan plan) {
        return statuses.get(unit) instanceof StatusLine.Done d && d.about(plan);
    }

    /**
     * Whether the unit's status, read afresh, says its machine may have moved since the report the leader holds was
     * written: it is queued for the plan (its last hook found it off the targets), or it tells of a refresh for a
     * plan that report says nothing of (done, failed or running: the report is from before that refresh). The
     * status is set in every hook before the report commits, so it is never older than the report, and Juju does
     * not cache it; the leader's copy of the report is as of its own last hook for the unit, maybe long before (wide
     * seed 173266: two workers refreshed for an earlier plan while the leader ran no hook for them; never granted for
     * the next plan, whose targets their copies from before showed, they were counted done, and the plan completed
     * and was replaced while they ran the earlier plan's revisions). Such a unit is granted, and verifies or
     * refreshes in its turn.
     */
    private boolean movedSince(UnitReport report, Plan plan) {
        StatusLine line = statuses.get(report.unit());
        if (line instanceof StatusLine.Queued) {
            return line.about(plan);
        }
        return line != null && line.plan() > report.progress().map(Progress::plan).orElse(0L);
    }

    /** The failures of the plan's current attempt the units' statuses tell of, in unit order. */
    public List<Halt> statusFailures(Plan plan) {
        return statuses.entrySet().stream()
                .filter(e -> e.getValue() instanceof StatusLine.Failed f && f.about(plan))
                .sorted((a, b) -> Units.ORDER.compare(a.getKey(), b.getKey()))
                .map(e -> new Halt(e.getKey(), ((StatusLine.Failed) e.getValue()).failure().describe(plan.id())))
                .toList();
    }

    public List<UnitReport> tier(Role role) {
        return reports.stream().filter(r -> r.role() == role).toList();
    }

    public Optional<UnitReport> report(String unit) {
        return byUnit.get(unit) instanceof UnitReading.Reported r ? Optional.of(r.report()) : Optional.empty();
    }

    /** Units whose role is unknown: nothing may be assumed about them (they could be control plane). */
    public boolean anyUnknown() {
        return !unreadable.isEmpty() || !unreported.isEmpty();
    }

    public boolean knows(String unit) {
        return byUnit.containsKey(unit);
    }

    /**
     * The same census knowing which units out of view are gone: seen leaving the relation (by this unit, or by a
     * peer that reported it), or out of view for longer than a refresh can take ({@link Watch#silent}). A unit
     * merely out of view may not have been joined yet: a leader elected a moment after it was added has run few
     * {@code -joined} hooks, and every peer it has not joined is out of its view (Juju lists in relation-list only
     * the units whose {@code -joined} ran on it).
     */
    public Census knowingGone(java.util.Collection<String> units) {
        return new Census(reports, unreadable, unreported, byUnit, statuses, granted, managed, Set.copyOf(units));
    }

    /** Whether the unit is out of view and known to be gone ({@link #knowingGone}). */
    public boolean gone(String unit) {
        return !knows(unit) && gone.contains(unit);
    }

    public long doneCount(Role role, Plan plan) {
        return tier(role).stream().filter(r -> done(r, plan)).count();
    }

    /**
     * Whether this view knows the control plane: at least one control-plane unit reports, and every unit in view
     * reports readably (a silent or unreadable unit could be control plane). Nothing is planned, no worker is let
     * through and no plan completes on a view without it: a leader that has not joined the control-plane units
     * yet, or cannot read them, would plan the workers' snaps alone, or let them go first.
     */
    public boolean controlPlaneKnown() {
        return !anyUnknown() && !tier(Role.CONTROL_PLANE).isEmpty();
    }

    /** Why the control plane is not known, for a status; empty when it is. */
    public Optional<String> controlPlaneUnknown() {
        if (!unreadable.isEmpty()) {
            return Optional.of("cannot read " + unreadable.get(0).unit() + "'s data");
        }
        if (!unreported.isEmpty()) {
            return Optional.of(unreported.get(0) + " has not reported yet");
        }
        return tier(Role.CONTROL_PLANE).isEmpty() ? Optional.of("no control-plane unit in view") : Optional.empty();
    }

    /** The control plane is known and every control-plane unit is on the plan's revisions. */
    public boolean controlPlaneOn(Plan plan) {
        return controlPlaneKnown() && tier(Role.CONTROL_PLANE).stream().allMatch(r -> done(r, plan));
    }

    public String tierProgress(Role role, Plan plan) {
        return (role == Role.CONTROL_PLANE ? "control plane " : "workers ") + doneCount(role, plan) + "/"
                + tier(role).size();
    }
}
