package io.snapcoherence.charm;

import io.snapcoherence.juju.CharmDir;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.kube.NodeHealth;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreProxy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;

/**
 * The one entry point for a hook or action, used alike by production, scenario tests and the simulator.
 * An unexpected exception is a bug: it is logged with its stack trace and the process exits non-zero, so
 * Juju shows the error and retries the hook (with all of the hook's relation writes discarded).
 */
public final class CharmRunner {

    private CharmRunner() {
    }

    /**
     * Runs the event; returns the process exit code. {@code charmDir} is the unit's charm directory on its machine:
     * {@code CharmDir.at(context.charmDir())} in production, the simulated machine's in the simulator.
     */
    public static int run(JujuContext context, HookTools tools, Snaps snaps, NodeHealth health, StoreProxy proxy,
                          CharmDir charmDir, Clock clock) {
        if (context.event() instanceof Event.Unknown) {
            return 0;
        }
        try {
            new Charm(context, tools, snaps, health, proxy, charmDir, clock).handle();
            return 0;
        } catch (RuntimeException e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            String message = context.event().name() + " failed: " + trace;
            try {
                tools.log(HookTools.LogLevel.ERROR, message);
            } catch (RuntimeException logFailure) {
                System.err.println(message);
            }
            return 1;
        }
    }
}
