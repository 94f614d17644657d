package io.snapcoherence.charm;

import io.snapcoherence.juju.CharmDir;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Status;
import io.snapcoherence.kube.NodeHealth;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreProxy;

import java.time.Clock;
import java.util.Optional;

/**
 * The charm: every hook runs the same reconcile (read the model, decide, apply), so the order in which
 * Juju delivers events cannot break it. Actions are answered from the same model.
 */
public final class Charm {
    /** The peer relation's endpoint, for those who build a model of this charm (the simulator, tests). */
    public static final String PEER_ENDPOINT = KnownRelations.PEER_ENDPOINT;

    private final JujuContext context;
    private final HookTools tools;
    private final Snaps snaps;
    private final NodeHealth health;
    private final StoreProxy proxy;
    private final CharmDir charmDir;
    private final Clock clock;

    /** {@code charmDir}: the unit's charm directory on the machine ({@link JujuContext#charmDir()} in production). */
    public Charm(JujuContext context, HookTools tools, Snaps snaps, NodeHealth health, StoreProxy proxy,
                 CharmDir charmDir, Clock clock) {
        this.context = context;
        this.charmDir = charmDir;
        this.tools = tools;
        this.snaps = snaps;
        this.health = health;
        this.proxy = proxy;
        this.clock = clock;
    }

    /** Runs the event; the unit store's changes are written once, when its work is done. */
    public void handle() {
        Event event = context.event();
        UnitStore store = new UnitStore(tools);
        if (event instanceof Event.Action action) {
            runAction(action, store);
        } else if (!(event instanceof Event.Unknown)) {
            reconcile(store);
        }
        store.commit();
    }

    private void reconcile(UnitStore store) {
        boolean teardown = ProxyRegistration.isTeardown(context.event());
        CharmConfig config;
        try {
            config = CharmConfig.parse(tools.configGet());
        } catch (CharmConfig.InvalidConfigException e) {
            if (!teardown) {
                tools.statusSet(Status.blocked("invalid config: " + e.getMessage()));
                return;
            }
            // Leaving the machine with unusable config: still undo what the charm set. With proxy-url empty,
            // registration releases only a proxy.store the charm itself set and the node still holds.
            config = CharmConfig.defaults();
        }
        // Registration comes first: no refresh may be planned before the node uses the proxy's store (I6).
        ProxyRegistration.Outcome registration = new ProxyRegistration(store, snaps, proxy, charmDir)
                .reconcile(config, context.event());
        if (teardown) {
            // Leaving the machine (the container relation may already be gone): release the holds we set.
            new Holds(tools, store, snaps, clock).apply(java.util.Set.of(), java.util.List.of());
            return;
        }
        Optional<Role> role = new KnownRelations(tools, store, context.event()).role();
        if (role.isEmpty()) {
            tools.statusSet(registration.status()
                    .orElse(Status.waiting("waiting for a control-plane or worker relation")));
            return;
        }
        Rollout rollout = new Rollout(tools, store, snaps, health, config, role.get(), context.unitName(),
                context.principalUnit(), context.event(), clock);
        // The rollout runs even when this node is not registered: it keeps holds, and a leader keeps granting
        // others; only this unit's own refresh waits. A registration problem is the status to show.
        Status rolloutStatus = rollout.reconcile(registration, Optional.empty()).unitStatus();
        tools.statusSet(registration.status().orElse(rolloutStatus));
    }

    private void runAction(Event.Action action, UnitStore store) {
        switch (action.name()) {
            case "plan", "refresh", "pause", "resume" -> new RolloutActions(context, tools, store, snaps, health, proxy,
                    charmDir, clock)
                    .run(action.name());
            case "history" -> new HistoryAction(context, tools, store).run();
            default -> tools.actionFail("unknown action " + action.name());
        }
    }
}
