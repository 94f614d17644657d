package io.snapcoherence.sim;

import io.snapcoherence.charm.Charm;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.juju.Status;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A Juju model in memory, put together from parts that each stand for a part of Juju: the {@link Controller}
 * (units and their life, the peer relation's scope, unit and application databags with their versions, config,
 * the leader lease), the unit agents ({@link UnitAgents}, each unit's {@link Uniter} deciding its next hook from
 * what it has run and what the controller tells it, with its {@link RelationCache}), the {@link Scheduler} (which
 * agent runs next, rounds, update-status), snapd's own side of every machine ({@link SnapdTimer}) and the
 * operator's ({@link Operator}: actions, injected faults). This class is their façade: what rehearsals, the
 * benchmark and tests call. The snap-coherence application is subordinate to a control-plane and a worker
 * principal application, with its peer relation {@value #PEER_ID}; every machine shares one
 * {@link SimulatedStore}. Each hook runs the charm through a {@link HookRunner} over {@link StateHookTools}
 * built from the unit's view of the model, with Juju's
 * semantics (juju-hook-contract.md, "Verified against Juju's source"):
 * <ul>
 *   <li>commit on success: relation data and the unit store change only when the hook exits 0 and the controller
 *       accepts the commit (the unit store within its size limit; app-databag writes only from the lease holder);
 *       status at once;</li>
 *   <li>a committed change of a databag bumps its version; every agent that has seen the writer join runs one
 *       {@code -changed} for the latest version it has not seen (changes in between are one hook); the application
 *       databag's {@code -changed} runs on every unit, the leader included;</li>
 *   <li>remote unit data is read through each agent's relation cache ({@link RelationCache}); the application
 *       databag fresh in every hook;</li>
 *   <li>a removed unit goes Dying: the others see it depart at once (state/cleanup.go cleanupDyingUnit,
 *       PrepareLeaveScope), it departs every peer itself (relation-list shrinking), breaks its container relation
 *       (never the peer one), runs stop and remove and is Dead; a dying leader keeps the lease until then
 *       ({@link Hostility#DYING_LEADER_KEEPS_LEASE}), and the lease goes to another unit {@value #LEASE_ROUNDS} rounds
 *       after its holder's agent stopped;</li>
 *   <li>a failed or killed hook is retried before anything but relation-created, leadership and actions;</li>
 *   <li>update-status every {@code updateStatusEvery} rounds per unit, run only when nothing else is due.</li>
 * </ul>
 * Scheduling: a <em>round</em> walks every unit once, in an order drawn from the seeded {@link Random}; on its turn
 * a unit's agent runs its next hook (or finishes one that takes time). Nothing reads the wall clock: the
 * {@link SimClock} moves {@link #ROUND_TIME} per round. The same seed and the same calls give the same run.
 */
public final class SimulatedModel {
    public static final String APP = "snap-coherence";
    public static final String PEER_ID = Charm.PEER_ENDPOINT + ":0";
    public static final String CONTROL_PLANE_APP = "kubernetes-control-plane";
    public static final String WORKER_APP = "kubernetes-worker";
    public static final Duration ROUND_TIME = Duration.ofSeconds(10);
    /**
     * Rounds a lease outlives its holder's agent, and rounds is-leader is guaranteed for (30 s: the tracker claims
     * the lease for twice its 30 s duration and renews it every 30 s, internal/worker/leadership/tracker.go).
     */
    static final int LEASE_ROUNDS = 3;

    /** How the model is set up. {@code snapdTimerEvery} 0 disables snapd's own refresh timer. */
    public record Settings(long seed, Map<String, Object> config, int updateStatusEvery, int snapdTimerEvery,
                           int traceLines, Set<Hostility> hostility) {
        public Settings {
            config = Map.copyOf(config);
            hostility = hostility.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(hostility));
        }

        /** Every hostile behaviour on. */
        public Settings(long seed, Map<String, Object> config, int updateStatusEvery, int snapdTimerEvery,
                        int traceLines) {
            this(seed, config, updateStatusEvery, snapdTimerEvery, traceLines, EnumSet.allOf(Hostility.class));
        }

        public static Settings of(long seed) {
            return new Settings(seed, Map.of(), 10, 0, 400);
        }

        public Settings withConfig(Map<String, Object> config) {
            return new Settings(seed, config, updateStatusEvery, snapdTimerEvery, traceLines, hostility);
        }

        public Settings withTimers(int updateStatusEvery, int snapdTimerEvery) {
            return new Settings(seed, config, updateStatusEvery, snapdTimerEvery, traceLines, hostility);
        }

        public Settings withHostility(Set<Hostility> hostility) {
            return new Settings(seed, config, updateStatusEvery, snapdTimerEvery, traceLines, hostility);
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

    final Settings settings;
    final Random random;
    final SimClock clock;
    final SimulatedStore store;
    private final List<StepObserver> observers = new ArrayList<>();
    private final Deque<String> trace = new ArrayDeque<>();
    /** What snapd did on the machine whose step is being built (its refresh listener's events). */
    final List<RefreshEvent> stepEvents = new ArrayList<>();
    long round;
    long steps;
    long hookRuns;
    int stepEventsSeen;
    /** While set, committed writes fan out to nobody (see {@link #addSettledUnits}). */
    boolean muteFanOut;
    final Controller controller;
    private final Operator operator;
    private final UnitAgents agents;
    private final SnapdTimer snapd;
    private final Scheduler scheduler;

    public SimulatedModel(Settings settings, SimClock clock, SimulatedStore store, HookRunner runner,
                          BiConsumer<Role, SimulatedMachine> machineSetup) {
        this.settings = settings;
        this.random = new Random(settings.seed());
        this.clock = clock;
        this.store = store;
        this.controller = new Controller(this, settings.config(), machineSetup);
        this.operator = new Operator(this, controller);
        this.agents = new UnitAgents(this, controller, operator, runner);
        this.snapd = new SnapdTimer(this, controller);
        this.scheduler = new Scheduler(this, controller, agents, snapd);
    }

    // ---- building and changing the model ------------------------------------------------------------

    public SimulatedModel observe(StepObserver observer) {
        observers.add(observer);
        return this;
    }

    public SimulatedModel chaos(Chaos chaos) {
        scheduler.chaos = chaos;
        return this;
    }

    public boolean hostile(Hostility hostility) {
        return settings.hostility().contains(hostility);
    }

    /** Adds a principal unit of the role's application and its snap-coherence unit; returns the latter. */
    public SimUnit addUnit(Role role) {
        return controller.addUnit(role);
    }

    /** See {@link Controller#addUnit(Role, int, String)}. */
    public SimUnit addUnit(Role role, int number, String principal) {
        return controller.addUnit(role, number, principal);
    }

    /** See {@link Controller#addSettledUnits}. */
    public void addSettledUnits(int controlPlane, int workers) {
        controller.addSettledUnits(controlPlane, workers);
    }

    /** Runs start-up hooks without peer fan-out (see {@link #addSettledUnits}): every agent has seen every change. */
    public boolean settleQuietly(long maxRounds) {
        muteFanOut = true;
        boolean quiet = runUntilQuiet(maxRounds);
        muteFanOut = false;
        for (SimUnit unit : controller.units.values()) {
            Uniter.RelationState peer = unit.uniter.relation(PEER_ID);
            peer.members.replaceAll((name, version) -> controller.scope.getOrDefault(name, version));
            peer.appVersion = controller.appVersion;
            unit.uniter.cache.invalidateAll();
        }
        return quiet;
    }

    /** See {@link Controller#removeUnit}. */
    public void removeUnit(String name) {
        controller.removeUnit(name);
    }

    /** See {@link Controller#killMachine}. */
    public void killMachine(String name) {
        controller.killMachine(name);
    }

    /** See {@link Controller#forceRemove}. */
    public void forceRemove(String name) {
        controller.forceRemove(name);
    }

    /** See {@link Controller#electLeader}. */
    public boolean electLeader(Optional<String> name) {
        return controller.electLeader(name);
    }

    /** See {@link Controller#setConfig}. */
    public void setConfig(Map<String, Object> changes) {
        controller.setConfig(changes);
    }

    /** See {@link Operator#queueAction}. */
    public String queueAction(String unitName, String action, Map<String, Object> params) {
        return operator.queueAction(unitName, action, params);
    }

    /** See {@link Operator#runAction}. */
    public ActionResult runAction(String unitName, String action, Map<String, Object> params) {
        return operator.runAction(unitName, action, params);
    }

    /** See {@link Operator#actionResult}. */
    public Optional<ActionResult> actionResult(String id) {
        return operator.actionResult(id);
    }

    /** See {@link Operator#overwriteUnitData}. */
    public void overwriteUnitData(String unitName, Map<String, String> data) {
        operator.overwriteUnitData(unitName, data);
    }

    /** See {@link Operator#killNextHook}. */
    public void killNextHook(String unitName, int snapCalls) {
        operator.killNextHook(unitName, snapCalls);
    }

    /** See {@link Operator#killNextHookBeforeCommit}. */
    public void killNextHookBeforeCommit(String unitName) {
        operator.killNextHookBeforeCommit(unitName);
    }

    /** See {@link Operator#slowNextHook}. */
    public void slowNextHook(String unitName, int rounds) {
        operator.slowNextHook(unitName, rounds);
    }

    /** See {@link Operator#setRefreshRounds}. */
    public void setRefreshRounds(String unitName, int rounds) {
        operator.setRefreshRounds(unitName, rounds);
    }

    /** See {@link Operator#setChangeRounds}. */
    public void setChangeRounds(String unitName, int rounds) {
        operator.setChangeRounds(unitName, rounds);
    }

    // ---- running ------------------------------------------------------------------------------------

    /** See {@link Scheduler#runRound}. */
    public boolean runRound() {
        return scheduler.runRound();
    }

    /** See {@link Scheduler#touch}. */
    public void touch() {
        scheduler.touch();
    }

    /** See {@link SnapdTimer#runSnapdTimer}. */
    public boolean runSnapdTimer() {
        return snapd.runSnapdTimer();
    }

    /** See {@link Scheduler#runUntilQuiet}. */
    public boolean runUntilQuiet(long maxRounds) {
        return scheduler.runUntilQuiet(maxRounds);
    }

    void emit(Step step) {
        trace.addLast(step.describe());
        while (trace.size() > settings.traceLines()) {
            trace.removeFirst();
        }
        for (StepObserver observer : observers) {
            observer.afterStep(this, step);
        }
    }

    void note(String line) {
        trace.addLast("r" + round + " " + line);
        while (trace.size() > settings.traceLines()) {
            trace.removeFirst();
        }
    }

    // ---- reading the model --------------------------------------------------------------------------

    public SimUnit unit(String name) {
        return controller.unit(name);
    }

    /** The snap-coherence unit on a principal unit (e.g. kubernetes-worker/4), if any. */
    public Optional<SimUnit> unitOnPrincipal(String principal) {
        return controller.unitOnPrincipal(principal);
    }

    public List<SimUnit> units() {
        return controller.units();
    }

    /** Units alive in the model (not removed), their machines up or not. */
    public List<SimUnit> liveUnits() {
        return controller.liveUnits();
    }

    /** The lease holder (it may be a unit that is Dying, or Dead while the lease runs out). */
    public String leader() {
        return controller.leader();
    }

    public Map<String, String> appData() {
        return controller.appData();
    }

    /** A unit's committed peer databag, while any unit can still see it. */
    public Optional<Map<String, String>> unitData(String name) {
        return controller.unitData(name);
    }

    public Status appStatus() {
        return controller.appStatus();
    }

    public Map<String, Object> config() {
        return controller.config();
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

    public long relationWrites() {
        return controller.relationWrites();
    }

    /** See {@link Controller#pendingRelationHooks}. */
    public long pendingRelationHooks() {
        return controller.pendingRelationHooks();
    }

    /** The last {@code Settings.traceLines} steps and model changes, oldest first. */
    public List<String> trace() {
        return List.copyOf(trace);
    }
}
