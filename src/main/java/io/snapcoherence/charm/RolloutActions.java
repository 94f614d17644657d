package io.snapcoherence.charm;

import io.snapcoherence.coherence.LeaderRequest;
import io.snapcoherence.coherence.PlannerDecision;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreProxy;

import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The actions {@code plan} (any unit, read-only), and {@code refresh}, {@code pause}, {@code resume} (leader:
 * they run the same reconcile as a hook, with the operator's request applied first).
 */
final class RolloutActions {
    private final JujuContext context;
    private final HookTools tools;
    private final UnitStore store;
    private final Snaps snaps;
    private final io.snapcoherence.kube.NodeHealth health;
    private final StoreProxy proxy;
    private final io.snapcoherence.juju.CharmDir charmDir;
    private final Clock clock;

    RolloutActions(JujuContext context, HookTools tools, UnitStore store, Snaps snaps,
                   io.snapcoherence.kube.NodeHealth health, StoreProxy proxy,
                   io.snapcoherence.juju.CharmDir charmDir, Clock clock) {
        this.health = health;
        this.charmDir = charmDir;
        this.store = store;
        this.clock = clock;
        this.context = context;
        this.tools = tools;
        this.snaps = snaps;
        this.proxy = proxy;
    }

    void run(String action) {
        CharmConfig config;
        try {
            config = CharmConfig.parse(tools.configGet());
        } catch (CharmConfig.InvalidConfigException e) {
            tools.actionFail("invalid config: " + e.getMessage());
            return;
        }
        Optional<Role> role = new KnownRelations(tools, store, context.event()).role();
        if (role.isEmpty()) {
            tools.actionFail("this unit has no control-plane or worker relation yet");
            return;
        }
        Rollout rollout = new Rollout(tools, store, snaps, health, config, role.get(), context.unitName(),
                context.principalUnit(), context.event(), clock);
        if (action.equals("plan")) {
            plan(rollout);
            return;
        }
        if (!tools.isLeader()) {
            tools.actionFail(action + " changes the rollout: run it on the leader unit (juju run "
                    + context.unitName().substring(0, context.unitName().indexOf('/')) + "/leader " + action + ")");
            return;
        }
        Optional<LeaderRequest> request = request(action, config);
        if (request.isEmpty()) {
            return;
        }
        ProxyRegistration.Outcome registration = new ProxyRegistration(store, snaps, proxy, charmDir)
                .reconcile(config, context.event());
        Rollout.Outcome outcome = rollout.reconcile(registration, request);
        tools.statusSet(registration.status().orElse(outcome.unitStatus()));
        if (outcome.leaderDecision().isEmpty()) {
            tools.actionFail("the rollout could not be read: " + outcome.unitStatus().message());
            return;
        }
        PlannerDecision decision = outcome.leaderDecision().get();
        Map<String, String> results = new LinkedHashMap<>();
        RolloutState state = decision.state();
        state.plan().ifPresent(p -> {
            results.put("plan.id", String.valueOf(p.id()));
            results.put("plan.complete", String.valueOf(p.complete()));
            putTargets(results, p.targets());
        });
        results.put("plan-created", String.valueOf(decision.planCreated()));
        // A refresh on a halted rollout replaces the halted plan with one from what the proxy serves now: once the
        // units asked have looked (replaces-plan), or at once when nobody need be asked (replaced-plan).
        decision.superseded().ifPresent(id -> results.put("replaced-plan", String.valueOf(id)));
        state.refresh().flatMap(r -> r.replaces()).ifPresent(id -> results.put("replaces-plan", String.valueOf(id)));
        // A refresh that could not start a plan now (units asked to look have not answered yet, one is active or
        // halted) waits in the app databag and starts the next plan, even with auto-refresh off.
        results.put("refresh-queued", String.valueOf(state.requested().isPresent()));
        results.put("paused", String.valueOf(state.paused()));
        results.put("halted", String.valueOf(state.halt().isPresent()));
        results.put("grants", String.join(" ", state.grants()));
        results.put("status", decision.appStatus().toString());
        tools.actionSet(results);
        decision.refused().ifPresent(why -> tools.actionFail(action + " not carried out: " + why));
    }

    private Optional<LeaderRequest> request(String action, CharmConfig config) {
        switch (action) {
            case "pause":
                return Optional.of(new LeaderRequest.Pause());
            case "resume":
                return Optional.of(new LeaderRequest.Resume());
            default:
                String param = String.valueOf(tools.actionGet().getOrDefault("snaps", "")).strip();
                Set<String> wanted = param.isEmpty() ? Set.of()
                        : Arrays.stream(param.split("\\s+")).collect(Collectors.toSet());
                List<String> unknown = wanted.stream().filter(s -> !config.snaps().contains(s)).sorted().toList();
                if (!unknown.isEmpty()) {
                    tools.actionFail("not managed by this charm: " + String.join(" ", unknown)
                            + " (managed: " + String.join(" ", config.snaps()) + ")");
                    return Optional.empty();
                }
                return Optional.of(new LeaderRequest.Refresh(wanted));
        }
    }

    private void plan(Rollout rollout) {
        Rollout.Preview preview;
        try {
            preview = rollout.preview();
        } catch (SnapException e) {
            tools.actionFail("cannot read the machine or the store: " + e.error().describe());
            return;
        } catch (IllegalStateException e) {
            tools.actionFail(e.getMessage());
            return;
        }
        Map<String, String> results = new LinkedHashMap<>();
        results.put("plan.id", String.valueOf(preview.planId()));
        results.put("plan.active", String.valueOf(preview.active()));
        putTargets(results, preview.targets());
        preview.order().forEach((role, units) -> results.put("order." + role.endpoint(), String.join(" ", units)));
        results.put("summary", preview.targets().isEmpty() ? "nothing to refresh"
                : (preview.active() ? "plan " + preview.planId() + " in progress: " : "would refresh: ")
                + preview.targets().stream().map(t -> t.snap() + " " + t.channel() + t.namedArch().map(a -> " " + a).orElse("") + " -> "
                        + t.revision())
                .collect(Collectors.joining(", ")));
        tools.actionSet(results);
    }

    private static void putTargets(Map<String, String> results, List<Target> targets) {
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            results.put("targets." + i + ".snap", t.snap());
            results.put("targets." + i + ".channel", t.channel());
            if (t.namedArch().isPresent()) {
                results.put("targets." + i + ".arch", t.arch());
            }
            results.put("targets." + i + ".revision", String.valueOf(t.revision()));
        }
    }
}
