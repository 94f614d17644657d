package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.Snaps;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Holds of the managed snaps from snapd's own refresh timer, so nothing refreshes outside a plan. The unit store
 * remembers what the charm holds; snapd is called only when that set changes, and a release frees only holds
 * the charm set.
 */
final class Holds {
    static final String HELD_KEY = "held-snaps";

    private final HookTools tools;
    private final Snaps snaps;

    Holds(HookTools tools, Snaps snaps) {
        this.tools = tools;
        this.snaps = snaps;
    }

    /** Holds what should be held and releases the rest; the unit store remembers what the charm holds. */
    void apply(Set<String> wanted) {
        Map<String, String> store = tools.stateGet();
        Set<String> held = new TreeSet<>();
        try {
            held.addAll(Json.stringList(store.getOrDefault(HELD_KEY, "")));
        } catch (IllegalArgumentException e) {
            tools.log(HookTools.LogLevel.WARNING, "unreadable " + HELD_KEY + ", treating as none: " + e.getMessage());
        }
        Set<String> target = new TreeSet<>(wanted);
        if (target.equals(held)) {
            return;
        }
        List<String> toHold = target.stream().filter(s -> !held.contains(s)).toList();
        List<String> toRelease = held.stream().filter(s -> !target.contains(s)).toList();
        try {
            if (!toRelease.isEmpty()) {
                snaps.unhold(toRelease);
            }
            // Without per-snap holds a release clears snapd's system-wide hold: hold the whole set again then.
            List<String> hold = toRelease.isEmpty() ? toHold : List.copyOf(target);
            if (!hold.isEmpty()) {
                snaps.hold(hold);
            }
        } catch (SnapException e) {
            tools.log(HookTools.LogLevel.WARNING, "holds unchanged, retrying next hook: " + e.error().describe());
            return;
        }
        tools.stateSet(Map.of(HELD_KEY, target.isEmpty() ? "" : Json.write(List.copyOf(target))));
    }

}
