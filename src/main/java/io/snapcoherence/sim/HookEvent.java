package io.snapcoherence.sim;

import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;

import java.util.Map;
import java.util.Optional;

/**
 * One hook or action a unit agent runs, as the uniter resolved it ({@link Uniter}). {@code version} is what the
 * hook is about, recorded in the agent's local state when it commits (Juju's hook.Info ChangeVersion): the remote
 * unit's or application's settings version for relation hooks, the config version for config-changed, the timer
 * tick for update-status.
 */
public record HookEvent(Event event, Optional<ModelState.ActionState> action, boolean timer, long version) {

    public static HookEvent hook(Event event) {
        return new HookEvent(event, Optional.empty(), false, 0);
    }

    public static HookEvent hook(Event event, long version) {
        return new HookEvent(event, Optional.empty(), false, version);
    }

    public static HookEvent updateStatus(long tick) {
        return new HookEvent(new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS), Optional.empty(), true, tick);
    }

    public static HookEvent action(String name, String id, Map<String, Object> params) {
        return new HookEvent(new Event.Action(name, id), Optional.of(ModelState.ActionState.of(name, params)),
                false, 0);
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
