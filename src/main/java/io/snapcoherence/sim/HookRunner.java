package io.snapcoherence.sim;

import io.snapcoherence.charm.CharmRunner;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreProxy;

import java.time.Clock;

/**
 * What the simulated model runs for one hook on one unit: production is the real charm
 * ({@link #charm(StoreProxy, Clock)}); the simulator's own tests plug in tiny charms written as lambdas.
 * Returns the hook's exit code: 0 commits its writes, anything else discards them.
 */
@FunctionalInterface
public interface HookRunner {

    /**
     * {@code machine} is the unit's machine: its snapd, and (for the real charm) its node's health endpoints and the
     * unit's charm directory on its disk.
     */
    int run(JujuContext context, HookTools tools, Snaps machine);

    /** The real charm through its one production entry point. */
    static HookRunner charm(StoreProxy proxy, Clock clock) {
        return (context, tools, machine) -> CharmRunner.run(context, tools, machine,
                (io.snapcoherence.kube.NodeHealth) machine, proxy, (io.snapcoherence.juju.CharmDir) machine, clock);
    }
}
