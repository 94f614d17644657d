package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookTools;

import java.util.List;
import java.util.Optional;

/**
 * The unit's role and its peer relation id, remembered in the unit store so a hook with nothing to do need not
 * ask {@code relation-ids} for three endpoints. Both are fixed for the unit's life: a subordinate unit exists only
 * with its one container relation (it sees only its own principal), and the peer relation lives as long as the
 * application. Only found answers are remembered (a unit without a role yet asks every hook). Hooks where a
 * relation comes or goes ({@code -relation-created}, {@code -relation-broken}), {@code install} and
 * {@code upgrade-charm} (a store from another version) ask again; a {@code -broken} hook forgets the endpoint's
 * answer instead, since Juju may still list the relation while it breaks. The store commits with the hook, so
 * a failed hook leaves the previous answer, which was right.
 */
final class KnownRelations {
    /** The peer relation's endpoint (metadata.yaml). */
    static final String PEER_ENDPOINT = "coherence";
    static final UnitStore.Key<String> ROLE = UnitStore.text("role");
    static final UnitStore.Key<String> PEER_RELATION = UnitStore.text("peer-relation");

    private final HookTools tools;
    private final UnitStore store;
    private final Event event;

    KnownRelations(HookTools tools, UnitStore store, Event event) {
        this.tools = tools;
        this.store = store;
        this.event = event;
    }

    /** The role from the container relation to the principal that exists. */
    Optional<Role> role() {
        Optional<Role> known = remembered(ROLE).flatMap(Role::ofEndpoint);
        if (known.isPresent()) {
            return known;
        }
        Optional<Role> found = Optional.empty();
        for (Role role : Role.values()) {
            if (!tools.relationIds(role.endpoint()).isEmpty()) {
                found = Optional.of(role);
                break;
            }
        }
        boolean breaking = false;
        for (Role role : Role.values()) {
            breaking |= breaking(role.endpoint());
        }
        remember(ROLE, found.map(Role::endpoint), breaking);
        return found;
    }

    /** The peer relation's id, once Juju has created it. */
    Optional<String> peerRelation() {
        Optional<String> known = remembered(PEER_RELATION);
        if (known.isPresent()) {
            return known;
        }
        List<String> ids = tools.relationIds(PEER_ENDPOINT);
        Optional<String> found = ids.isEmpty() ? Optional.empty() : Optional.of(ids.get(0));
        remember(PEER_RELATION, found, breaking(PEER_ENDPOINT));
        return found;
    }

    private Optional<String> remembered(UnitStore.Key<String> key) {
        return event.relationsMayHaveChanged() ? Optional.empty() : store.get(key);
    }

    /**
     * Stores what was found (or forgets when nothing was, or the relation is breaking); actions write nothing
     * (the plan action is read-only).
     */
    private void remember(UnitStore.Key<String> key, Optional<String> found, boolean breaking) {
        if (event instanceof Event.Action) {
            return;
        }
        Optional<String> next = breaking ? Optional.empty() : found;
        next.ifPresentOrElse(value -> store.put(key, value), () -> store.clear(key));
    }

    private boolean breaking(String endpoint) {
        return event.brokenEndpoint().equals(Optional.of(endpoint));
    }
}
