package io.snapcoherence.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the charm keeps in a unit store and in the peer databags does not grow with the number of units: at six
 * times the units, the same rollout (a failure, a resume, units leaving) writes no larger value, except for unit
 * names one digit longer. The full-size check, 3 + 5,000 units against Juju's limits, is a program
 * ({@code bench/footprint.sh}).
 */
class FootprintTest {

    @Test
    void noUnitStoreOrDatabagValueGrowsWithTheNumberOfUnits() {
        Footprint.Result small = Footprint.measure(1, 10, 2);
        Footprint.Result large = Footprint.measure(1, 60, 2);
        assertThat(small.planCompleted()).isTrue();
        assertThat(large.planCompleted()).isTrue();
        int digits = 16; // a few unit names per value, each a digit longer
        assertThat(large.storeValue().bytes()).as("largest unit-store value: %s", large.storeValue())
                .isLessThanOrEqualTo(small.storeValue().bytes() + digits);
        assertThat(large.storeTotal().bytes()).as("largest unit store: %s", large.storeTotal())
                .isLessThanOrEqualTo(small.storeTotal().bytes() + 4 * digits);
        assertThat(large.unitValue().bytes()).as("largest unit databag value: %s", large.unitValue())
                .isLessThanOrEqualTo(small.unitValue().bytes() + digits);
        assertThat(large.appValue().bytes()).as("largest app databag value: %s", large.appValue())
                .isLessThanOrEqualTo(small.appValue().bytes() + digits);
        assertThat(large.withinLimits()).isTrue();
    }
}
