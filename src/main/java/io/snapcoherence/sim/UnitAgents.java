package io.snapcoherence.sim;

import io.snapcoherence.charm.Charm;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookRun;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.snapcoherence.sim.SimulatedModel.APP;
import static io.snapcoherence.sim.SimulatedModel.PEER_ID;

/**
 * The unit agents running their hooks: on its turn an agent finishes a hook that takes time or asks its
 * {@link Uniter} for the next one (worker/uniter/uniter.go loop, resolver), builds the hook's context from the
 * controller's data and its relation cache (worker/uniter/runner/context ContextFactory, HookContext), runs the
 * charm (worker/uniter/runner/runner.go RunHook) and has {@link HookRun} decide whether the hook's changes commit
 * (HookContext.Flush), which the {@link Controller} then applies.
 */
final class UnitAgents {
    private final SimulatedModel model;
    private final Controller controller;
    private final Operator operator;
    private final HookRunner runner;

    UnitAgents(SimulatedModel model, Controller controller, Operator operator, HookRunner runner) {
        this.model = model;
        this.controller = controller;
        this.operator = operator;
        this.runner = runner;
    }

    boolean turn(SimUnit unit) {
        if (unit.machineDown) {
            return false;
        }
        if (unit.inFlight != null) {
            if (model.round < unit.inFlight.untilRound()) {
                return true;
            }
            Runnable completion = unit.inFlight.completion();
            unit.inFlight = null;
            completion.run();
            controller.handOver();
            return true;
        }
        Optional<HookEvent> next = unit.uniter.next(controller.remote(unit));
        if (next.isEmpty()) {
            if (unit.dying() && !unit.uniter.installed) {
                controller.becomeDead(unit); // removed before its install ran: the agent terminates (ErrUnitDead)
                return true;
            }
            return false;
        }
        long writesBefore = unit.ownWrites;
        int eventsBefore = model.stepEventsSeen;
        runHook(unit, next.get());
        return !next.get().timer() || unit.ownWrites != writesBefore || model.stepEventsSeen != eventsBefore || unit.busy();
    }

    void runHook(SimUnit unit, HookEvent hook) {
        unit.hookError = null; // the retry (or the next hook after resolving) runs: the agent is no longer in error
        unit.uniter.prepareContext(hook, model.hostile(Hostility.CACHED_REMOTE_DATA));
        ModelState view = view(unit, hook);
        long viewStep = model.steps;
        long viewRound = model.round;
        if (unit.slowNextHook > 0) {
            // It read the model now (its relation-gets answer from this moment); it acts and commits later.
            Map<String, Controller.Databag> readable = new HashMap<>(controller.unitData);
            int rounds = unit.slowNextHook;
            unit.slowNextHook = 0;
            model.note(unit.name() + " " + hook.describe() + " takes " + rounds + " rounds");
            unit.inFlight = new SimUnit.InFlight(model.round, model.round + rounds, hook, false,
                    () -> execute(unit, hook, view, readable, viewStep, viewRound));
            return;
        }
        execute(unit, hook, view, controller.unitData, viewStep, viewRound);
    }

