package io.snapcoherence.charm;

import io.snapcoherence.juju.CharmDir;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookRun;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreProxy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Scenario-style tests: {@code run(event, state) -> state} through the production entry point, with Juju's
 * commit-on-success: when the charm exits non-zero, its relation and unit-store writes are discarded.
 */
public final class Scenario {
    public static final Clock FIXED_CLOCK = Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);

    private final Snaps snaps;
    private final StoreProxy proxy;
    private final Clock clock;
    private final CharmDir charmDir;

    public Scenario(Snaps snaps, StoreProxy proxy) {
        this(snaps, proxy, FIXED_CLOCK);
    }

    public Scenario(Snaps snaps, StoreProxy proxy, Clock clock) {
        this.snaps = snaps;
        this.proxy = proxy;
        this.clock = clock;
        this.charmDir = charmDir(snaps);
    }

    /**
     * The unit's charm directory, kept across the scenario's hooks as on a machine's disk: the simulated machine's
     * own; on another machine (a real snapd) a fresh directory on this disk.
     */
    private static CharmDir charmDir(Snaps snaps) {
        if (snaps instanceof CharmDir machine) {
            return machine;
        }
        try {
            Path directory = java.nio.file.Files.createTempDirectory("charm-dir");
            directory.toFile().deleteOnExit();
            return CharmDir.at(directory);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What the hooks left in the unit's charm directory. */
    public CharmDir charmDir() {
        return charmDir;
    }

    /**
     * The node's health endpoints: the simulated machine's own; on another machine (a real snapd) a scenario that
     * reaches them is a mistake of the test.
     */
    private static io.snapcoherence.kube.NodeHealth health(Snaps snaps) {
        if (snaps instanceof io.snapcoherence.kube.NodeHealth health) {
            return health;
        }
        return (endpoint, within) -> {
            throw new AssertionError("this scenario has no Kubernetes node to ask " + endpoint.path());
        };
    }

    public record Result(ModelState state, int exitCode) {
    }

    public Result run(Event event, ModelState state) {
        return run(event, state, Optional.empty());
    }

    public Result run(Event event, ModelState state, Optional<String> principalUnit) {
        JujuContext context = new JujuContext(state.unitName(), "test-model", Path.of("."), principalUnit, event);
        HookRun run = HookRun.run((c, tools) -> CharmRunner.run(c, tools, snaps, health(snaps), proxy, charmDir, clock), context,
                new StateHookTools(state));
        return new Result(run.finish(), run.reportedExitCode());
    }
}
