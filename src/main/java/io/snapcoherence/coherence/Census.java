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
                     Map<String, UnitReading> byUnit, Map<String, StatusLine> statuses, Set<String> granted) {

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
                java.util.Collections.unmodifiableMap(byUnit), Map.of(), Set.of());
    }

    /**
     * The same census with what the units' workload statuses say ({@link StatusLine}), as the leader read them
     * afresh in this hook: a unit whose status says its refresh for the plan's current attempt is verified done
     * counts as done ({@link #done}) before the leader has read its report in its databag.
     */
    public Census withStatuses(Map<String, StatusLine> lines) {
        return new Census(reports, unreadable, unreported, byUnit, Map.copyOf(lines), granted);
    }

    /**
     * The same census as the leader judges the units granted for the plan: a granted unit is done only by its own
     * word ({@link #done}).
     */
    public Census withGrants(List<String> grants) {
        return new Census(reports, unreadable, unreported, byUnit, statuses, Set.copyOf(grants));
    }

    /**
     * Whether a unit is done with the plan: its report says so (its revisions are the targets, no failure of the
     * plan stands), or its status says its refresh for the plan's current attempt is verified done. Both are facts
     * about its machine: the status is set after verification, at once, and may be read before the report commits.
     *
     * <p>A granted unit ({@link #withGrants}) is done only by its own word: its done report of the plan (any
     * attempt) or that status. A granted unit reports no targets' revisions until it reports done, so a report that
     * shows them without done is a copy older than its grant (Juju's relation cache serves a peer's data as of the
     * reader's last hook for it), and the machine may have moved since: snapd's timer (hold=false) takes a unit off
     * the targets, the leader grants it, it refreshes, while the leader's copy still shows the targets. Counted done
     * by it, its grant was freed and the leader started beside it, one unit more than the window (I2; wide seed
     * 169016). A granted unit found on the targets reports done in its next hook; one whose machine died there is
     * due (the watch) and halts the rollout, named, after {@link Watch#SILENT_AFTER}.
     */
    public boolean done(UnitReport report, Plan plan) {
        if (statuses.get(report.unit()) instanceof StatusLine.Done d && d.about(plan)) {
            return true;
        }
        return granted.contains(report.unit()) ? report.reportedDone(plan) : report.done(plan);
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
