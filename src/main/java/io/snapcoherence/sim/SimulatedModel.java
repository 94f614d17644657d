package io.snapcoherence.sim;

import io.snapcoherence.charm.Charm;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.juju.Status;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.BiConsumer;

/**
 * A Juju model in memory: the snap-coherence application, subordinate to a control-plane and a worker
 * principal application, with its peer relation {@value #PEER_ID}, a leader, and per unit a hook queue and a
 * {@link SimulatedMachine}; every machine shares one {@link SimulatedStore}. Each hook runs the charm through a
 * {@link HookRunner} over {@link StateHookTools} built from the unit's current view of the model, with Juju's
 * semantics (juju-hook-contract.md):
 * <ul>
 *   <li>commit on success: relation data and the unit store change only when the hook exits 0; status at once;</li>
 *   <li>a committed change of a unit databag queues {@code coherence-relation-changed} on every other unit that
 *       has seen the writer join (JUJU_REMOTE_UNIT = writer); of the app databag, on every other unit with the
 *       remote unit empty; a pending identical event is coalesced, as the uniter runs one -changed per remote
 *       unit for the latest data;</li>
 *   <li>start-up: install, relation-created, leader-elected or leader-settings-changed, config-changed, start,
 *       then -joined followed by -changed for the principal and for each peer;</li>
 *   <li>removal: the departing unit runs -departed per peer, -broken, stop, remove; every other unit runs
 *       -departed with the departing unit's data still visible (in relation-list and relation-get), gone after;</li>
 *   <li>a failed hook stays at the head of its unit's queue and is retried on the unit's next turn;</li>
 *   <li>leader-elected on a new leader; update-status every {@code updateStatusEvery} rounds per unit.</li>
 * </ul>
 * Scheduling: a <em>round</em> walks every live unit once, in an order drawn from the seeded {@link Random};
 * on its turn a unit runs its next hook (or finishes a slow one). Nothing reads the wall clock: the
 * {@link SimClock} moves {@link #ROUND_TIME} per round. The same seed and the same calls give the same run.
 */
public final class SimulatedModel {
    public static final String APP = "snap-coherence";
    public static final String PEER_ID = Charm.PEER_ENDPOINT + ":0";
    public static final String CONTROL_PLANE_APP = "kubernetes-control-plane";
    public static final String WORKER_APP = "kubernetes-worker";
    public static final Duration ROUND_TIME = Duration.ofSeconds(10);

    /** How the model is set up. {@code snapdTimerEvery} 0 disables snapd's own refresh timer. */
    public record Settings(long seed, Map<String, Object> config, int updateStatusEvery, int snapdTimerEvery,
                           int traceLines) {
        public Settings {
            config = Map.copyOf(config);
        }

        public static Settings of(long seed) {
            return new Settings(seed, Map.of(), 10, 0, 400);
        }

        public Settings withConfig(Map<String, Object> config) {
            return new Settings(seed, config, updateStatusEvery, snapdTimerEvery, traceLines);
        }

        public Settings withTimers(int updateStatusEvery, int snapdTimerEvery) {
            return new Settings(seed, config, updateStatusEvery, snapdTimerEvery, traceLines);
        }
    }

    /** What an action returned. */
    public record ActionResult(String unit, String action, int exitCode, Map<String, String> results,
                               Optional<String> failure, List<String> logs) {
        public boolean succeeded() {
            return exitCode == 0 && failure.isEmpty();
        }
    }

    /** Something that may disturb the model before any unit's turn (leader changes, removals, faults). */
    @FunctionalInterface
    public interface Chaos {
        void beforeTurn(SimulatedModel model, Random random);
    }

