package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.Watch;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader's watch over the granted units ({@link Watch}), kept in its unit store under {@code due-since}:
 * since when each granted unit has been due. Bounded by the grants. Only the leader keeps one; a unit that is not
 * leading clears its own, since the times would be stale when it leads again (a new leader starts watching from
 * its first hook as leader, which errs on the side of waiting).
 */
final class LeaderWatch {
    static final UnitStore.Key<Map<String, Instant>> KEY = new UnitStore.Key<>("due-since", LeaderWatch::decode,
            LeaderWatch::encode);

    private LeaderWatch() {
    }

    static Watch read(UnitStore store, Clock clock) {
        return new Watch(clock.instant(), store.get(KEY).orElse(Map.of()), Watch.SILENT_AFTER);
    }

    static void write(UnitStore store, Map<String, Instant> dueSince) {
        if (dueSince.isEmpty()) {
            store.clear(KEY);
        } else {
            store.put(KEY, dueSince);
        }
    }

    private static Map<String, Instant> decode(String text) {
        Map<String, Instant> since = new TreeMap<>();
        Json.stringMap(text).forEach((unit, at) -> since.put(unit, Instant.parse(at)));
        return since;
    }

    private static String encode(Map<String, Instant> dueSince) {
        Map<String, String> node = new LinkedHashMap<>();
        new TreeMap<>(dueSince).forEach((unit, at) -> node.put(unit, at.toString()));
        return Json.write(node);
    }
}
