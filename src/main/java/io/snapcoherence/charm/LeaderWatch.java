package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.Watch;
import io.snapcoherence.juju.HookTools;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader's watch over the granted units ({@link Watch}), kept in its unit store under {@value #STORE_KEY}:
 * since when each granted unit has been due. Bounded by the grants. Only the leader keeps one; a unit that is not
 * leading clears its own, since the times would be stale when it leads again (a new leader starts watching from
 * its first hook as leader, which errs on the side of waiting).
 */
final class LeaderWatch {
    static final String STORE_KEY = "due-since";

    private LeaderWatch() {
    }

    static Watch read(HookTools tools, Clock clock) {
        String text = tools.stateGet().getOrDefault(STORE_KEY, "");
        Map<String, Instant> since = new TreeMap<>();
        if (!text.isEmpty()) {
            try {
                Json.stringMap(text).forEach((unit, at) -> since.put(unit, Instant.parse(at)));
            } catch (IllegalArgumentException | DateTimeParseException e) {
                tools.log(HookTools.LogLevel.WARNING, "unreadable " + STORE_KEY + ", watching afresh: "
                        + e.getMessage());
                since.clear();
            }
        }
        return new Watch(clock.instant(), since, Watch.SILENT_AFTER);
    }

    static void write(HookTools tools, Map<String, Instant> dueSince) {
        Map<String, String> node = new LinkedHashMap<>();
        new TreeMap<>(dueSince).forEach((unit, at) -> node.put(unit, at.toString()));
        String next = node.isEmpty() ? "" : Json.write(node);
        if (!next.equals(tools.stateGet().getOrDefault(STORE_KEY, ""))) {
            tools.stateSet(Map.of(STORE_KEY, next));
        }
    }
}
