package io.snapcoherence.coherence;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one unit saw a refresh of its managed snaps would get, from the store its snapd uses, as it reports it in its
 * databag ({@code offers}): for each managed snap it has installed on channel C, the revision of the snap snapd's
 * refresh candidates ({@code GET /v2/find?select=refresh}) list, or the installed revision when they list none.
 * {@code at} is when it looked (its clock); {@code proxy} the proxy-url it was registered with ("" without one): a
 * view through another proxy is not this one's. {@code round} is the last check round of the leader's this unit
 * answered, and {@code answer} whether this view is that answer (else the unit reported on its own, its view
 * differing from what the leader holds: news, which the leader asks a few units about). {@code none} says why a unit
 * the leader asked could not look (not registered, the store unreachable); such an answer serves nothing.
 */
public record StoreView(Instant at, long round, boolean answer, String proxy, Map<SnapChannel, Integer> serves,
                        Optional<String> none) {

    /** A unit reports one channel per managed snap (at most 32): more is data of something else. */
    public static final int MAX_ENTRIES = 64;

    public StoreView {
        serves = java.util.Collections.unmodifiableMap(new TreeMap<>(serves));
        if (none.isPresent() && !serves.isEmpty()) {
            throw new IllegalArgumentException("a view that could not be taken serves nothing");
        }
    }

    /** An answer to check round {@code round}. */
    public static StoreView answer(Instant at, long round, String proxy, Map<SnapChannel, Integer> serves) {
        return new StoreView(at, round, true, proxy, serves, Optional.empty());
    }

    /** A view reported unasked, by a unit that last answered round {@code round}. */
    public static StoreView news(Instant at, long round, String proxy, Map<SnapChannel, Integer> serves) {
        return new StoreView(at, round, false, proxy, serves, Optional.empty());
    }

    /** The answer of a unit asked in round {@code round} that could not look, and why. */
    public static StoreView unavailable(Instant at, long round, String proxy, String why) {
        return new StoreView(at, round, true, proxy, Map.of(), Optional.of(why));
    }

    public boolean usable() {
        return none.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoreView other && at.equals(other.at) && round == other.round
                && answer == other.answer && proxy.equals(other.proxy) && serves.equals(other.serves)
                && none.equals(other.none);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(at, round, answer, proxy, serves, none);
    }
}
