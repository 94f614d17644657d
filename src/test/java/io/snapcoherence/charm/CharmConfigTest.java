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

    @Test
    void soakIsZeroOrAWholeNumberOfSecondsMinutesOrHours() {
        assertThat(CharmConfig.parse(Map.of()).soak()).isZero();
        assertThat(CharmConfig.parse(Map.of("soak", "0")).soak()).isZero();
        assertThat(CharmConfig.parse(Map.of("soak", "90s")).soak()).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(CharmConfig.parse(Map.of("soak", "30m")).soak()).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(CharmConfig.parse(Map.of("soak", "2h")).soak()).isEqualTo(java.time.Duration.ofHours(2));
        assertThatThrownBy(() -> CharmConfig.parse(Map.of("soak", "30 minutes")))
                .hasMessage("soak \"30 minutes\" is not a duration (0, 90s, 30m, 2h)");
        assertThatThrownBy(() -> CharmConfig.parse(Map.of("soak", "1h30m")))
                .hasMessage("soak \"1h30m\" is not a duration (0, 90s, 30m, 2h)");
        assertThatThrownBy(() -> CharmConfig.parse(Map.of("soak", "-5m")))
                .hasMessage("soak \"-5m\" is not a duration (0, 90s, 30m, 2h)");
        assertThatThrownBy(() -> CharmConfig.parse(Map.of("soak", "25h")))
                .hasMessage("soak \"25h\" is longer than 24h");
    }

    /** Every unit writes the snaps it manages into its report: the most config allows must stay readable to peers. */
    @Test
    void aReportOfTheMostSnapsConfigAllowsIsReadableToPeers() {
        String longest = "a".repeat(40);
        java.util.List<String> snaps = new java.util.ArrayList<>(java.util.List.of(longest));
        for (int i = 1; i < CharmConfig.MAX_SNAPS; i++) {
            snaps.add("snap-" + i);
        }
        CharmConfig config = CharmConfig.parse(Map.of("snaps", String.join(" ", snaps)));
        var report = new io.snapcoherence.coherence.UnitReport("snap-coherence/0",
                io.snapcoherence.coherence.Role.WORKER, Map.of(), java.util.Optional.empty()).managing(config.snaps());

        assertThat(io.snapcoherence.coherence.PeerCodec.decodeUnit("snap-coherence/0",
                io.snapcoherence.coherence.PeerCodec.encodeUnit(report)))
                .isEqualTo(new io.snapcoherence.coherence.UnitReading.Reported(report));
    }
}
