package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.juju.HookTools;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The peers this unit has seen in the relation, remembered in its unit store. A unit absent from relation-list
 * has either left or not joined yet from this unit's view (a unit added and elected leader before its
 * {@code -joined} hooks ran sees nobody). Only the first may lose its grant (I8); taking the second for departed
 * would free a grant of a unit that is refreshing, and a leader would grant beyond max-unavailable (I2) or
 * complete a plan over a failure it cannot see (I4). Units that left are remembered only while a grant names them.
 */
final class Membership {
    static final String STORE_KEY = "peers-seen";
    static final String LEAVING_KEY = "leaving";

    private Membership() {
    }

    /**
     * Whether this unit is leaving the relation: this hook is its own {@code -departed}, or an earlier one was
     * (remembered in the unit store). A leaving unit's relation-list shrinks with each of its {@code -departed}
     * hooks and is empty in the hooks after: everyone seems to have left, so it must not report anyone as left.
     */
    static boolean leaving(HookTools tools, String unit, Optional<String> departing) {
        boolean remembered = "true".equals(tools.stateGet().get(LEAVING_KEY));
        if (departing.equals(Optional.of(unit)) && !remembered) {
            tools.stateSet(Map.of(LEAVING_KEY, "true"));
            return true;
        }
        return remembered;
    }

    /**
     * Units known to have left: seen in an earlier hook, or departing in this one, and not in the relation now.
     * Remembers the peers of this hook for the next.
     */
    static Set<String> left(HookTools tools, Collection<String> present, Optional<String> departing,
                            Collection<String> granted) {
        String stored = tools.stateGet().getOrDefault(STORE_KEY, "");
        Set<String> seen = new TreeSet<>();
        try {
            seen.addAll(Json.stringList(stored));
        } catch (IllegalArgumentException e) {
            tools.log(HookTools.LogLevel.WARNING, "unreadable " + STORE_KEY + ", treating as none: " + e.getMessage());
        }
        departing.ifPresent(seen::add);
        Set<String> left = new TreeSet<>(seen);
        left.removeAll(present);

        Set<String> remember = new TreeSet<>(present);
        departing.ifPresent(remember::add);
        left.stream().filter(granted::contains).forEach(remember::add);
        String next = remember.isEmpty() ? "" : Json.write(List.copyOf(remember));
        if (!next.equals(stored)) {
            tools.stateSet(Map.of(STORE_KEY, next));
        }
        return left;
    }
}
