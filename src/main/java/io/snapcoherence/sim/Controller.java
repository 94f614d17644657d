package io.snapcoherence.sim;

import io.snapcoherence.charm.Charm;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.GoalState;
import io.snapcoherence.juju.Status;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import static io.snapcoherence.sim.SimulatedModel.APP;
import static io.snapcoherence.sim.SimulatedModel.PEER_ID;
import static io.snapcoherence.sim.SimulatedModel.CONTROL_PLANE_APP;
import static io.snapcoherence.sim.SimulatedModel.WORKER_APP;
import static io.snapcoherence.sim.SimulatedModel.LEASE_ROUNDS;

/**
 * The controller's side of the simulated model: what Juju's state holds and its API server answers the unit
 * agents. The units and their life (state/unit.go: Dying on removal, Dead after its remove hook or a forced
 * removal), the peer relation's scope and the databags with their versions (state/relationunit.go EnterScope,
 * PrepareLeaveScope; the settings documents' txn-revno), config and its version, the leader lease
 * (core/lease; internal/worker/leadership/tracker.go), what an agent's remote-state watcher reads from it
 * (worker/uniter/remotestate), and the answers of goal-state and status-get --application
 * (apiserver/facades/agent/uniter oneGoalState, StatusAPI.ApplicationStatus). A hook's changes reach it only
 * through {@link #commitUnitData} and {@link #commitAppData}, once {@link io.snapcoherence.juju.HookRun} let
 * them commit.
 */
final class Controller {
    /** A committed databag and its version (the settings document's txn-revno in Juju). */
    record Databag(Map<String, String> data, long version) {
    }

    private final SimulatedModel model;
    private final BiConsumer<Role, SimulatedMachine> machineSetup;
    final Map<String, SimUnit> units = new LinkedHashMap<>();
    /** The goal state hooks are answered with; null: a unit's life changed since it was built. */
    private GoalState goalState;
    final Map<String, Databag> unitData = new HashMap<>();
    /** Units in the peer relation's scope and not departing, with their databag versions: what the others see. */
    final TreeMap<String, Long> scope = new TreeMap<>();
    Map<String, Object> config;
    private long configVersion = 1;
    Map<String, String> appData = Map.of();
    long appVersion;
    Status appStatus = Status.unknown();
    String leader = "";
    /** The round from which another unit may take the lease (its holder's agent stopped); -1: held. */
    long leaseFreeFrom = -1;
    /** Without DYING_LEADER_KEEPS_LEASE: a removed leader inside a hook hands the lease over once it ends. */
    private String handOverFrom = "";
    private int nextUnit;
    private final Map<Role, Integer> nextPrincipal = new HashMap<>();

