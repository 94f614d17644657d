package io.snapcoherence.juju;

import java.util.Optional;

/**
 * One hook (or action) of a charm run over a {@link ModelState}, and what Juju's commit-on-success makes of it:
 * the hook's relation data, unit store and workload version land only if the charm exited 0 and the controller
 * accepts the commit ({@link StateHookTools#commitRefusal()}, where the rule's source is named); a refused commit
 * fails the hook as a whole. The one place the scenario tests decide a commit from a run.
 */
public final class HookRun {

    /** The charm's entry point for one hook over the given tools; returns the process exit code. */
    @FunctionalInterface
    public interface Charm {
        int run(JujuContext context, HookTools tools);
    }

    private final StateHookTools tools;
    private final int exitCode;

    private HookRun(StateHookTools tools, int exitCode) {
        this.tools = tools;
        this.exitCode = exitCode;
    }

    /** Runs the charm for the context's event over {@code tools}; nothing is committed yet. */
    public static HookRun run(Charm charm, JujuContext context, StateHookTools tools) {
        return new HookRun(tools, charm.run(context, tools));
    }

    public StateHookTools tools() {
        return tools;
    }

    /** The charm's own exit code. */
    public int exitCode() {
        return exitCode;
    }

    /** Why the hook's changes do not commit, if they do not: a non-zero exit, else the controller's refusal. */
    public Optional<String> refusal() {
        return exitCode != 0 ? Optional.of("exit " + exitCode) : tools.commitRefusal();
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
}
