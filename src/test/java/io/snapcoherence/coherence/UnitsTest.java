package io.snapcoherence.coherence;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class UnitsTest {
    @Test
    void unitsAreOrderedByApplicationThenNumberThenName() {
        List<String> names = List.of("snap-coherence/10", "other/1", "snap-coherence/2", "snap-coherence/x",
                "snap-coherence/2", "noslash", "snap-coherence/02");

        assertThat(Units.ordered(names)).containsExactly("noslash", "other/1", "snap-coherence/02",
                "snap-coherence/2", "snap-coherence/10", "snap-coherence/x");
        assertThat(Units.ORDER.compare("a/9", "a/10")).isNegative();
        assertThat(Units.ORDER.compare("a/10", "a/10")).isZero();
        assertThat(Units.ORDER.compare("b/1", "a/10")).isPositive();
    }

    @Test
    void reportsAreOrderedByTheirUnits() {
        UnitReport ten = new UnitReport("snap-coherence/10", Role.WORKER, Map.of(), Optional.empty());
        UnitReport two = new UnitReport("snap-coherence/2", Role.WORKER, Map.of(), Optional.empty());

        assertThat(Units.BY_UNIT.compare(two, ten)).isNegative();
        assertThat(Units.BY_UNIT.compare(ten, two)).isPositive();
    }
}
