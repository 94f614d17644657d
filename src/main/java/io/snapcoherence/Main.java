package io.snapcoherence;

import io.snapcoherence.charm.CharmRunner;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.ProcessHookTools;
import io.snapcoherence.snap.HttpStoreProxy;
import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.StoreProxy;

import java.time.Clock;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code hook}: what {@code dispatch} runs for every Juju hook and action.
 * {@code rehearse}: simulates a rollout across a model (see README).
 */
public final class Main {

    private Main() {
    }

    /**
     * The HTTP client (TLS context, trust store, selector thread) costs hundreds of milliseconds to build;
     * most hooks never talk to the proxy, so it is built only when one does.
     */
    private static StoreProxy onFirstUse() {
        return proxyUrl -> new HttpStoreProxy().fetchAssertions(proxyUrl);
    }

    /** The node's health endpoints, their client loaded only by a hook that asks them (few do). */
    private static io.snapcoherence.kube.NodeHealth nodeHealthOnFirstUse() {
        return (endpoint, within) -> io.snapcoherence.kube.HttpNodeHealth.onNode().check(endpoint, within);
    }

    /**
     * The packed charm leaves the simulator out (no hook loads it, and every class a JAR holds costs each hook's
     * start-up); {@code rehearse} runs from the project's JAR.
     */
    private static int rehearse(String[] args) {
        try {
            return io.snapcoherence.sim.Rehearse.main(args);
        } catch (NoClassDefFoundError e) {
            if (!"io/snapcoherence/sim/Rehearse".equals(e.getMessage())) {
                throw e; // the simulator is there but broken: a bug to see, not a packaging choice
            }
            System.err.println("rehearse is not part of the packed charm: run java -jar target/snap-coherence.jar "
                    + "rehearse from a build of the project");
            return 2;
        }
    }

    public static void main(String[] args) {
        String command = args.length == 0 ? "rehearse" : args[0];
        String[] rest = args.length == 0 ? new String[0] : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "hook" -> {
                Map<String, String> environment = System.getenv(); // read here only, once
                JujuContext context = JujuContext.fromEnvironment(environment);
                System.exit(CharmRunner.run(context, new ProcessHookTools(),
                        new SnapdClient(SnapdClient.socketPath(environment)),
                        nodeHealthOnFirstUse(), onFirstUse(), io.snapcoherence.juju.CharmDir.at(context.charmDir()),
                        Clock.systemUTC()));
            }
            case "rehearse" -> System.exit(rehearse(rest));
            default -> {
                System.err.println("usage: snap-coherence hook | rehearse [options]");
                System.exit(2);
            }
        }
    }
}