    /** Runs the charm for the hook over the view it took, then commits (now, or later for a slow refresh). */
    void execute(SimUnit unit, HookEvent hook, ModelState view, Map<String, Controller.Databag> readable,
                 long viewStep, long viewRound) {
        Uniter uniter = unit.uniter;
        // relation-list as the hook is shown it; a departing unit's data stays readable
        StateHookTools tools = new StateHookTools(view.listedDuring(hook.event()), (relationId, remote) ->
                relationId.equals(PEER_ID) ? uniter.cache.settings(remote, name -> Optional.ofNullable(
                        readable.get(name)).map(Controller.Databag::data))
                : Optional.ofNullable(view.relation(relationId).orElseThrow().remoteUnitsData().get(remote)),
                controller::unitStatuses);
        JujuContext context = new JujuContext(unit.name(), "rehearsal", Path.of("."), Optional.of(unit.principal()),
                hook.event());
        model.stepEvents.clear();
        unit.machine.begin(unit.killAfterCalls);
        unit.killAfterCalls = -1;
        boolean[] killed = {false};
        HookRun run = HookRun.run((c, hookTools) -> {
            try {
                return runner.run(c, hookTools, unit.machine);
            } catch (ObservedMachine.HookKilled e) {
                killed[0] = true;
                return 137;
            } catch (RuntimeException e) {
                return 1;
            }
        }, context, tools);
        int exit = run.exitCode();
        if (killed[0]) {
            model.note(unit.name() + " " + hook.describe() + " killed");
        }
        model.hookRuns++;
        unit.hookRuns++;
        // what a leader's hook wrote to the app databag, kept or not: its refreshes ran under that plan
        Map<String, String> written = view.leader()
                ? tools.finish(true).peerRelation(PEER_ID).orElseThrow().appData() : Map.of();
        List<ObservedMachine.Attempt> attempts = unit.machine.attempts();
        List<RefreshEvent> events = List.copyOf(model.stepEvents);
        model.stepEventsSeen += events.size();
        ModelState statuses = tools.finish(false);
        unit.status = statuses.unitStatus();
        if (view.leader()) {
            controller.appStatus = statuses.appStatus();
        }
        PeerView peerView = attempts.isEmpty() ? PeerView.NONE : peerView(unit, hook, view, readable);
        Ended ended = new Ended(hook, view, run, killed[0], viewStep, viewRound, written, peerView);
        if (!attempts.isEmpty() && unit.refreshRounds > 0) {
            unit.inFlight = new SimUnit.InFlight(model.round, model.round + unit.refreshRounds, hook, true,
                    () -> finishHook(unit, ended, false, List.of(), List.of()));
            model.emit(Step.builder().number(++model.steps).round(model.round).unit(unit.name()).hook(hook.describe()).finished(false)
                    .killed(killed[0])
                    .exitCode(exit).committed(false).attempts(attempts).events(events).leader(controller.leader)
                    .appDataWritten(written).viewStep(viewStep).viewRound(viewRound).viewConfig(view.config())
                    .peerView(peerView).build());
            return;
        }
        finishHook(unit, ended, true, attempts, events);
    }

    /**
     * What the hook's agent shows it of the peer relation (see {@link PeerView}): its relation-list and the
     * departing unit read through its relation cache without filling it, its own data and the app databag as of the
     * hook's start.
     */
    PeerView peerView(SimUnit unit, HookEvent hook, ModelState view, Map<String, Controller.Databag> readable) {
        ModelState.PeerRelation peer = view.peerRelation(PEER_ID).orElseThrow();
        List<String> names = new ArrayList<>(unit.uniter.cache.memberNames());
        if (hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                && r.relationId().equals(PEER_ID)) {
            r.remoteUnit().filter(n -> !names.contains(n)).ifPresent(names::add);
        }
        Map<String, Map<String, String>> units = new LinkedHashMap<>();
        for (String name : names) {
            unit.uniter.cache.peek(name, n -> Optional.ofNullable(readable.get(n)).map(Controller.Databag::data))
                    .ifPresent(data -> units.put(name, data));
        }
        units.put(unit.name(), peer.localUnitData());
        return new PeerView(peer.appData(), units);
    }

    /** A hook that has run: what it saw and what it did, waiting for its commit. */
    private record Ended(HookEvent hook, ModelState view, HookRun run, boolean killed, long viewStep, long viewRound,
                         Map<String, String> written, PeerView peerView) {
    }

