package io.snapcoherence.coherence;

/** What a peer's databag says: a report, nothing yet (a unit that joined but has not run a hook), or unreadable. */
public sealed interface UnitReading permits UnitReading.Reported, UnitReading.Unreported, UnitReading.Unreadable {

    String unit();

    record Reported(UnitReport report) implements UnitReading {
        public String unit() {
            return report.unit();
        }
    }

    record Unreported(String unit) implements UnitReading {
    }

    record Unreadable(Malformed malformed) implements UnitReading {
        public String unit() {
            return malformed.unit();
        }
    }
}
