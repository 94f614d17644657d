package io.snapcoherence.coherence;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader's watch over the granted units: since when each has been <em>due</em> (out of the leader's view, or
 * free to start and not done), as the leader remembers it in its unit store, and the time of this hook. The pure
 * rules read no clock: time comes in here. A unit due for longer than {@code silentAfter} (longer than a refresh
 * can take: snapd is given up on after 30 minutes, and a unit notices and reports within an update-status
 * interval on either side) is named in the app status; {@code resume} frees the grant of a unit out of view for
 * that long.
 */
public record Watch(Instant now, Map<String, Instant> dueSince, Duration silentAfter) {

    /** 30 minutes for snapd, 15 for the hooks that start the refresh and report it. */
    public static final Duration SILENT_AFTER = Duration.ofMinutes(45);

    /** A leader that has not watched anyone yet, at the epoch: nobody has been silent long. */
    public static final Watch NONE = new Watch(Instant.EPOCH, Map.of(), SILENT_AFTER);

    public Watch {
        dueSince = java.util.Collections.unmodifiableMap(new TreeMap<>(dueSince));
    }

    /** How long {@code unit} has been due by this watch; zero when it is not watched. */
    public Duration dueFor(String unit) {
        Instant since = dueSince.get(unit);
        return since == null || since.isAfter(now) ? Duration.ZERO : Duration.between(since, now);
    }

    public boolean silent(String unit) {
        return dueSince.containsKey(unit) && dueFor(unit).compareTo(silentAfter) >= 0;
    }
}
