package io.snapcoherence.coherence;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The peers sorted by what can be known of them: readable reports per tier, unreadable data, silent units. */
public record Census(List<UnitReport> reports, List<Malformed> unreadable, List<String> unreported) {

    public static Census of(List<UnitReading> readings) {
        List<UnitReport> reports = new ArrayList<>();
        List<Malformed> unreadable = new ArrayList<>();
        List<String> unreported = new ArrayList<>();
        for (UnitReading reading : readings) {
            if (reading instanceof UnitReading.Reported r) {
                reports.add(r.report());
            } else if (reading instanceof UnitReading.Unreadable u) {
                unreadable.add(u.malformed());
            } else {
                unreported.add(reading.unit());
            }
        }
        reports.sort((a, b) -> Units.ORDER.compare(a.unit(), b.unit()));
        return new Census(List.copyOf(reports), List.copyOf(unreadable), Units.ordered(unreported));
    }

    public List<UnitReport> tier(Role role) {
        return reports.stream().filter(r -> r.role() == role).toList();
    }

    public Optional<UnitReport> report(String unit) {
        return reports.stream().filter(r -> r.unit().equals(unit)).findFirst();
    }

    /** Units whose role is unknown: nothing may be assumed about them (they could be control plane). */
    public boolean anyUnknown() {
        return !unreadable.isEmpty() || !unreported.isEmpty();
    }

    public boolean knows(String unit) {
        return report(unit).isPresent() || unreported.contains(unit)
                || unreadable.stream().anyMatch(m -> m.unit().equals(unit));
    }

    public long doneCount(Role role, Plan plan) {
        return tier(role).stream().filter(r -> r.done(plan)).count();
    }

    /** Every control-plane unit is on the plan's revisions, and no unit of unknown role could be one that is not. */
    public boolean controlPlaneOn(Plan plan) {
        return !anyUnknown() && tier(Role.CONTROL_PLANE).stream().allMatch(r -> r.done(plan));
    }

    public String tierProgress(Role role, Plan plan) {
        return (role == Role.CONTROL_PLANE ? "control plane " : "workers ") + doneCount(role, plan) + "/"
                + tier(role).size();
    }
}