    private final Settings settings;
    private final Random random;
    private final SimClock clock;
    private final SimulatedStore store;
    private final HookRunner runner;
    private final BiConsumer<Role, SimulatedMachine> machineSetup;
    private final Map<String, SimUnit> units = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> unitData = new HashMap<>();
    private final List<StepObserver> observers = new ArrayList<>();
    private final Deque<String> trace = new ArrayDeque<>();
    private final Map<String, ActionResult> actionResults = new HashMap<>();
    private final List<RefreshEvent> stepEvents = new ArrayList<>();
    private Chaos chaos = (model, random) -> { };
    private Map<String, Object> config;
    private Map<String, String> appData = Map.of();
    private Status appStatus = Status.unknown();
    private String leader = "";
    /** Whether the current leader has committed a hook since it was elected: only then has it published anything. */
    private boolean leaderActed;
    private int nextUnit;
    private final Map<Role, Integer> nextPrincipal = new HashMap<>();
    private int nextAction;
    private long round;
    private long steps;
    private long hookRuns;
    private long coalesced;
    private long lastActivityRound;
    private int stepEventsSeen;
    private boolean muteJoins;
    private boolean muteFanOut;

    public SimulatedModel(Settings settings, SimClock clock, SimulatedStore store, HookRunner runner,
                          BiConsumer<Role, SimulatedMachine> machineSetup) {
        this.settings = settings;
        this.random = new Random(settings.seed());
        this.clock = clock;
        this.store = store;
        this.runner = runner;
        this.machineSetup = machineSetup;
        this.config = settings.config();
    }

    // ---- building and changing the model ------------------------------------------------------------

    public SimulatedModel observe(StepObserver observer) {
        observers.add(observer);
        return this;
    }

    public SimulatedModel chaos(Chaos chaos) {
        this.chaos = chaos;
        return this;
    }

    /** Adds a principal unit of the role's application and its snap-coherence unit; returns the latter. */
    public SimUnit addUnit(Role role) {
        int principalNumber = nextPrincipal.merge(role, 1, Integer::sum) - 1;
        return addUnit(role, nextUnit, (role == Role.CONTROL_PLANE ? CONTROL_PLANE_APP : WORKER_APP) + "/"
                + principalNumber);
    }