    Controller(SimulatedModel model, Map<String, Object> config, BiConsumer<Role, SimulatedMachine> machineSetup) {
        this.model = model;
        this.config = config;
        this.machineSetup = machineSetup;
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
        SimulatedMachine machine = new SimulatedMachine(principal, model.store).useClock(model.clock::instant);
        machineSetup.accept(role, machine);
        machine.onRefresh(model.stepEvents::add);
        Uniter uniter = new Uniter(name, List.of(
                new Uniter.RelationState(PEER_ID, Charm.PEER_ENDPOINT, true, APP),
                new Uniter.RelationState(containerId(role), role.endpoint(), false, principalApp)));
        SimUnit unit = new SimUnit(name, role, principal, machine, uniter, model.round, model.steps);
        unit.updateStatusOffset = model.random.nextInt(Math.max(1, model.settings.updateStatusEvery()));
        units.put(name, unit);
        goalState = null;
        unitData.put(name, new Databag(Map.of(), 0));
        if (leader.isEmpty()) {
            leader = name;
        }
        model.note("add " + unit);
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
            unit.scopeRound = model.round;
            unit.scopeStep = model.steps;
        }
        for (SimUnit unit : liveUnits()) {
            Uniter.RelationState peer = unit.uniter.relation(PEER_ID);
            scope.keySet().stream().filter(n -> !n.equals(unit.name())).forEach(n -> peer.members.put(n, 0L));
        }
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
        model.note("remove " + unit);
        if (leader.equals(name) && !model.hostile(Hostility.DYING_LEADER_KEEPS_LEASE)) {
            handOverFrom = name;
            handOver();
        }
    }

    /** The kind model's hand-over of a removed leader's lease: at once, or when its hook in flight ends. */
    void handOver() {
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
        model.note("machine of " + unit + " died");
        if (leader.equals(name)) {
            leaseFreeFrom = model.round + LEASE_ROUNDS;
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
        model.note("force-removed " + unit);
        if (leader.equals(name) && leaseFreeFrom < 0) {
            leaseFreeFrom = model.round + LEASE_ROUNDS;
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
                && (!model.hostile(Hostility.LEASE_LOST_IN_LONG_HOOK) || model.round - current.inFlight.startRound() < LEASE_ROUNDS)) {
            return false;
        }
        leader = name.get();
        leaseFreeFrom = -1;
        model.note("leader -> " + leader);
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
        model.note("config " + changes);
    }

    /** The lease's holder stopped renewing it: an agent still running claims it (any of them may win). */
    boolean claimFreeLease() {
        List<SimUnit> candidates = units.values().stream().filter(u -> !u.gone() && !u.machineDown).toList();
        leaseFreeFrom = -1;
        if (candidates.isEmpty()) {
            return false;
        }
        leader = candidates.get(model.random.nextInt(candidates.size())).name();
        model.note("leader -> " + leader + " (lease expired)");
        return true;
    }

    /** What the controller tells the unit's agent (remotestate.Snapshot). */
    Uniter.Remote remote(SimUnit unit) {
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
                unit.scopeRound = model.round;
                unit.scopeStep = model.steps;
            }

            @Override
            public boolean reverseRelations() {
                return model.random.nextBoolean();
            }
        };
    }

    void becomeDead(SimUnit unit) {
        unit.life = SimUnit.Life.DEAD;
        goalState = null;
        unit.actions.clear();
        scope.remove(unit.name());
        for (String peer : List.copyOf(unitData.keySet())) {
            forgetIfUnseen(peer);
        }
        model.note(unit.name() + " removed");
        if (leader.equals(unit.name())) {
            leaseFreeFrom = model.round + LEASE_ROUNDS; // its agent stops: the lease runs out
        }
    }

    /** A gone unit's databag disappears once no unit still has it in its relation-list. */
    void forgetIfUnseen(String name) {
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

    void commitUnitData(SimUnit unit, Map<String, String> data) {
        long version = unitData.get(unit.name()).version() + 1;
        unitData.put(unit.name(), new Databag(data, version));
        if (scope.containsKey(unit.name())) {
            scope.put(unit.name(), version);
        }
        if (model.muteFanOut) {
            for (SimUnit other : units.values()) {
                Uniter.RelationState peer = other.uniter.relation(PEER_ID);
                if (peer.members.containsKey(unit.name())) {
                    peer.members.put(unit.name(), version);
                    other.uniter.cache.invalidate(unit.name());
                }
            }
        }
    }

    void commitAppData(Map<String, String> data) {
        appData = data;
        appVersion++;
        if (model.muteFanOut) {
            units.values().forEach(u -> u.uniter.relation(PEER_ID).appVersion = appVersion);
        }
    }

    /**
     * What {@code status-get --application=True} answers the leader, read when the hook calls it, as Juju's
     * controller answers it (apiserver uniter StatusAPI.ApplicationStatus: the application's units as state holds
     * them, each unit's workload status, or its agent's error while it is in hook error): every unit not yet dead,
     * a dying one and one whose machine is down included, with the status its hooks last set, at once when set
     * (a hook that then failed or was killed included). Dead units are gone from the application.
     */
    Map<String, io.snapcoherence.juju.WorkloadStatus> unitStatuses() {
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
    GoalState goalState() {
        if (goalState != null) {
            return goalState;
        }
        Map<String, Map<String, GoalState.Goal>> relations = new LinkedHashMap<>();
        String since = model.clock.instant().toString();
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

    static String containerId(Role role) {
        return role.endpoint() + (role == Role.CONTROL_PLANE ? ":1" : ":2");
    }

    Optional<String> randomLiveUnit(SimUnit except) {
        List<SimUnit> candidates = liveUnits().stream().filter(u -> u != except).toList();
        return candidates.isEmpty() ? Optional.empty()
                : Optional.of(candidates.get(model.random.nextInt(candidates.size())).name());
    }

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
}
