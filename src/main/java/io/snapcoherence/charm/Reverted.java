package io.snapcoherence.charm;

import io.snapcoherence.Json;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The snaps this charm reverted (with {@code on-failure=revert}) and the revision each went back to, in the unit
 * store ({@code reverted}). After a revert snapd keeps the reverted-from revision in the snap's sequence after the
 * current one and leaves it out of its refresh candidates (overlord/snapstate/snapmgr.go {@code Block},
 * store/store_action.go drops a candidate in it; storehelpers.go refreshCandidates passes it when refreshing
 * everything, as {@code GET /v2/find?select=refresh} does): to that machine the store seems to serve the revision it
 * went back to. Such a snap is left out of the unit's view until it moves on (any refresh links the new revision last
 * in the sequence, handlers.go doLinkSnap, and the block is gone).
 */
final class Reverted {
    static final UnitStore.Key<Map<String, Integer>> KEY = new UnitStore.Key<>("reverted", Reverted::decode,
            reverted -> Json.write(new LinkedHashMap<>(reverted)));

    private Reverted() {
    }

    /** Snap to the revision it was reverted to; empty when none or unreadable (then nothing is left out). */
    static Map<String, Integer> recall(UnitStore store) {
        return store.get(KEY).orElse(Map.of());
    }

    /** Remembers these snaps as reverted to these revisions, along with the others still remembered. */
    static void remember(UnitStore store, Map<String, Integer> revertedTo) {
        if (revertedTo.isEmpty()) {
            return;
        }
        Map<String, Integer> all = new TreeMap<>(recall(store));
        all.putAll(revertedTo);
        store.put(KEY, all);
    }

    /**
     * Keeps only the snaps still on the revision they were reverted to ({@code installed}: snap to revision), and
     * those with a change in progress ({@code changing}): a refresh that fails after link-snap lists the new
     * revision until snapd undoes it, and the undo puts the block back (undoLinkSnap restores the sequence), so the
     * snap is not moved on until its change is done.
     */
    static Map<String, Integer> stillOn(UnitStore store, Map<String, Integer> installed, Set<String> changing) {
        Map<String, Integer> before = recall(store);
        Map<String, Integer> still = new TreeMap<>();
        before.forEach((snap, revision) -> {
            if (revision.equals(installed.get(snap)) || changing.contains(snap)) {
                still.put(snap, revision);
            }
        });
        if (!still.equals(before)) {
            if (still.isEmpty()) {
                store.clear(KEY);
            } else {
                store.put(KEY, still);
            }
        }
        return still;
    }

    private static Map<String, Integer> decode(String text) {
        Map<String, Integer> out = new TreeMap<>();
        Json.objectMap(text).forEach((snap, revision) -> out.put(snap, ((Number) revision).intValue()));
        return out;
    }
}