    /**
     * Adds the snap-coherence unit with this number on the named principal unit (a model read from juju status keeps
     * its unit numbers: the rollout's order follows them); returns it.
     */
    public SimUnit addUnit(Role role, int number, String principal) {
        String name = APP + "/" + number;
        if (units.containsKey(name)) {
            throw new IllegalArgumentException(name + " is already in the model");
        }
        nextUnit = Math.max(nextUnit, number + 1);
        SimulatedMachine machine = new SimulatedMachine(principal, store).useClock(clock::instant);
        machineSetup.accept(role, machine);
        machine.onRefresh(stepEvents::add);
        SimUnit unit = new SimUnit(name, role, principal, machine);
        unit.updateStatusOffset = random.nextInt(Math.max(1, settings.updateStatusEvery()));
        units.put(name, unit);
        unitData.put(name, Map.of());
        boolean first = leader.isEmpty();
        if (first) {
            leader = name;
        }
        enqueue(unit, lifecycle(Event.LifecycleKind.INSTALL));
        enqueue(unit, relation(Event.RelationKind.CREATED, PEER_ID, Optional.empty(), Optional.empty()));
        enqueue(unit, relation(Event.RelationKind.CREATED, containerId(role), Optional.empty(), Optional.empty()));
        enqueue(unit, lifecycle(first ? Event.LifecycleKind.LEADER_ELECTED
                : Event.LifecycleKind.LEADER_SETTINGS_CHANGED));
        enqueue(unit, lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
        enqueue(unit, lifecycle(Event.LifecycleKind.START));
        enqueue(unit, relation(Event.RelationKind.JOINED, containerId(role), Optional.of(principal), Optional.empty()));
        enqueue(unit, relation(Event.RelationKind.CHANGED, containerId(role), Optional.of(principal), Optional.empty()));
        for (SimUnit peer : units.values()) {
            if (peer == unit || !peer.alive() || muteJoins) {
                continue;
            }
            enqueue(unit, relation(Event.RelationKind.JOINED, PEER_ID, Optional.of(peer.name()), Optional.empty()));
            enqueue(unit, relation(Event.RelationKind.CHANGED, PEER_ID, Optional.of(peer.name()), Optional.empty()));
            enqueue(peer, relation(Event.RelationKind.JOINED, PEER_ID, Optional.of(name), Optional.empty()));
            enqueue(peer, relation(Event.RelationKind.CHANGED, PEER_ID, Optional.of(name), Optional.empty()));
        }
        note("add " + unit);
        return unit;
    }

    /**
     * Adds units as in a model that has been up for a while: every peer has joined every other (no -joined and
     * -changed storm queued) and, while {@link #settleQuietly(long)} runs their start-up hooks, their first
     * reports fan out to nobody; each unit reads all peer data on its next hook anyway. For benchmarks at a
     * scale where the join storm (about 2 N^2 hooks) would dominate what is measured.
     */
    public void addSettledUnits(int controlPlane, int workers) {
        for (int i = 0; i < controlPlane + workers; i++) {
            Role role = i < controlPlane ? Role.CONTROL_PLANE : Role.WORKER;
            muteJoins = true;
            addUnit(role);
            muteJoins = false;
        }
        List<String> names = liveUnits().stream().map(SimUnit::name).toList();
        for (SimUnit unit : liveUnits()) {
            for (String name : names) {
                if (!name.equals(unit.name())) {
                    unit.peersSeen.add(name);
                    unit.peersJoined.add(name);
                }
            }
        }
    }

    /** Runs start-up hooks without peer fan-out (see {@link #addSettledUnits}), then drops pending peer events. */
    public boolean settleQuietly(long maxRounds) {
        muteFanOut = true;
        boolean quiet = runUntilQuiet(maxRounds);
        muteFanOut = false;
        for (SimUnit unit : units.values()) {
            dropPending(unit, hook -> hook.event() instanceof Event.Relation r && r.relationId().equals(PEER_ID)
                    && r.kind() == Event.RelationKind.CHANGED);
        }
        return quiet;
    }

    /**
     * Removes a unit (its principal was removed): the unit runs -departed for every peer it saw, the container
     * relation's -departed and -broken, the peer -broken, stop and remove; every other unit that saw it runs
     * -departed. A leader that leaves hands leadership to a random live unit first.
     */
    public void removeUnit(String name) {
        SimUnit unit = unit(name);
        if (!unit.alive()) {
            return;
        }
        unit.dying = true;
        note("remove " + unit);
        dropPending(unit, event -> true);
        for (String peer : unit.peersSeen) {
            enqueue(unit, relation(Event.RelationKind.DEPARTED, PEER_ID, Optional.of(peer), Optional.of(name)));
        }
        String container = containerId(unit.role());
        enqueue(unit, relation(Event.RelationKind.DEPARTED, container, Optional.of(unit.principal()), Optional.of(unit.principal())));
        enqueue(unit, relation(Event.RelationKind.BROKEN, container, Optional.empty(), Optional.empty()));
        enqueue(unit, relation(Event.RelationKind.BROKEN, PEER_ID, Optional.empty(), Optional.empty()));
        enqueue(unit, lifecycle(Event.LifecycleKind.STOP));
        enqueue(unit, lifecycle(Event.LifecycleKind.REMOVE));
        for (SimUnit other : units.values()) {
            if (other == unit || other.gone()) {
                continue;
            }
            dropPending(other, event -> event.event() instanceof Event.Relation r && r.relationId().equals(PEER_ID)
                    && r.remoteUnit().equals(Optional.of(name))
                    && (r.kind() == Event.RelationKind.JOINED || r.kind() == Event.RelationKind.CHANGED));
            if (other.peersSeen.contains(name)) {
                enqueue(other, relation(Event.RelationKind.DEPARTED, PEER_ID, Optional.of(name), Optional.of(name)));
            }
        }
        if (leader.equals(name)) {
            electLeader(randomLiveUnit(unit));
        }
    }

    /** Makes {@code name} the leader; it runs leader-elected. A unit inside a slow hook keeps its lease. */
    public boolean electLeader(Optional<String> name) {
        if (name.isEmpty() || name.get().equals(leader)) {
            return false;
        }
        SimUnit current = units.get(leader);
        if (current != null && current.busy() && current.alive()) {
            return false; // is-leader promised at least 30 s: Juju does not move the lease mid-hook
        }
        leader = name.get();
        leaderActed = false;
        note("leader -> " + leader);
        enqueue(unit(leader), lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        return true;
    }

    /** Changes config (merged into the current values, null removes) and queues config-changed everywhere. */
    public void setConfig(Map<String, Object> changes) {
        Map<String, Object> merged = new LinkedHashMap<>(config);
        changes.forEach((key, value) -> {
            if (value == null) {
                merged.remove(key);
            } else {
                merged.put(key, value);
            }
        });
        config = Map.copyOf(merged);
        note("config " + changes);
        for (SimUnit unit : liveUnits()) {
            enqueue(unit, lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
        }
    }

    /** Queues an action at the front of the unit's queue (Juju runs actions before pending hooks); returns its id. */
    public String queueAction(String unitName, String action, Map<String, Object> params) {
        SimUnit unit = unit(unitName);
        String id = String.valueOf(++nextAction);
        // Behind a slow hook in flight: it stays the head until its commit pops it.
        HookEvent inFlight = unit.busy() ? unit.queue.pollFirst() : null;
        unit.queue.addFirst(HookEvent.action(action, id, params));
        if (inFlight != null) {
            unit.queue.addFirst(inFlight);
        }
        note("queue action " + action + " on " + unitName);
        return id;
    }

    /** Runs an action to completion (the model keeps running meanwhile) and returns what it reported. */
    public ActionResult runAction(String unitName, String action, Map<String, Object> params) {
        String id = queueAction(unitName, action, params);
        for (int i = 0; i < 10_000 && !actionResults.containsKey(id); i++) {
            runRound();
        }
        ActionResult result = actionResults.get(id);
        if (result == null) {
            throw new IllegalStateException("action " + action + " on " + unitName + " never ran");
        }
        return result;
    }

    /** Writes a unit databag as another charm version would (bypassing the charm), with the usual fan-out. */
    public void overwriteUnitData(String unitName, Map<String, String> data) {
        note("overwrite data of " + unitName + " with " + data);
        commitUnitData(unit(unitName), Map.copyOf(data));
    }

    /** Next hook on the unit dies after {@code snapCalls} snap calls (0: before its first); its writes are lost. */
    public void killNextHook(String unitName, int snapCalls) {
        unit(unitName).killAfterCalls = snapCalls;
    }

    /** Hooks on the unit that refresh snaps take this many rounds (0: within the unit's turn). */
    public void setRefreshRounds(String unitName, int rounds) {
        unit(unitName).refreshRounds = rounds;
    }

    /** The unit's refreshes outlive the CLI call by {@code rounds} rounds (see SimulatedMachine). */
    public void setChangeRounds(String unitName, int rounds) {
        unit(unitName).machine().changesTakeRounds(rounds);
    }

    // ---- running ------------------------------------------------------------------------------------

    /** One round; returns whether any unit did something other than update-status. */
    public boolean runRound() {
        round++;
        clock.advance(ROUND_TIME);
        boolean activity = false;
        List<SimUnit> order = new ArrayList<>(units.values());
        Collections.shuffle(order, random);
        for (SimUnit unit : order) {
            if (!unit.gone() && settings.updateStatusEvery() > 0 && !unit.dying
                    && (round + unit.updateStatusOffset) % settings.updateStatusEvery() == 0) {
                enqueue(unit, HookEvent.updateStatus());
            }
        }
        if (settings.snapdTimerEvery() > 0 && round % settings.snapdTimerEvery() == 0) {
            activity |= runSnapdTimer();
        }
        activity |= runSnapdChanges();
        for (SimUnit unit : order) {
            if (unit.gone()) {
                continue;
            }
            chaos.beforeTurn(this, random);
            if (!unit.gone()) {
                activity |= turn(unit);
            }
        }
        if (activity) {
            lastActivityRound = round;
        }
        return activity;
    }

    /** Something outside the hooks changed (a fault, an outage): the model is not quiet this round. */
    public void touch() {
        lastActivityRound = round;
    }

    /** snapd's own refresh timer fires on every live unit's machine; returns whether anything changed. */
    public boolean runSnapdTimer() {
        boolean changed = false;
        for (SimUnit unit : liveUnits()) {
            stepEvents.clear();
            unit.machine().autoRefreshTick();
            if (!stepEvents.isEmpty()) {
                changed = true;
                stepEventsSeen += stepEvents.size();
                emit(new Step(++steps, round, unit.name(), Step.SNAPD_TIMER, true, true, 0, true,
                        List.of(), stepEvents, false, false, leader, Map.of()));
            }
        }
        return changed;
    }

    /**
     * snapd goes on with the changes the CLI stopped waiting for ({@link SimulatedMachine#changesTakeRounds});
     * a change still running, or one finishing, is activity: the model is not quiet while snapd works.
     */
    private boolean runSnapdChanges() {
        boolean working = false;
        for (SimUnit unit : liveUnits()) {
            if (!unit.machine().changesRunning()) {
                continue;
            }
            working = true;
            stepEvents.clear();
            unit.machine().advanceChanges();
            if (!stepEvents.isEmpty()) {
                stepEventsSeen += stepEvents.size();
                emit(new Step(++steps, round, unit.name(), Step.SNAPD_CHANGE_DONE, true, true, 0, true,
                        List.of(), List.copyOf(stepEvents), false, false, leader, Map.of()));
            }
        }
        return working;
    }

    /**
     * Runs until nothing but update-status has happened for {@code quietRounds} rounds (at least one
     * update-status period, so a leader that re-checks the store on update-status had its chance), or until
     * {@code maxRounds}. Returns whether the model became quiet.
     */
    public boolean runUntilQuiet(long maxRounds) {
        long quietRounds = Math.max(3, settings.updateStatusEvery() + 1L);
        long start = round;
        lastActivityRound = round;
        while (round - start < maxRounds) {
            runRound();
            if (round - lastActivityRound >= quietRounds && units.values().stream().noneMatch(SimUnit::busy)) {
                return true;
            }
        }
        return false;
    }

    private boolean turn(SimUnit unit) {
        if (unit.pendingCommit != null) {
            if (round < unit.busyUntilRound) {
                return true;
            }
            Runnable commit = unit.pendingCommit;
            unit.pendingCommit = null;
            commit.run();
            return true;
        }
        HookEvent next = unit.queue.peekFirst();
        if (next == null) {
            return false;
        }
        long writesBefore = unit.ownWrites;
        int eventsBefore = stepEventsSeen;
        runHook(unit, next);
        return !next.timer() || unit.ownWrites != writesBefore || stepEventsSeen != eventsBefore || unit.busy();
    }

    private void runHook(SimUnit unit, HookEvent hook) {
        if (hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.JOINED
                && r.relationId().equals(PEER_ID)) {
            unit.peersSeen.add(r.remoteUnit().orElseThrow());
        }
        ModelState view = view(unit, hook);
        StateHookTools tools = new StateHookTools(view);
        JujuContext context = new JujuContext(unit.name(), "rehearsal", Path.of("."), Optional.of(unit.principal()),
                hook.event());
        stepEvents.clear();
        unit.machine.begin(unit.killAfterCalls);
        boolean killed = unit.killAfterCalls >= 0;
        unit.killAfterCalls = -1;
        int exit;
        try {
            exit = runner.run(context, tools, unit.machine);
            killed = false;
        } catch (ObservedMachine.HookKilled e) {
            exit = 137;
        } catch (RuntimeException e) {
            exit = 1;
            killed = false;
        }
        if (killed && exit != 137) {
            killed = false; // the hook made fewer snap calls than the kill point: it completed normally
        }
        if (killed) {
            note(unit.name() + " " + hook.describe() + " killed");
        }
        hookRuns++;
        unit.hookRuns++;
        boolean committed = exit == 0;
        ModelState after = tools.finish(committed);
        // what a leader's hook wrote to the app databag, kept or not: its refreshes ran under that plan
        Map<String, String> written = view.leader()
                ? tools.finish(true).relation(PEER_ID).orElseThrow().localAppData() : Map.of();
        List<ObservedMachine.Attempt> attempts = unit.machine.attempts();
        List<RefreshEvent> events = List.copyOf(stepEvents);
        stepEventsSeen += events.size();
        int exitCode = exit;
        unit.status = after.unitStatus();
        if (view.leader()) {
            appStatus = after.appStatus();
        }
        if (!attempts.isEmpty() && unit.refreshRounds > 0) {
            unit.pendingCommit = () -> finishHook(unit, hook, view, after, committed, exitCode, false, List.of(),
                    List.of(), Map.of());
            unit.busyUntilRound = round + unit.refreshRounds;
            emit(new Step(++steps, round, unit.name(), hook.describe(), true, false, exitCode, committed, attempts,
                    events, false, false, leader, written));
            return;
        }
        finishHook(unit, hook, view, after, committed, exitCode, true, attempts, events, written);
    }

    private void finishHook(SimUnit unit, HookEvent hook, ModelState view, ModelState after, boolean committed,
                            int exitCode, boolean started, List<ObservedMachine.Attempt> attempts,
                            List<RefreshEvent> events, Map<String, String> written) {
        boolean unitChanged = false;
        boolean appChanged = false;
        if (hook.action().isPresent()) {
            ModelState.ActionState action = after.action();
            Event.Action event = (Event.Action) hook.event();
            actionResults.put(event.id(), new ActionResult(unit.name(), event.name(), exitCode, action.results(),
                    action.failure(), action.logs()));
            pop(unit);
        }
        if (committed) {
            if (view.leader() && unit.name().equals(leader)) {
                leaderActed = true;
            }
            ModelState.RelationState peer = after.relation(PEER_ID).orElseThrow();
            if (!unit.gone() && !peer.localUnitData().equals(unitData.get(unit.name()))) {
                commitUnitData(unit, peer.localUnitData());
                unit.ownWrites++;
                unitChanged = true;
            }
            if (view.leader() && !peer.localAppData().equals(appData)) {
                appData = peer.localAppData();
                unit.ownWrites++;
                appChanged = true;
                for (SimUnit other : units.values()) {
                    if (other != unit && !other.dying && !other.gone() && !muteFanOut) {
                        enqueue(other, relation(Event.RelationKind.CHANGED, PEER_ID, Optional.empty(), Optional.of(APP)));
                    }
                }
            }
            unit.store = after.unitStore();
            if (hook.action().isEmpty()) {
                pop(unit);
                afterSuccess(unit, hook);
            }
        } else if (hook.action().isEmpty()) {
            unit.failedHooks++;
        }
        emit(new Step(++steps, round, unit.name(), hook.describe(), started, true, exitCode, committed, attempts,
                events, unitChanged, appChanged, leader, written));
    }

    private void afterSuccess(SimUnit unit, HookEvent hook) {
        if (hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.JOINED
                && r.relationId().equals(PEER_ID)) {
            unit.peersJoined.add(r.remoteUnit().orElseThrow());
        }
        if (hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                && r.relationId().equals(PEER_ID)) {
            String departed = r.remoteUnit().orElseThrow();
            unit.peersSeen.remove(departed);
            unit.peersJoined.remove(departed);
            forgetIfUnseen(departed);
        }
        if (hook.event() instanceof Event.Lifecycle l && l.kind() == Event.LifecycleKind.REMOVE) {
            unit.gone = true;
            unit.queue.clear();
            unit.pendingKeys.clear();
            for (String peer : unit.peersSeen) {
                forgetIfUnseen(peer);
            }
            forgetIfUnseen(unit.name());
            note(unit.name() + " removed");
        }
    }

    /** A gone unit's databag disappears once no unit sees it any more. */
    private void forgetIfUnseen(String name) {
        SimUnit unit = units.get(name);
        if (unit == null || !unit.gone()) {
            return;
        }
        boolean seen = units.values().stream().anyMatch(u -> !u.gone() && u.peersSeen.contains(name));
        if (!seen) {
            unitData.remove(name);
        }
    }

    private void commitUnitData(SimUnit unit, Map<String, String> data) {
        unitData.put(unit.name(), data);
        if (muteFanOut) {
            return;
        }
        for (SimUnit other : units.values()) {
            if (other != unit && !other.gone() && other.peersSeen.contains(unit.name())) {
                enqueue(other, relation(Event.RelationKind.CHANGED, PEER_ID, Optional.of(unit.name()), Optional.empty()));
            }
        }
    }

    /** What this unit sees during one hook: built fresh for each hook from the committed model. */
    private ModelState view(SimUnit unit, HookEvent hook) {
        Map<String, Map<String, String>> remotes = new LinkedHashMap<>();
        for (String peer : unit.peersSeen) {
            remotes.put(peer, unitData.getOrDefault(peer, Map.of()));
        }
        ModelState.RelationState peer = new ModelState.RelationState(Charm.PEER_ENDPOINT, PEER_ID, APP,
                unitData.getOrDefault(unit.name(), Map.of()), appData, remotes, appData);
        List<ModelState.RelationState> relations = new ArrayList<>();
        relations.add(peer);
        boolean containerBroken = unit.dying && hook.event() instanceof Event.Relation r
                && r.kind() == Event.RelationKind.BROKEN && r.relationId().equals(PEER_ID);
        if (!containerBroken && !(unit.dying && hook.event() instanceof Event.Lifecycle)) {
            String principalApp = unit.principal().substring(0, unit.principal().indexOf('/'));
            relations.add(new ModelState.RelationState(unit.role().endpoint(), containerId(unit.role()), principalApp,
                    Map.of(), Map.of(), Map.of(unit.principal(), Map.of()), Map.of()));
        }
        ModelState.ActionState action = hook.action().orElse(ModelState.ActionState.none());
        return new ModelState(unit.name(), leader.equals(unit.name()), config, relations, unit.store, unit.status,
                appStatus, "", action, List.of());
    }

    // ---- queues -------------------------------------------------------------------------------------

    private void enqueue(SimUnit unit, HookEvent hook) {
        Optional<String> key = hook.coalesceKey();
        if (key.isPresent() && !unit.pendingKeys.add(key.get())) {
            coalesced++;
            return;
        }
        unit.queue.addLast(hook);
    }

    private void pop(SimUnit unit) {
        HookEvent head = unit.queue.pollFirst();
        if (head != null) {
            head.coalesceKey().ifPresent(unit.pendingKeys::remove);
        }
    }

    private void dropPending(SimUnit unit, java.util.function.Predicate<HookEvent> drop) {
        Iterator<HookEvent> it = unit.queue.iterator();
        // A slow hook in flight is the head of its queue until it commits: it is running, not pending, and the
        // commit pops it (dropping it would make the commit pop the next hook, unrun).
        boolean inFlight = unit.busy();
        while (it.hasNext()) {
            HookEvent hook = it.next();
            if (inFlight) {
                inFlight = false;
                continue;
            }
            if (drop.test(hook) && hook.action().isEmpty()) {
                it.remove();
                hook.coalesceKey().ifPresent(unit.pendingKeys::remove);
            }
        }
    }

    private void emit(Step step) {
        trace.addLast(step.describe());
        while (trace.size() > settings.traceLines()) {
            trace.removeFirst();
        }
        for (StepObserver observer : observers) {
            observer.afterStep(this, step);
        }
    }

    private void note(String line) {
        trace.addLast("r" + round + " " + line);
        while (trace.size() > settings.traceLines()) {
            trace.removeFirst();
        }
    }

    private static HookEvent lifecycle(Event.LifecycleKind kind) {
        return HookEvent.hook(new Event.Lifecycle(kind));
    }

    private static HookEvent relation(Event.RelationKind kind, String relationId, Optional<String> remoteUnit,
                                      Optional<String> departing) {
        String endpoint = relationId.substring(0, relationId.indexOf(':'));
        Optional<String> remoteApp = relationId.equals(PEER_ID) ? Optional.of(APP)
                : remoteUnit.map(u -> u.substring(0, u.indexOf('/')));
        return HookEvent.hook(new Event.Relation(endpoint, kind, relationId, remoteUnit, remoteApp, departing));
    }

    private static String containerId(Role role) {
        return role.endpoint() + (role == Role.CONTROL_PLANE ? ":1" : ":2");
    }

    private Optional<String> randomLiveUnit(SimUnit except) {
        List<SimUnit> candidates = liveUnits().stream().filter(u -> u != except).toList();
        return candidates.isEmpty() ? Optional.empty()
                : Optional.of(candidates.get(random.nextInt(candidates.size())).name());
    }

    // ---- reading the model --------------------------------------------------------------------------

    public SimUnit unit(String name) {
        SimUnit unit = units.get(name);
        if (unit == null) {
            throw new IllegalArgumentException("no unit " + name);
        }
        return unit;
    }

    /** The snap-coherence unit on a principal unit (e.g. kubernetes-worker/4), if any. */
    public Optional<SimUnit> unitOnPrincipal(String principal) {
        return units.values().stream().filter(u -> u.principal().equals(principal)).findFirst();
    }

    public List<SimUnit> units() {
        return List.copyOf(units.values());
    }

    public List<SimUnit> liveUnits() {
        return units.values().stream().filter(SimUnit::alive).toList();
    }

    public String leader() {
        return leader;
    }

    /** Whether the leader has committed a hook as leader (a unit elected a moment ago has told nobody anything). */
    public boolean leaderActed() {
        return leaderActed;
    }

    public Map<String, String> appData() {
        return appData;
    }

    /** A unit's committed peer databag, while any unit can still see it. */
    public Optional<Map<String, String>> unitData(String name) {
        return Optional.ofNullable(unitData.get(name));
    }

    public Status appStatus() {
        return appStatus;
    }

    public Map<String, Object> config() {
        return config;
    }

    public SimulatedStore store() {
        return store;
    }

    public SimClock clock() {
        return clock;
    }

    public Random random() {
        return random;
    }

    public Settings settings() {
        return settings;
    }

    public long round() {
        return round;
    }

    public long steps() {
        return steps;
    }

    public long hookRuns() {
        return hookRuns;
    }

    public long coalesced() {
        return coalesced;
    }

    public long relationWrites() {
        return units.values().stream().mapToLong(SimUnit::ownWrites).sum();
    }

    /** The last {@code Settings.traceLines} steps and model changes, oldest first. */
    public List<String> trace() {
        return List.copyOf(trace);
    }
}
