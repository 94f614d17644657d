package io.snapcoherence.sim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One unit agent's cache of remote unit settings in one relation, as Juju's uniter keeps it
 * (internal/worker/uniter/runner/context/cache.go, RelationCache): a member's settings, once read, are kept across
 * hooks until invalidated (a hook whose remote unit is that member) or the member is removed (its -departed);
 * settings of non-members (a departing unit read during its -departed) are kept only for one hook. Membership is
 * what relation-list shows. Application settings are not cached across hooks (Prune clears them).
 */
final class RelationCache {
    /** Members and their cached settings; a null value means "read afresh on the next read". */
    private Map<String, Map<String, String>> members = new HashMap<>();
    private final Map<String, Map<String, String>> others = new HashMap<>();

    /** At the start of every hook: membership becomes {@code memberNames}; non-member settings are dropped. */
    void prune(Collection<String> memberNames) {
        Map<String, Map<String, String>> next = new HashMap<>();
        for (String name : memberNames) {
            next.put(name, members.get(name));
        }
        members = next;
        others.clear();
    }

    /** The named unit is a member, and its next read is fresh (a hook whose remote unit it is). */
    void invalidate(String member) {
        members.put(member, null);
    }

    /** Every member is read afresh (a unit agent that has just started, or caching switched off). */
    void invalidateAll() {
        members.replaceAll((name, settings) -> null);
    }

    /** The unit is no longer a member (its -departed hook). */
    void remove(String member) {
        members.remove(member);
    }

    /** relation-list: the members, sorted by name. */
    List<String> memberNames() {
        List<String> names = new ArrayList<>(members.keySet());
        names.sort(null);
        return names;
    }

    /**
     * What relation-get of a remote unit would answer now, without keeping anything: the cached settings, or
     * {@code read}'s. For observers: reading through the cache would change what later hooks see.
     */
    Optional<Map<String, String>> peek(String unit, Function<String, Optional<Map<String, String>>> read) {
        Map<String, String> settings = members.containsKey(unit) ? members.get(unit) : others.get(unit);
        return settings != null ? Optional.of(settings) : read.apply(unit);
    }

    /** relation-get of a remote unit: cached, or read through {@code read} and kept. Empty: no settings. */
    Optional<Map<String, String>> settings(String unit, Function<String, Optional<Map<String, String>>> read) {
        boolean member = members.containsKey(unit);
        Map<String, String> settings = member ? members.get(unit) : others.get(unit);
        if (settings == null) {
            Optional<Map<String, String>> fresh = read.apply(unit);
            if (fresh.isEmpty()) {
                return Optional.empty();
            }
            settings = fresh.get();
            (member ? members : others).put(unit, settings);
        }
        return Optional.of(settings);
    }
}
