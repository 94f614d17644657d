package io.snapcoherence.sim;

import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;

import java.util.Map;
import java.util.Optional;

/**
 * One queued hook or action of one unit. Two pending events with the same {@link #coalesceKey()} are one:
 * Juju's uniter runs a single {@code -relation-changed} per remote unit for the latest data.
 */
public record HookEvent(Event event, Optional<ModelState.ActionState> action, boolean timer) {

    public static HookEvent hook(Event event) {
        return new HookEvent(event, Optional.empty(), false);
    }

    public static HookEvent updateStatus() {
        return new HookEvent(new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS), Optional.empty(), true);
    }

    public static HookEvent action(String name, String id, Map<String, Object> params) {
        return new HookEvent(new Event.Action(name, id), Optional.of(ModelState.ActionState.of(name, params)),
                false);
    }

    /** Only relation-changed and update-status coalesce; every other hook runs as often as it was queued. */
    public Optional<String> coalesceKey() {
        if (timer) {
            return Optional.of("update-status");
        }
        if (event instanceof Event.Relation r && r.kind() == Event.RelationKind.CHANGED) {
            return Optional.of(r.name() + "|" + r.remoteUnit().orElse("") + "|" + r.remoteApp().orElse(""));
        }
        return Optional.empty();
    }

    public String describe() {
        if (event instanceof Event.Relation r) {
            return r.name() + r.remoteUnit().map(u -> "(" + u + ")").orElse("(app)");
        }
        if (event instanceof Event.Action a) {
            return "action " + a.name();
        }
        return event.name();
    }
}
