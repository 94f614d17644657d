package io.snapcoherence.sim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a hook's agent reads of the peer relation: the application databag as of the hook's start, and each unit's
 * databag as the agent's relation cache gives it ({@link RelationCache}: a peer as of this agent's own last hook
 * for it), the unit's own as committed. Rules about what a unit may do are judged by this view: a unit cannot act
 * on data its agent does not show it.
 *
 * @param app   the application databag the hook read
 * @param units every unit in the hook's relation-list, the departing one during a {@code -departed} hook, and the
 *              unit itself, with the data the hook reads (or would read) for it
 */
public record PeerView(Map<String, String> app, Map<String, Map<String, String>> units) {
    /** No hook: nothing was read. */
    public static final PeerView NONE = new PeerView(Map.of(), Map.of());

    public PeerView {
        app = Map.copyOf(app);
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        units.forEach((unit, data) -> copy.put(unit, Map.copyOf(data)));
        units = java.util.Collections.unmodifiableMap(copy);
    }
}
