package io.snapcoherence.sim;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Ways the simulated model is as hostile as real Juju, each behind a switch: all on by default in the model and in
 * {@code rehearse}; the randomized suite turns off those that expose a hole of the protocol not fixed yet (each
 * listed there with the hole it waits for). The first three are how the model behaves whenever they are on; the
 * others are chaos draws, made only under {@code --chaos}.
 */
public enum Hostility {
    /**
     * A removed leader keeps its lease until its unit is Dead (after its stop and remove hooks); only when the lease
     * expires is another unit elected and given leader-elected. Juju's uniter resigns only in its own state when
     * Dying (internal/worker/uniter/leadership/resolver.go, operation/leader.go resignLeadership: no lease change)
     * while the agent's lease tracker renews the lease as long as the agent runs (internal/worker/leadership/
     * tracker.go). Off: the lease moves to a live unit the moment the unit is removed (or when its hook in flight
     * ends).
     */
    DYING_LEADER_KEEPS_LEASE,
    /**
     * The lease can move while a hook that started more than 30 s ago is still running (is-leader promises 30 s,
     * tracker.go ClaimDuration); the hook's app-databag writes are then refused when it commits (the controller
     * checks the leadership token in CommitHookChanges, apiserver/facades/agent/uniter updateApplicationSettingsOp)
     * and the whole hook fails. Off: the lease never moves away from a unit inside a hook.
     */
    LEASE_LOST_IN_LONG_HOOK,
    /**
     * A unit reads remote unit X's data as of its own last hook for X: the uniter keeps X's settings once read and
     * drops them only for a hook whose remote unit is X (internal/worker/uniter/runner/context/cache.go
     * RelationCache, contextfactory.go HookContext: InvalidateMember, RemoveMember). Off: read fresh in every hook.
     */
    CACHED_REMOTE_DATA,
    /** Chaos: a hook reads the model when it starts, and acts and commits 1-4 rounds later. */
    SLOW_HOOKS,
    /**
     * Chaos: a hook is killed after it ran, with its machine changes made (a refresh that broke services, a hold
     * released), before its changes commit; the unit agent restarts (its relation cache is gone) and retries it.
     */
    KILL_BEFORE_COMMIT,
    /** Chaos: a machine dies: its unit runs no hook again but stays in the relation until it is force-removed. */
    MACHINE_DEATH,
    /** Chaos: the operator changes max-unavailable (up or down), snaps, hold, on-failure or proxy-url. */
    CONFIG_CHANGES,
    /** Chaos: the operator runs refresh, pause, resume or plan at any moment, hooks in flight or not. */
    OPERATOR_ACTIONS;

    /** The name on the command line: {@code dying-leader-keeps-lease}. */
    public String option() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<Hostility> ofOption(String option) {
        return Arrays.stream(values()).filter(h -> h.option().equals(option)).findFirst();
    }
}
