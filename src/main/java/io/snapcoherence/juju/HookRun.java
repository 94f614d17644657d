package io.snapcoherence.juju;

import java.util.Optional;

/**
 * One hook (or action) of a charm run over a {@link ModelState}, and what Juju's commit-on-success makes of it. The
 * one place the scenario tests and the simulator decide whether a hook's changes commit. Juju's uniter runs the hook
 * and then flushes its context (worker/uniter/runner/runner.go runHook, then runner/context/context.go
 * HookContext.Flush): the hook's relation data, unit store and workload version land only if
 * <ol>
 *   <li>the charm exited 0 (Flush writes changes only when the hook reported no error);</li>
 *   <li>its agent was still there to flush them (an agent killed between the hook's exit and its commit loses
 *       them, and runs the hook again when it restarts);</li>
 *   <li>the controller accepts the commit ({@link StateHookTools#commitRefusal()}: the unit store within
 *       {@code max-charm-state-size});</li>
 *   <li>a hook that wrote its application's databag still holds the lease (CommitHookChanges commits under a
 *       leadership token; apiserver/facades/agent/uniter updateApplicationSettingsOp).</li>
 * </ol>
 * A refused commit fails the hook as a whole; for an action, Juju reports it as the action's failure
 * (HookContext.finalizeAction).
 */
public final class HookRun {

    /** The charm's entry point for one hook over the given tools; returns the process exit code. */
    @FunctionalInterface
    public interface Charm {
        int run(JujuContext context, HookTools tools);
    }

    private final StateHookTools tools;
    private final int exitCode;
    private final boolean killedBeforeCommit;
    private final boolean leaseAtCommit;

    private HookRun(StateHookTools tools, int exitCode, boolean killedBeforeCommit, boolean leaseAtCommit) {
        this.tools = tools;
        this.exitCode = exitCode;
        this.killedBeforeCommit = killedBeforeCommit;
        this.leaseAtCommit = leaseAtCommit;
    }

    /**
     * Runs the charm for the context's event over {@code tools}, once {@link StateConsistency} accepts the state
     * they serve; nothing is committed yet. Its agent flushes it,
     * holding the lease if it held it (a hook that ends within is-leader's 30 s promise) until told otherwise
     * ({@link #atCommit}).
     */
    public static HookRun run(Charm charm, JujuContext context, StateHookTools tools) {
        StateConsistency.check(tools.before(), context);
        return new HookRun(tools, charm.run(context, tools), false, true);
    }

    /** The facts of the moment the agent commits: whether it was killed first, whether it holds the lease now. */
    public HookRun atCommit(boolean killedBeforeCommit, boolean leaseAtCommit) {
        return new HookRun(tools, exitCode, killedBeforeCommit, leaseAtCommit);
    }

    public StateHookTools tools() {
        return tools;
    }

    /** The charm's own exit code. */
    public int exitCode() {
        return exitCode;
    }

    /** Why the hook's changes do not commit, if they do not: the first of the conditions above that fails. */
    public Optional<String> refusal() {
        if (exitCode != 0) {
            return Optional.of("exit " + exitCode);
        }
        if (killedBeforeCommit) {
            return Optional.of("killed before its commit");
        }
        return tools.commitRefusal().or(() -> tools.wroteAppData() && !leaseAtCommit
                ? Optional.of("application settings written without the lease") : Optional.empty());
    }

    public boolean committed() {
        return refusal().isEmpty();
    }

    /** The exit Juju reports for the hook: a refused commit fails a hook that exited 0. */
    public int reportedExitCode() {
        return committed() ? exitCode : Math.max(exitCode, 1);
    }

    /** The state after the hook as Juju leaves it: committed or not by {@link #committed()}. */
    public ModelState finish() {
        return tools.finish(committed());
    }

    /**
     * What Juju reports as an action's failure, given the state {@link #finish()} left: the charm's own
     * {@code action-fail}, or, for an action that exited 0 and whose changes did not commit, the refusal.
     */
    public Optional<String> actionFailure(ModelState after) {
        return committed() || exitCode != 0 ? after.action().failure()
                : Optional.of("committing requested changes failed: " + refusal().orElseThrow());
    }
}
