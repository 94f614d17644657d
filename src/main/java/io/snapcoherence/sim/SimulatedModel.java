package io.snapcoherence.sim;

import io.snapcoherence.charm.Charm;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.GoalState;
import io.snapcoherence.juju.HookRun;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.juju.Status;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * A Juju model in memory: the controller's side (units and their life, the peer relation's scope, unit and
 * application databags with their versions, config, the leader lease, queued actions) and per unit an agent
 * ({@link Uniter}) that decides its next hook from what it has run and what the controller tells it, as Juju's
 * uniter does. The snap-coherence application is subordinate to a control-plane and a worker principal application,
 * with its peer relation {@value #PEER_ID}; every machine shares one {@link SimulatedStore}. Each hook runs the charm
 * through a {@link HookRunner} over {@link StateHookTools} built from the unit's view of the model, with Juju's
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

    /** A committed databag and its version (the settings document's txn-revno in Juju). */
    private record Databag(Map<String, String> data, long version) {
    }

    private final Settings settings;
    private final Random random;
    private final SimClock clock;
    private final SimulatedStore store;
    private final HookRunner runner;
    private final BiConsumer<Role, SimulatedMachine> machineSetup;
    private final Map<String, SimUnit> units = new LinkedHashMap<>();
    /** The goal state hooks are answered with; null: a unit's life changed since it was built. */
    private GoalState goalState;
    private final Map<String, Databag> unitData = new HashMap<>();
    /** Units in the peer relation's scope and not departing, with their databag versions: what the others see. */
    private final TreeMap<String, Long> scope = new TreeMap<>();
    private final List<StepObserver> observers = new ArrayList<>();
    private final Deque<String> trace = new ArrayDeque<>();
    private final Map<String, ActionResult> actionResults = new HashMap<>();
    private final List<RefreshEvent> stepEvents = new ArrayList<>();
    private Chaos chaos = (model, random) -> { };
    private Map<String, Object> config;
    private long configVersion = 1;
    private Map<String, String> appData = Map.of();
    private long appVersion;
    private Status appStatus = Status.unknown();
    private String leader = "";
    /** The round from which another unit may take the lease (its holder's agent stopped); -1: held. */
    private long leaseFreeFrom = -1;
    /** Without DYING_LEADER_KEEPS_LEASE: a removed leader inside a hook hands the lease over once it ends. */
    private String handOverFrom = "";
    private int nextUnit;
    private final Map<Role, Integer> nextPrincipal = new HashMap<>();
    private int nextAction;
    private long round;
    private long steps;
    private long hookRuns;
    private long lastActivityRound;
    private int stepEventsSeen;
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

    public boolean hostile(Hostility hostility) {
        return settings.hostility().contains(hostility);
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
        String principalApp = role == Role.CONTROL_PLANE ? CONTROL_PLANE_APP : WORKER_APP;
        SimulatedMachine machine = new SimulatedMachine(principal, store).useClock(clock::instant);
        machineSetup.accept(role, machine);
        machine.onRefresh(stepEvents::add);
        Uniter uniter = new Uniter(name, List.of(
                new Uniter.RelationState(PEER_ID, Charm.PEER_ENDPOINT, true, APP),
                new Uniter.RelationState(containerId(role), role.endpoint(), false, principalApp)));
        SimUnit unit = new SimUnit(name, role, principal, machine, uniter, round, steps);
        unit.updateStatusOffset = random.nextInt(Math.max(1, settings.updateStatusEvery()));
        units.put(name, unit);
        goalState = null;
        unitData.put(name, new Databag(Map.of(), 0));
        if (leader.isEmpty()) {
            leader = name;
        }
        note("add " + unit);
        return unit;
    }

    /**
     * Adds units as in a model that has been up for a while: every unit is in the peer relation's scope and has
     * seen every other join (no -joined and -changed storm owed) and, while {@link #settleQuietly(long)} runs their
     * start-up hooks, their first reports fan out to nobody. For benchmarks at a scale where the join storm (about
     * 2 N^2 hooks) would dominate what is measured.
     */
    public void addSettledUnits(int controlPlane, int workers) {
        for (int i = 0; i < controlPlane + workers; i++) {
            addUnit(i < controlPlane ? Role.CONTROL_PLANE : Role.WORKER);
        }
        for (SimUnit unit : liveUnits()) {
            scope.put(unit.name(), 0L);
            unit.uniter.inScope = true;
            unit.scopeRound = round;
            unit.scopeStep = steps;
        }
        for (SimUnit unit : liveUnits()) {
            Uniter.RelationState peer = unit.uniter.relation(PEER_ID);
            scope.keySet().stream().filter(n -> !n.equals(unit.name())).forEach(n -> peer.members.put(n, 0L));
        }
    }

    /** Runs start-up hooks without peer fan-out (see {@link #addSettledUnits}): every agent has seen every change. */
    public boolean settleQuietly(long maxRounds) {
        muteFanOut = true;
        boolean quiet = runUntilQuiet(maxRounds);
        muteFanOut = false;
        for (SimUnit unit : units.values()) {
            Uniter.RelationState peer = unit.uniter.relation(PEER_ID);
            peer.members.replaceAll((name, version) -> scope.getOrDefault(name, version));
            peer.appVersion = appVersion;
            unit.uniter.cache.invalidateAll();
        }
        return quiet;
    }

    /**
     * Removes a unit (its principal was removed): it goes Dying; the others see it depart at once, and it departs
     * every peer itself, breaks its container relation, runs stop and remove, and is Dead. A leader keeps the lease
     * until then ({@link Hostility#DYING_LEADER_KEEPS_LEASE}; off: a random live unit is elected now).
     */
    public void removeUnit(String name) {
        SimUnit unit = unit(name);
        if (!unit.alive()) {
            return;
        }
        unit.life = SimUnit.Life.DYING;
        goalState = null;
        scope.remove(name);
        note("remove " + unit);
        if (leader.equals(name) && !hostile(Hostility.DYING_LEADER_KEEPS_LEASE)) {
            handOverFrom = name;
            handOver();
        }
    }

    /** The kind model's hand-over of a removed leader's lease: at once, or when its hook in flight ends. */
    private void handOver() {
        if (!handOverFrom.isEmpty() && leader.equals(handOverFrom) && !unit(handOverFrom).busy()) {
            String from = handOverFrom;
            handOverFrom = "";
            electLeader(randomLiveUnit(unit(from)));
        }
    }

    /**
     * The unit's machine dies: a hook in flight never ends, the agent runs nothing again, snapd does nothing; the
     * unit stays in its relations (the others still see it) until {@link #forceRemove}. A leader's lease runs out.
     */
    public void killMachine(String name) {
        SimUnit unit = unit(name);
        if (unit.gone() || unit.machineDown) {
            return;
        }
        unit.machineDown = true;
        unit.inFlight = null;
        note("machine of " + unit + " died");
        if (leader.equals(name)) {
            leaseFreeFrom = round + LEASE_ROUNDS;
        }
    }

    /**
     * {@code juju remove-unit --force} of a unit whose agent no longer runs: it leaves the relation scope (the others
     * run -departed) and is removed without running a hook.
     */
    public void forceRemove(String name) {
        SimUnit unit = unit(name);
        if (unit.gone()) {
            return;
        }
        unit.life = SimUnit.Life.DEAD;
        goalState = null;
        unit.inFlight = null;
        unit.actions.clear();
        scope.remove(name);
        note("force-removed " + unit);
        if (leader.equals(name) && leaseFreeFrom < 0) {
            leaseFreeFrom = round + LEASE_ROUNDS;
        }
        forgetIfUnseen(name);
    }

    /**
     * The lease moves to {@code name} (the holder's lease ran out and another agent claimed it); it runs
     * leader-elected once idle. The lease does not move within {@value #LEASE_ROUNDS} rounds of a hook's start
     * (is-leader's promise), and never from a unit inside a hook without {@link Hostility#LEASE_LOST_IN_LONG_HOOK}.
     */
    public boolean electLeader(Optional<String> name) {
        if (name.isEmpty() || name.get().equals(leader)) {
            return false;
        }
        SimUnit candidate = unit(name.get());
        if (candidate.gone() || candidate.machineDown) {
            return false;
        }
        SimUnit current = units.get(leader);
        if (current != null && current.busy() && !current.gone() && !current.machineDown
                && (!hostile(Hostility.LEASE_LOST_IN_LONG_HOOK) || round - current.inFlight.startRound() < LEASE_ROUNDS)) {
            return false;
        }
        leader = name.get();
        leaseFreeFrom = -1;
        note("leader -> " + leader);
        return true;
    }

    /** Changes config (merged into the current values, null removes); every agent runs config-changed. */
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
        configVersion++;
        note("config " + changes);
    }

    /** Queues an action for the unit (its agent runs it before other hooks, even in error); returns its id. */
    public String queueAction(String unitName, String action, Map<String, Object> params) {
        SimUnit unit = unit(unitName);
        String id = String.valueOf(++nextAction);
        unit.actions.addLast(HookEvent.action(action, id, params));
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

    /** What an action queued earlier returned, once it ran. */
    public Optional<ActionResult> actionResult(String id) {
        return Optional.ofNullable(actionResults.get(id));
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

    /**
     * Next hook on the unit runs to its end (its machine changes made) and dies before its changes commit: the unit
     * agent restarts (its relation cache starts empty) and retries the hook.
     */
    public void killNextHookBeforeCommit(String unitName) {
        unit(unitName).killBeforeCommit = true;
    }

    /** Next hook on the unit reads the model now, and acts and commits {@code rounds} rounds later. */
    public void slowNextHook(String unitName, int rounds) {
        unit(unitName).slowNextHook = rounds;
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
            if (unit.alive() && settings.updateStatusEvery() > 0
                    && (round + unit.updateStatusOffset) % settings.updateStatusEvery() == 0) {
                unit.updateStatusTicks++;
            }
        }
        if (settings.snapdTimerEvery() > 0 && round % settings.snapdTimerEvery() == 0) {
            activity |= runSnapdTimer();
        }
        activity |= runSnapdChanges();
        if (leaseFreeFrom >= 0 && round >= leaseFreeFrom) {
            activity |= claimFreeLease();
        }
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

    /** snapd's own refresh timer fires on every running unit's machine; returns whether anything changed. */
    public boolean runSnapdTimer() {
        boolean changed = false;
        for (SimUnit unit : units.values()) {
            if (unit.gone() || unit.machineDown) {
                continue;
            }
            stepEvents.clear();
            long runningBefore = unit.machine().autoRefreshesRunning();
            unit.machine().autoRefreshTick();
            // A change that takes rounds moves no revision yet, but observers must see when it began: snapd
            // decides what to leave out (held snaps) then, not when it ends.
            boolean begun = unit.machine().autoRefreshesRunning() > runningBefore;
            if (!stepEvents.isEmpty() || begun) {
                changed |= !stepEvents.isEmpty();
                stepEventsSeen += stepEvents.size();
                emit(Step.builder().number(++steps).round(round).unit(unit.name()).hook(Step.SNAPD_TIMER)
                        .events(stepEvents).leader(leader).viewConfig(config).build());
            }
        }
        return changed;
    }

    /**
     * snapd goes on with the changes the CLI stopped waiting for ({@link SimulatedMachine#changesTakeRounds}) on
     * machines that are up; a change still running, or one finishing, is activity: the model is not quiet while
     * snapd works.
     */
    private boolean runSnapdChanges() {
        boolean working = false;
        for (SimUnit unit : units.values()) {
            if (unit.gone() || unit.machineDown || !unit.machine().changesRunning()) {
                continue;
            }
            working = true;
            stepEvents.clear();
            unit.machine().advanceChanges();
            if (!stepEvents.isEmpty()) {
                stepEventsSeen += stepEvents.size();
                emit(Step.builder().number(++steps).round(round).unit(unit.name()).hook(Step.SNAPD_CHANGE_DONE)
                        .events(List.copyOf(stepEvents)).leader(leader).viewConfig(config).build());
            }
        }
        return working;
    }

    /** The lease's holder stopped renewing it: an agent still running claims it (any of them may win). */
    private boolean claimFreeLease() {
        List<SimUnit> candidates = units.values().stream().filter(u -> !u.gone() && !u.machineDown).toList();
        leaseFreeFrom = -1;
        if (candidates.isEmpty()) {
            return false;
        }
        leader = candidates.get(random.nextInt(candidates.size())).name();
        note("leader -> " + leader + " (lease expired)");
        return true;
    }

    /**
     * Runs until nothing but update-status has happened for {@code quietRounds} rounds (at least one
     * update-status period, so a leader that re-checks the store on update-status had its chance), no hook is in
     * flight and no action is queued, or until {@code maxRounds}. Returns whether the model became quiet.
     */
    public boolean runUntilQuiet(long maxRounds) {
        long quietRounds = Math.max(3, settings.updateStatusEvery() + 1L);
        long start = round;
        lastActivityRound = round;
        while (round - start < maxRounds) {
            runRound();
            if (round - lastActivityRound >= quietRounds && units.values().stream()
                    .noneMatch(u -> u.busy() || (!u.actions.isEmpty() && !u.gone() && !u.machineDown))) {
                return true;
            }
        }
        return false;
    }

    private boolean turn(SimUnit unit) {
        if (unit.machineDown) {
            return false;
        }
        if (unit.inFlight != null) {
            if (round < unit.inFlight.untilRound()) {
                return true;
            }
            Runnable completion = unit.inFlight.completion();
            unit.inFlight = null;
            completion.run();
            handOver();
            return true;
        }
        Optional<HookEvent> next = unit.uniter.next(remote(unit));
        if (next.isEmpty()) {
            if (unit.dying() && !unit.uniter.installed) {
                becomeDead(unit); // removed before its install ran: the agent terminates (ErrUnitDead)
                return true;
            }
            return false;
        }
        long writesBefore = unit.ownWrites;
        int eventsBefore = stepEventsSeen;
        runHook(unit, next.get());
        return !next.get().timer() || unit.ownWrites != writesBefore || stepEventsSeen != eventsBefore || unit.busy();
    }

    /** What the controller tells the unit's agent (remotestate.Snapshot). */
    private Uniter.Remote remote(SimUnit unit) {
        return new Uniter.Remote() {
            @Override
            public boolean dying() {
                return unit.dying();
            }

            @Override
            public boolean leader() {
                return leader.equals(unit.name());
            }

            @Override
            public long configVersion() {
                return configVersion;
            }

            @Override
            public long updateStatusVersion() {
                return unit.updateStatusTicks;
            }

            @Override
            public Optional<HookEvent> pendingAction() {
                return Optional.ofNullable(unit.actions.peekFirst());
            }

            @Override
            public SortedMap<String, Long> members(String relationId) {
                return relationId.equals(PEER_ID) ? scope : new TreeMap<>(Map.of(unit.principal(), 0L));
            }

            @Override
            public long appVersion(String relationId) {
                return relationId.equals(PEER_ID) ? appVersion : 0;
            }

            @Override
            public void enterScope() {
                scope.put(unit.name(), unitData.get(unit.name()).version());
                unit.scopeRound = round;
                unit.scopeStep = steps;
            }

            @Override
            public boolean reverseRelations() {
                return random.nextBoolean();
            }
        };
    }

    private void runHook(SimUnit unit, HookEvent hook) {
        unit.hookError = null; // the retry (or the next hook after resolving) runs: the agent is no longer in error
        unit.uniter.prepareContext(hook, hostile(Hostility.CACHED_REMOTE_DATA));
        ModelState view = view(unit, hook);
        long viewStep = steps;
        long viewRound = round;
        if (unit.slowNextHook > 0) {
            // It read the model now (its relation-gets answer from this moment); it acts and commits later.
            Map<String, Databag> readable = new HashMap<>(unitData);
            int rounds = unit.slowNextHook;
            unit.slowNextHook = 0;
            note(unit.name() + " " + hook.describe() + " takes " + rounds + " rounds");
            unit.inFlight = new SimUnit.InFlight(round, round + rounds, hook, false,
                    () -> execute(unit, hook, view, readable, viewStep, viewRound));
            return;
        }
        execute(unit, hook, view, unitData, viewStep, viewRound);
    }

    /** Runs the charm for the hook over the view it took, then commits (now, or later for a slow refresh). */
    private void execute(SimUnit unit, HookEvent hook, ModelState view, Map<String, Databag> readable,
                         long viewStep, long viewRound) {
        Uniter uniter = unit.uniter;
        StateHookTools tools = new StateHookTools(view, (relationId, remote) -> relationId.equals(PEER_ID)
                ? uniter.cache.settings(remote, name -> Optional.ofNullable(readable.get(name)).map(Databag::data))
                : Optional.ofNullable(view.relation(relationId).orElseThrow().remoteUnitsData().get(remote))
                        .or(() -> Optional.of(Map.<String, String>of()).filter(none -> departing(hook, relationId,
                                remote))),
                this::unitStatuses);
        JujuContext context = new JujuContext(unit.name(), "rehearsal", Path.of("."), Optional.of(unit.principal()),
                hook.event());
        stepEvents.clear();
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
            note(unit.name() + " " + hook.describe() + " killed");
        }
        hookRuns++;
        unit.hookRuns++;
        // what a leader's hook wrote to the app databag, kept or not: its refreshes ran under that plan
        Map<String, String> written = view.leader()
                ? tools.finish(true).peerRelation(PEER_ID).orElseThrow().appData() : Map.of();
        List<ObservedMachine.Attempt> attempts = unit.machine.attempts();
        List<RefreshEvent> events = List.copyOf(stepEvents);
        stepEventsSeen += events.size();
        ModelState statuses = tools.finish(false);
        unit.status = statuses.unitStatus();
        if (view.leader()) {
            appStatus = statuses.appStatus();
        }
        PeerView peerView = attempts.isEmpty() ? PeerView.NONE : peerView(unit, hook, view, readable);
        Ended ended = new Ended(hook, view, run, viewStep, viewRound, written, peerView);
        if (!attempts.isEmpty() && unit.refreshRounds > 0) {
            unit.inFlight = new SimUnit.InFlight(round, round + unit.refreshRounds, hook, true,
                    () -> finishHook(unit, ended, false, List.of(), List.of()));
            emit(Step.builder().number(++steps).round(round).unit(unit.name()).hook(hook.describe()).finished(false)
                    .exitCode(exit).committed(false).attempts(attempts).events(events).leader(leader)
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
    private PeerView peerView(SimUnit unit, HookEvent hook, ModelState view, Map<String, Databag> readable) {
        ModelState.PeerRelation peer = view.peerRelation(PEER_ID).orElseThrow();
        List<String> names = new ArrayList<>(unit.uniter.cache.memberNames());
        if (hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                && r.relationId().equals(PEER_ID)) {
            r.remoteUnit().filter(n -> !names.contains(n)).ifPresent(names::add);
        }
        Map<String, Map<String, String>> units = new LinkedHashMap<>();
        for (String name : names) {
            unit.uniter.cache.peek(name, n -> Optional.ofNullable(readable.get(n)).map(Databag::data))
                    .ifPresent(data -> units.put(name, data));
        }
        units.put(unit.name(), peer.localUnitData());
        return new PeerView(peer.appData(), units);
    }

    /** Whether the hook is the {@code -departed} of {@code remote} in that relation: its data is still readable. */
    private static boolean departing(HookEvent hook, String relationId, String remote) {
        return hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                && r.relationId().equals(relationId) && r.remoteUnit().filter(remote::equals).isPresent();
    }

    /** A hook that has run: what it saw and what it did, waiting for its commit. */
    private record Ended(HookEvent hook, ModelState view, HookRun run, long viewStep, long viewRound,
                         Map<String, String> written, PeerView peerView) {
    }

    /**
     * The hook ends: its changes commit or not as {@link HookRun} decides, with the unit's agent killed before its
     * commit or not, and holding the lease now or not.
     */
    private void finishHook(SimUnit unit, Ended ended, boolean started, List<ObservedMachine.Attempt> attempts,
                            List<RefreshEvent> events) {
        HookEvent hook = ended.hook();
        HookRun run = ended.run().atCommit(unit.killBeforeCommit, leader.equals(unit.name()));
        StateHookTools tools = run.tools();
        Optional<String> refusal = run.refusal();
        if (unit.killBeforeCommit) {
            unit.killBeforeCommit = false;
            unit.uniter.cache = new RelationCache(); // the agent restarts: its memory of peer data is gone
        }
        boolean committed = refusal.isEmpty();
        if (!committed && run.exitCode() == 0) {
            note(unit.name() + " " + hook.describe() + " not committed: " + refusal.get());
        }
        ModelState after = run.finish();
        boolean unitChanged = false;
        boolean appChanged = false;
        if (hook.action().isPresent()) {
            ModelState.ActionState action = after.action();
            Event.Action event = (Event.Action) hook.event();
            actionResults.put(event.id(), new ActionResult(unit.name(), event.name(), run.reportedExitCode(),
                    action.results(), run.actionFailure(after), action.logs()));
            unit.actions.remove(hook);
        }
        if (committed) {
            ModelState.PeerRelation peer = after.peerRelation(PEER_ID).orElseThrow();
            if (!unit.gone() && !peer.localUnitData().equals(unitData.get(unit.name()).data())) {
                commitUnitData(unit, peer.localUnitData());
                unit.ownWrites++;
                unitChanged = true;
            }
            if (tools.wroteAppData() && !peer.localAppData().equals(appData)) {
                // the parts a reader of the trace needs to follow a rollout: who is granted, what stops it
                note(unit.name() + " app data: grants " + peer.localAppData().getOrDefault("grants", "[]")
                        + peer.localAppData().entrySet().stream().filter(e -> e.getKey().equals("halt")
                        || e.getKey().equals("paused")).map(e -> " " + e.getKey() + " " + e.getValue())
                        .reduce("", String::concat));
                commitAppData(peer.localAppData());
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
        emit(Step.builder().number(++steps).round(round).unit(unit.name()).hook(hook.describe()).started(started)
                .exitCode(run.exitCode()).committed(committed).attempts(attempts).events(events)
                .unitDataChanged(unitChanged).appDataChanged(appChanged).leader(leader).appDataWritten(ended.written())
                .viewStep(ended.viewStep()).viewRound(ended.viewRound()).viewConfig(ended.view().config())
                .peerView(started ? ended.peerView() : PeerView.NONE).build());
    }

    private void afterCommit(SimUnit unit, HookEvent hook) {
        if (hook.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                && r.relationId().equals(PEER_ID)) {
            forgetIfUnseen(r.remoteUnit().orElseThrow());
        }
        if (hook.event() instanceof Event.Lifecycle l && l.kind() == Event.LifecycleKind.REMOVE) {
            becomeDead(unit);
        }
    }

    private void becomeDead(SimUnit unit) {
        unit.life = SimUnit.Life.DEAD;
        goalState = null;
        unit.actions.clear();
        scope.remove(unit.name());
        for (String peer : List.copyOf(unitData.keySet())) {
            forgetIfUnseen(peer);
        }
        note(unit.name() + " removed");
        if (leader.equals(unit.name())) {
            leaseFreeFrom = round + LEASE_ROUNDS; // its agent stops: the lease runs out
        }
    }

    /** A gone unit's databag disappears once no unit still has it in its relation-list. */
    private void forgetIfUnseen(String name) {
        SimUnit unit = units.get(name);
        if (unit == null || !unit.gone()) {
            return;
        }
        boolean seen = units.values().stream().anyMatch(u -> !u.gone() && u.uniter.relation(PEER_ID).members
                .containsKey(name));
        if (!seen) {
            unitData.remove(name);
        }
    }

    private void commitUnitData(SimUnit unit, Map<String, String> data) {
        long version = unitData.get(unit.name()).version() + 1;
        unitData.put(unit.name(), new Databag(data, version));
        if (scope.containsKey(unit.name())) {
            scope.put(unit.name(), version);
        }
        if (muteFanOut) {
            for (SimUnit other : units.values()) {
                Uniter.RelationState peer = other.uniter.relation(PEER_ID);
                if (peer.members.containsKey(unit.name())) {
                    peer.members.put(unit.name(), version);
                    other.uniter.cache.invalidate(unit.name());
                }
            }
        }
    }

    private void commitAppData(Map<String, String> data) {
        appData = data;
        appVersion++;
        if (muteFanOut) {
            units.values().forEach(u -> u.uniter.relation(PEER_ID).appVersion = appVersion);
        }
    }

    /**
     * What this unit sees during one hook: relation-list from its relation cache's members, remote unit data read
     * through that cache (see {@link #execute}), the application databag, config, leadership and its own data as
     * committed now.
     */
    private ModelState view(SimUnit unit, HookEvent hook) {
        Map<String, Map<String, String>> members = new LinkedHashMap<>();
        for (String peer : unit.uniter.cache.memberNames()) {
            members.put(peer, Map.of()); // relation-list only: relation-get reads through the relation cache
        }
        Map<String, String> own = unitData.get(unit.name()).data();
        ModelState.PeerRelation peer = new ModelState.PeerRelation(Charm.PEER_ENDPOINT, PEER_ID, APP, own, appData,
                members);
        List<ModelState.RelationState> relations = new ArrayList<>();
        relations.add(peer);
        Uniter.RelationState container = unit.uniter.relation(containerId(unit.role()));
        if (!container.broken) { // still listed during its own -broken hook, as Juju may
            String principalApp = unit.principal().substring(0, unit.principal().indexOf('/'));
            // listed from its -joined on, and no longer during its -departed (its data still readable)
            boolean departing = hook.event() instanceof Event.Relation r && r.relationId().equals(container.id)
                    && r.kind() == Event.RelationKind.DEPARTED;
            Map<String, Map<String, String>> principal = container.members.containsKey(unit.principal())
                    && !departing
                    || hook.event() instanceof Event.Relation r && r.relationId().equals(container.id)
                    && r.remoteUnit().isPresent() && r.kind() != Event.RelationKind.DEPARTED
                    ? Map.of(unit.principal(), Map.of()) : Map.of();
            relations.add(new ModelState.ContainerRelation(unit.role().endpoint(), container.id, principalApp,
                    Map.of(), Map.of(), principal, Map.of()));
        }
        ModelState.ActionState action = hook.action().orElse(ModelState.ActionState.none());
        return ModelState.builder(unit.name()).leader(leader.equals(unit.name())).config(config).relations(relations)
                .unitStore(unit.store).unitStatus(unit.status).appStatus(appStatus).action(action)
                .goalState(goalState()).build();
    }

    /**
     * What {@code status-get --application=True} answers the leader, read when the hook calls it, as Juju's
     * controller answers it (apiserver uniter StatusAPI.ApplicationStatus: the application's units as state holds
     * them, each unit's workload status, or its agent's error while it is in hook error): every unit not yet dead,
     * a dying one and one whose machine is down included, with the status its hooks last set, at once when set
     * (a hook that then failed or was killed included). Dead units are gone from the application.
     */
    private Map<String, io.snapcoherence.juju.WorkloadStatus> unitStatuses() {
        Map<String, io.snapcoherence.juju.WorkloadStatus> statuses = new TreeMap<>();
        for (SimUnit unit : units.values()) {
            if (!unit.gone()) {
                statuses.put(unit.name(), unit.hookError != null
                        ? new io.snapcoherence.juju.WorkloadStatus("error", "hook failed: \"" + unit.hookError.replaceFirst("\\(.*\\)$", "") + "\"")
                        : io.snapcoherence.juju.WorkloadStatus.of(unit.status));
            }
        }
        return statuses;
    }

    /**
     * What {@code goal-state} answers a snap-coherence unit, as Juju's controller builds it (apiserver/facades/agent/
     * uniter, UniterAPI.oneGoalState): {@code units} holds only units whose principal is the calling unit
     * (goalStateUnits), none for a subordinate; {@code relations} holds, under each of our container endpoints, the
     * principal application (its relation's status) and each of its units that is not dead, a dying one as
     * {@code dying} (goalStateRelations, goalStateUnits). A principal unit is here from the moment it is added,
     * whether or not its snap-coherence unit has run a hook; it is dying while that unit is, and gone when it is
     * dead. Its workload status, the principal charm's own, is not modelled: a live one shows {@code active} (the
     * charm reads only whether a unit is dying). Built again only when a unit's life changes.
     */
    private GoalState goalState() {
        if (goalState != null) {
            return goalState;
        }
        Map<String, Map<String, GoalState.Goal>> relations = new LinkedHashMap<>();
        String since = clock.instant().toString();
        for (Role role : Role.values()) {
            Map<String, GoalState.Goal> entries = new LinkedHashMap<>();
            entries.put(role == Role.CONTROL_PLANE ? CONTROL_PLANE_APP : WORKER_APP,
                    new GoalState.Goal("joined", since));
            for (SimUnit unit : units.values()) {
                if (unit.role() != role || unit.gone()) {
                    continue;
                }
                String status = unit.dying() ? GoalState.DYING : "active";
                entries.put(unit.principal(), new GoalState.Goal(status, since));
            }
            relations.put(role.endpoint(), entries);
        }
        goalState = new GoalState(Map.of(), relations);
        return goalState;
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

    /** Units alive in the model (not removed), their machines up or not. */
    public List<SimUnit> liveUnits() {
        return units.values().stream().filter(SimUnit::alive).toList();
    }

    /** The lease holder (it may be a unit that is Dying, or Dead while the lease runs out). */
    public String leader() {
        return leader;
    }

    public Map<String, String> appData() {
        return appData;
    }

    /** A unit's committed peer databag, while any unit can still see it. */
    public Optional<Map<String, String>> unitData(String name) {
        return Optional.ofNullable(unitData.get(name)).map(Databag::data);
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

    public long relationWrites() {
        return units.values().stream().mapToLong(SimUnit::ownWrites).sum();
    }

    /**
     * Peer relation hooks the agents still owe (joins, departures, a -changed per remote unit or application whose
     * latest version an agent has not seen): the fan-out tail Juju would still run.
     */
    public long pendingRelationHooks() {
        long owed = 0;
        for (SimUnit unit : units.values()) {
            if (unit.gone() || unit.machineDown) {
                continue;
            }
            Uniter.RelationState peer = unit.uniter.relation(PEER_ID);
            if (peer.appVersion != appVersion) {
                owed++;
            }
            for (Map.Entry<String, Long> member : scope.entrySet()) {
                if (!member.getKey().equals(unit.name())
                        && !member.getValue().equals(peer.members.get(member.getKey()))) {
                    owed += peer.members.containsKey(member.getKey()) ? 1 : 2;
                }
            }
            owed += peer.members.keySet().stream().filter(m -> !scope.containsKey(m)).count();
        }
        return owed;
    }

    /** The last {@code Settings.traceLines} steps and model changes, oldest first. */
    public List<String> trace() {
        return List.copyOf(trace);
    }
}
