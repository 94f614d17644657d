package io.snapcoherence.coherence;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The leader asking a few units to look at what the store serves now (app databag {@code check}): round number,
 * when it asked, and whom. An asked unit looks once per round and answers in its databag, whether or not what it
 * sees differs. The leader makes no plan while a round runs: until every asked unit answered, or {@link #SETTLE}
 * passed (an asked unit may be down, or far behind in its hook queue).
 */
public record CheckRound(long round, Instant at, List<String> asked) {

    /** How long the leader waits for the answers of a round before planning from what it has. */
    public static final Duration SETTLE = Duration.ofMinutes(2);
    /**
     * How often the leader asks again about a (snap, channel, architecture) no usable view covers yet: each round
     * writes the app databag, which costs every unit a hook.
     */
    public static final Duration RETRY = Duration.ofMinutes(10);
    /** The most units one round asks (a few per architecture cover every channel they track). */
    public static final int MAX_ASKED = 16;

    public static final CheckRound NONE = new CheckRound(0, Instant.EPOCH, List.of());

    public CheckRound {
        asked = List.copyOf(asked);
    }

    // Written out, not generated: see UnitReport.
    @Override
    public boolean equals(Object o) {
        return o instanceof CheckRound other && round == other.round && java.util.Objects.equals(at, other.at)
                && java.util.Objects.equals(asked, other.asked);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(round, at, asked);
    }

    /** Whether {@code unit}'s view answers this round. */
    public boolean answeredBy(UnitReport report) {
        return report.view().map(v -> v.round() >= round).orElse(false);
    }

    /**
     * Whether the round still runs: younger than {@link #SETTLE} and an asked unit in view has not answered (an
     * asked unit no longer in view, or unreadable, is not waited for beyond the settle time either).
     */
    public boolean runs(Census census, Instant now) {
        return round > 0 && now.isBefore(at.plus(SETTLE)) && asked.stream()
                .anyMatch(u -> census.knows(u) && census.report(u).map(r -> !answeredBy(r)).orElse(true));
    }

    /** Whether for each of {@code pairs} (per architecture) a unit in view that this round asked tracks it. */
    public boolean covers(java.util.Map<String, java.util.Set<SnapChannel>> pairs, Census census) {
        return pairs.entrySet().stream().allMatch(e -> e.getValue().stream().allMatch(sc -> asked.stream()
                .anyMatch(u -> census.report(u).filter(r -> r.arch().equals(e.getKey()))
                        .map(r -> r.installed().get(sc.snap()))
                        .map(have -> have.channel().equals(sc.channel())).orElse(false))));
    }

    /** Whether a round started now would come {@link #RETRY} after this one. */
    public boolean retryDue(Instant now) {
        return round == 0 || !now.isBefore(at.plus(RETRY));
    }
}
