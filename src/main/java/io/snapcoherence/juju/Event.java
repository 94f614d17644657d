package io.snapcoherence.juju;

import java.util.Optional;

/**
 * What Juju asked this process to handle: read once from the environment, never again.
 * A closed set, so every consumer handles every kind.
 */
public sealed interface Event permits Event.Lifecycle, Event.Relation, Event.Action, Event.Unknown {

    /** The hook or action name exactly as Juju gave it, e.g. {@code coherence-relation-changed}. */
    String name();

    /** The lifecycle hook this is; empty for relation hooks, actions and unknown hooks. */
    default Optional<LifecycleKind> lifecycle() {
        return this instanceof Lifecycle l ? Optional.of(l.kind()) : Optional.empty();
    }

    /** {@code stop} or {@code remove}: the unit is going away. */
    default boolean stopsUnit() {
        return lifecycle().filter(k -> k == LifecycleKind.STOP || k == LifecycleKind.REMOVE).isPresent();
    }

    /** In a {@code -relation-broken} hook, the endpoint of the relation that is going. */
    default Optional<String> brokenEndpoint() {
        return this instanceof Relation r && r.kind() == RelationKind.BROKEN ? Optional.of(r.endpoint())
                : Optional.empty();
    }

    /**
     * In a {@code -relation-departed} hook, the unit leaving the relation (this unit itself when it is the one
     * leaving); empty in every other hook.
     */
    default Optional<String> departingUnit() {
        return Optional.empty();
    }

    /**
     * Whether the relations this unit learned of in earlier hooks may differ now: {@code -relation-created} and
     * {@code -relation-broken} add or take one, {@code install} has no earlier hook, and {@code upgrade-charm}
     * follows hooks of another version of the charm.
     */
    default boolean relationsMayHaveChanged() {
        if (this instanceof Relation r) {
            return r.kind() == RelationKind.CREATED || r.kind() == RelationKind.BROKEN;
        }
        return lifecycle().filter(k -> k == LifecycleKind.INSTALL || k == LifecycleKind.UPGRADE_CHARM).isPresent();
    }

    enum LifecycleKind {
        INSTALL("install"), LEADER_ELECTED("leader-elected"), LEADER_SETTINGS_CHANGED("leader-settings-changed"),
        CONFIG_CHANGED("config-changed"), START("start"), UPDATE_STATUS("update-status"),
        UPGRADE_CHARM("upgrade-charm"), STOP("stop"), REMOVE("remove");

        private final String hookName;

        LifecycleKind(String hookName) {
            this.hookName = hookName;
        }

        public String hookName() {
            return hookName;
        }

        static Optional<LifecycleKind> ofHook(String name) {
            for (LifecycleKind kind : values()) {
                if (kind.hookName.equals(name)) {
                    return Optional.of(kind);
                }
            }
            return Optional.empty();
        }
    }

    enum RelationKind {
        CREATED("created"), JOINED("joined"), CHANGED("changed"), DEPARTED("departed"), BROKEN("broken");

        private final String suffix;

        RelationKind(String suffix) {
            this.suffix = suffix;
        }

        public String hookSuffix() {
            return "-relation-" + suffix;
        }
    }

    record Lifecycle(LifecycleKind kind) implements Event {
        @Override
        public String name() {
            return kind.hookName();
        }
    }

    /**
     * A relation hook. {@code remoteUnit} is empty when an application databag changed;
     * {@code departingUnit} is set only for {@code -relation-departed}.
     */
    record Relation(String endpoint, RelationKind kind, String relationId, Optional<String> remoteUnit,
                    Optional<String> remoteApp, Optional<String> departingUnit) implements Event {
        public Relation {
            requireText(endpoint, "endpoint");
            requireText(relationId, "relation id");
        }

        @Override
        public String name() {
            return endpoint + kind.hookSuffix();
        }
    }

    record Action(String name, String id) implements Event {
        public Action {
            requireText(name, "action name");
        }
    }

    /** A hook this charm does not know; the charm exits 0 without doing anything. */
    record Unknown(String name) implements Event {
    }

    /** Parses a hook name such as {@code worker-relation-departed}. Relation fields come from the caller. */
    static Event ofHook(String hookName, String relationId, Optional<String> remoteUnit, Optional<String> remoteApp,
                        Optional<String> departingUnit) {
        Optional<LifecycleKind> lifecycle = LifecycleKind.ofHook(hookName);
        if (lifecycle.isPresent()) {
            return new Lifecycle(lifecycle.get());
        }
        for (RelationKind kind : RelationKind.values()) {
            String suffix = kind.hookSuffix();
            if (hookName.endsWith(suffix) && hookName.length() > suffix.length()) {
                String endpoint = hookName.substring(0, hookName.length() - suffix.length());
                if (relationId == null || relationId.isBlank()) {
                    return new Unknown(hookName);
                }
                return new Relation(endpoint, kind, relationId, remoteUnit, remoteApp, departingUnit);
            }
        }
        return new Unknown(hookName);
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }
}