    /**
     * The hook ends: its changes commit or not as {@link HookRun} decides, with the unit's agent killed before its
     * commit or not, and holding the lease now or not.
     */
    void finishHook(SimUnit unit, Ended ended, boolean started, List<ObservedMachine.Attempt> attempts,
                    List<RefreshEvent> events) {
        HookEvent hook = ended.hook();
        HookRun run = ended.run().atCommit(unit.killBeforeCommit, controller.leader.equals(unit.name()));
        StateHookTools tools = run.tools();
        Optional<String> refusal = run.refusal();
        if (unit.killBeforeCommit) {
            unit.killBeforeCommit = false;
            unit.uniter.cache = new RelationCache(); // the agent restarts: its memory of peer data is gone
        }
        boolean committed = refusal.isEmpty();
        if (!committed && run.exitCode() == 0) {
            model.note(unit.name() + " " + hook.describe() + " not committed: " + refusal.get());
        }
        ModelState after = run.finish();
        boolean unitChanged = false;
        boolean appChanged = false;
        if (hook.action().isPresent()) {
            ModelState.ActionState action = after.action();
            Event.Action event = (Event.Action) hook.event();
            operator.actionResults.put(event.id(), new SimulatedModel.ActionResult(unit.name(), event.name(), run.reportedExitCode(),
                    action.results(), run.actionFailure(after), action.logs()));
            unit.actions.remove(hook);
        }
        if (committed) {
            ModelState.PeerRelation peer = after.peerRelation(PEER_ID).orElseThrow();
            if (!unit.gone() && !peer.localUnitData().equals(controller.unitData.get(unit.name()).data())) {
                controller.commitUnitData(unit, peer.localUnitData());
                unit.ownWrites++;
                unitChanged = true;
            }
            if (tools.wroteAppData() && !peer.localAppData().equals(controller.appData)) {
                // the parts a reader of the trace needs to follow a rollout: who is granted, what stops it, the window
                model.note(unit.name() + " app data: grants " + peer.localAppData().getOrDefault("grants", "[]")
                        + peer.localAppData().entrySet().stream().filter(e -> e.getKey().equals("halt")
                        || e.getKey().equals("paused") || e.getKey().equals("window"))
                        .map(e -> " " + e.getKey() + " " + e.getValue()).reduce("", String::concat));
                controller.commitAppData(peer.localAppData());
                unit.ownWrites++;
                appChanged = true;
            }
            unit.store = after.unitStore();
            if (hook.action().isEmpty()) {
                unit.uniter.committed(hook);
                afterCommit(unit, hook);
            }
        } else if (hook.action().isEmpty()) {
            unit.uniter.failed(hook);
            unit.failedHooks++;
            if (!refusal.get().equals("killed before its commit")) {
                // An agent killed and restarted re-runs its hook; a hook that failed puts the unit in hook error.
                unit.hookError = hook.describe();
            }
        }
        model.emit(Step.builder().number(++model.steps).round(model.round).unit(unit.name()).hook(hook.describe()).started(started)
                .killed(ended.killed()).exitCode(run.exitCode()).committed(committed).attempts(attempts).events(events)
                .unitDataChanged(unitChanged).appDataChanged(appChanged).leader(controller.leader).appDataWritten(ended.written())
                .viewStep(ended.viewStep()).viewRound(ended.viewRound()).viewConfig(ended.view().config())
                .peerView(started ? ended.peerView() : PeerView.NONE).build());
    }

    void afterCommit(SimUnit unit, HookEvent hook) {
        if (hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                && r.relationId().equals(PEER_ID)) {
            controller.forgetIfUnseen(r.remoteUnit().orElseThrow());
        }
        if (hook.event() instanceof Event.Lifecycle l && l.kind() == Event.LifecycleKind.REMOVE) {
            controller.becomeDead(unit);
        }
    }

    /**
     * What this unit sees during one hook: relation-list from its relation cache's members, remote unit data read
     * through that cache (see {@link #execute}), the application databag, config, leadership and its own data as
     * committed now.
     */
    ModelState view(SimUnit unit, HookEvent hook) {
        Map<String, Map<String, String>> members = new LinkedHashMap<>();
        for (String peer : unit.uniter.cache.memberNames()) {
            members.put(peer, Map.of()); // relation-list only: relation-get reads through the relation cache
        }
        Map<String, String> own = controller.unitData.get(unit.name()).data();
        ModelState.PeerRelation peer = new ModelState.PeerRelation(Charm.PEER_ENDPOINT, PEER_ID, APP, own, controller.appData,
                members);
        List<ModelState.RelationState> relations = new ArrayList<>();
        relations.add(peer);
        Uniter.RelationState container = unit.uniter.relation(controller.containerId(unit.role()));
        if (!container.broken) { // still listed during its own -broken hook, as Juju may
            String principalApp = unit.principal().substring(0, unit.principal().indexOf('/'));
            Map<String, Map<String, String>> principal = container.members.containsKey(unit.principal())
                    || hook.event() instanceof Event.Relation r && r.relationId().equals(container.id)
                    && r.remoteUnit().isPresent() && r.kind() != Event.RelationKind.DEPARTED
                    ? Map.of(unit.principal(), Map.of()) : Map.of();
            relations.add(new ModelState.ContainerRelation(unit.role().endpoint(), container.id, principalApp,
                    Map.of(), Map.of(), principal, Map.of()));
        }
        ModelState.ActionState action = hook.action().orElse(ModelState.ActionState.none());
        return ModelState.builder(unit.name()).leader(controller.leader.equals(unit.name())).config(controller.config).relations(relations)
                .unitStore(unit.store).unitStatus(unit.status).appStatus(controller.appStatus).action(action)
                .goalState(controller.goalState()).build();
    }
}
