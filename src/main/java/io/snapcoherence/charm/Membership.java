package io.snapcoherence.charm;

import io.snapcoherence.Json;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The granted peers this unit has seen in the relation, remembered in its unit store. A unit absent from
 * relation-list has either left or not joined yet from this unit's view (a unit added and elected leader before
 * its {@code -joined} hooks ran sees nobody). Only the first may lose its grant (I8); taking the second for
 * departed would free a grant of a unit that is refreshing, and a leader would grant beyond max-unavailable (I2)
 * or complete a plan over a failure it cannot see (I4). Only granted units matter (only a grant is freed), so only
 * they are remembered: the memory is bounded by the grants (at most two batches per tier), not by the number of
 * units, which would pass Juju's 64 KiB limit on a unit-store value near 2,900 units. A unit granted after this
 * unit's last hook and removed before its next one is caught by that next hook: its {@code -departed}. The
 * departing unit of a {@code -departed} hook is remembered for one more hook, granted or not, in case a leader
 * with an older view grants it meanwhile.
 */
final class Membership {
    static final UnitStore.Key<List<String>> PEERS_SEEN = new UnitStore.Key<>("peers-seen", Json::stringList,
            Json::write);
    static final UnitStore.Key<String> LEAVING = UnitStore.text("leaving");

    private Membership() {
    }

    /**
     * Whether this unit is leaving the relation: this hook is its own {@code -departed}, or an earlier one was
     * (remembered in the unit store). A leaving unit's relation-list shrinks with each of its {@code -departed}
     * hooks and is empty in the hooks after: everyone seems to have left, so it must not report anyone as left.
     */
    static boolean leaving(UnitStore store, String unit, Optional<String> departing) {
        boolean remembered = store.get(LEAVING).filter("true"::equals).isPresent();
        if (departing.equals(Optional.of(unit)) && !remembered) {
            store.put(LEAVING, "true");
            return true;
        }
        return remembered;
    }

    /**
     * Units known to have left: seen in an earlier hook while granted, or departing in this one, and not in the
     * relation now. Remembers the granted peers of this hook (and the departing one) for the next.
     */
    static Set<String> left(UnitStore store, Collection<String> present, Optional<String> departing,
                            Collection<String> granted) {
        Set<String> seen = new TreeSet<>(store.get(PEERS_SEEN).orElse(List.of()));
        departing.ifPresent(seen::add);
        Set<String> here = new java.util.HashSet<>(present);
        Set<String> left = new TreeSet<>();
        seen.stream().filter(u -> !here.contains(u)).forEach(left::add);

        Set<String> remember = new TreeSet<>();
        granted.stream().filter(here::contains).forEach(remember::add);
        departing.ifPresent(remember::add);
        left.stream().filter(granted::contains).forEach(remember::add);
        if (remember.isEmpty()) {
            store.clear(PEERS_SEEN);
        } else {
            store.put(PEERS_SEEN, List.copyOf(remember));
        }
        return left;
    }
}
