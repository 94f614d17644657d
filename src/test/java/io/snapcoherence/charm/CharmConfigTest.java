package io.snapcoherence.charm;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bounds that keep peer data and unit stores small whatever the number of units. */
class CharmConfigTest {

    @Test
    void maxUnavailableIsBetweenOneAndItsBound() {
        assertThat(CharmConfig.parse(Map.of("max-unavailable", 100)).maxUnavailable()).isEqualTo(100);
        assertThatThrownBy(() -> CharmConfig.parse(Map.of("max-unavailable", 101)))
                .hasMessage("max-unavailable must be between 1 and 100, got 101");
        assertThatThrownBy(() -> CharmConfig.parse(Map.of("max-unavailable", 0)))
                .hasMessage("max-unavailable must be between 1 and 100, got 0");
    }

    @Test
    void atMostThirtyTwoSnapsAreManaged() {
        StringBuilder snaps = new StringBuilder();
        for (int i = 0; i < 33; i++) {
            snaps.append("snap").append(i).append(' ');
        }
        assertThatThrownBy(() -> CharmConfig.parse(Map.of("snaps", snaps.toString())))
                .hasMessage("snaps names 33 snaps, at most 32");
    }

    @Test
    void theUnitsSilenceIsJudgedAfterLongerThanARefreshCanTake() {
        // The leader names a granted unit silent after Watch.SILENT_AFTER: a refresh is given up on after
        // RefreshRun.GIVE_UP, and the unit needs a hook to start and one to report (update-status, 5 min each).
        assertThat(io.snapcoherence.coherence.Watch.SILENT_AFTER)
                .isGreaterThanOrEqualTo(RefreshRun.GIVE_UP.plus(java.time.Duration.ofMinutes(10)));
    }
}
