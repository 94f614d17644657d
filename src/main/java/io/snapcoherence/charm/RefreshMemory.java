package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.Failure;
import io.snapcoherence.coherence.Plan;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What one attempt at a plan asked snapd for, across hooks (unit store {@code refresh-run}): since when the unit has
 * tried, when its first change started, the id of snapd's change per snap (refreshes, and reverts with
 * {@code on-failure=revert}), and a failure already seen while reverts still run. A change outlives the hook that
 * started it; its id is how a later hook follows it to {@code Done} or to snapd's error.
 */
record RefreshMemory(long plan, int attempt, Instant since, Optional<Instant> started, Map<String, String> changes,
                     Map<String, String> reverts, Optional<Failure> failure) {
    static final UnitStore.Key<RefreshMemory> KEY = new UnitStore.Key<>("refresh-run", RefreshMemory::decode,
            RefreshMemory::encode);

    /**
     * The changes keep the order they started in (Map.copyOf would iterate in an order that differs from one JVM to
     * the next): reverts then start in the same order on every run, and a rehearsal replays alike for a seed.
     */
    RefreshMemory {
        changes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(changes));
        reverts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(reverts));
    }

    static RefreshMemory fresh(Plan plan, Instant now) {
        return new RefreshMemory(plan.id(), plan.attempt(), now, Optional.empty(), Map.of(), Map.of(),
                Optional.empty());
    }

    boolean isFor(Plan plan) {
        return this.plan == plan.id() && attempt == plan.attempt();
    }

    /** The change this attempt follows for the snap: its revert once one started, else its refresh. */
    Optional<String> changeOf(String snap) {
        return Optional.ofNullable(reverts.get(snap)).or(() -> Optional.ofNullable(changes.get(snap)));
    }

    RefreshMemory withChange(String snap, String id, Instant now) {
        Map<String, String> more = new LinkedHashMap<>(changes);
        more.put(snap, id);
        return new RefreshMemory(plan, attempt, since, started.or(() -> Optional.of(now)), more, reverts, failure);
    }

    RefreshMemory withoutChange(String snap) {
        Map<String, String> fewer = new LinkedHashMap<>(changes);
        fewer.remove(snap);
        return new RefreshMemory(plan, attempt, since, started, fewer, reverts, failure);
    }

    RefreshMemory withRevert(String snap, String id) {
        Map<String, String> more = new LinkedHashMap<>(reverts);
        more.put(snap, id);
        return new RefreshMemory(plan, attempt, since, started, changes, more, failure);
    }

    RefreshMemory withFailure(Failure seen) {
        return new RefreshMemory(plan, attempt, since, started, changes, reverts, Optional.of(seen));
    }

    // ---- the unit store ------------------------------------------------------------------------------------

    /** The remembered attempt, of whatever plan; empty when none or unreadable (logged). */
    static Optional<RefreshMemory> recall(UnitStore store) {
        return store.get(KEY);
    }

    void remember(UnitStore store) {
        store.put(KEY, this);
    }

    static void forget(UnitStore store) {
        store.clear(KEY);
    }

    private static RefreshMemory decode(String text) {
        Map<String, Object> node = Json.objectMap(text);
        Optional<Failure> failure = Optional.empty();
        if (node.get("failure") instanceof Map<?, ?> f) {
            failure = Optional.of(new Failure((String) f.get("snap"), ((Number) f.get("revision")).intValue(),
                    (String) f.get("error")));
        }
        Object started = node.get("started");
        return new RefreshMemory(((Number) node.get("plan")).longValue(), ((Number) node.get("attempt")).intValue(),
                Instant.parse((String) node.get("since")),
                started == null ? Optional.empty() : Optional.of(Instant.parse((String) started)),
                ids(node.get("changes")), ids(node.get("reverts")), failure);
    }

    private static String encode(RefreshMemory memory) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("plan", memory.plan);
        node.put("attempt", memory.attempt);
        node.put("since", memory.since.toString());
        memory.started.ifPresent(at -> node.put("started", at.toString()));
        node.put("changes", new LinkedHashMap<>(memory.changes));
        node.put("reverts", new LinkedHashMap<>(memory.reverts));
        memory.failure.ifPresent(f -> {
            Map<String, Object> seen = new LinkedHashMap<>();
            seen.put("snap", f.snap());
            seen.put("revision", f.revision());
            seen.put("error", f.error());
            node.put("failure", seen);
        });
        return Json.write(node);
    }

    private static Map<String, String> ids(Object node) {
        Map<String, String> ids = new LinkedHashMap<>();
        if (node instanceof Map<?, ?> map) {
            map.forEach((snap, id) -> ids.put((String) snap, (String) id));
        }
        return ids;
    }
}
