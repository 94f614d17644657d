package io.snapcoherence.sim;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Status;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * One snap-coherence unit of the simulated model: its principal, its life in the controller's model, its unit
 * agent ({@link Uniter}: local state and relation cache), the actions queued for it, its committed unit store and
 * status, its machine, and its counters.
 */
public final class SimUnit {
    /** The unit's life in the controller's model (core/life): Dying once removed, Dead after its remove hook. */
    enum Life { ALIVE, DYING, DEAD }

    /** A hook that runs across rounds: it finishes ({@code completion}) in round {@code untilRound}. */
    /** A hook across rounds; {@code acted}: it has done all it does on the machine, only its commit is pending. */
    record InFlight(long startRound, long untilRound, HookEvent hook, boolean acted, Runnable completion) {
    }

    /** In a hook that has done all it does on its machine and waits only for its commit. */
    public boolean committing() {
        return inFlight != null && inFlight.acted();
    }

    private final String name;
    private final Role role;
    private final String principal;
    final ObservedMachine machine;
    final Uniter uniter;
    final Deque<HookEvent> actions = new ArrayDeque<>();
    final long addedRound;
    final long addedStep;
    /** When the unit entered the peer relation's scope (others can see it from then on); -1: not yet. */
    long scopeRound = -1;
    long scopeStep = -1;
    Map<String, String> store = Map.of();
    Status status = Status.unknown();
    /**
     * The hook that failed (exit non-zero, or its commit refused) while the unit waits for its retry; null when not
     * in hook error. Juju records a hook error in the unit agent's status, and the unit's workload status reads as
     * that error while it lasts (state/unit.go Unit.Status; the application's unit statuses likewise), whatever the
     * charm set before.
     */
    String hookError;
    Life life = Life.ALIVE;
    /** The machine is down: the agent runs nothing, snapd does nothing, the unit stays in its relations. */
    boolean machineDown;
    InFlight inFlight;
    /** How many rounds a hook that refreshes snaps takes on this unit (0: within its turn). */
    int refreshRounds;
    /** Kill the next hook after this many snap calls (-1: no kill pending). */
    int killAfterCalls = -1;
    /** The next hook runs to its end, then dies before its changes commit. */
    boolean killBeforeCommit;
    /** The next hook reads the model now and acts and commits this many rounds later (0: within its turn). */
    int slowNextHook;
    long hookRuns;
    long failedHooks;
    long ownWrites;
    int updateStatusOffset;
    long updateStatusTicks;

    SimUnit(String name, Role role, String principal, SimulatedMachine machine, Uniter uniter, long addedRound,
            long addedStep) {
        this.name = name;
        this.role = role;
        this.principal = principal;
        this.machine = new ObservedMachine(machine);
        this.uniter = uniter;
        this.addedRound = addedRound;
        this.addedStep = addedStep;
    }

    public String name() {
        return name;
    }

    public Role role() {
        return role;
    }

    public String principal() {
        return principal;
    }

    public SimulatedMachine machine() {
        return machine.machine();
    }

    public Status status() {
        return status;
    }

    public Map<String, String> unitStore() {
        return store;
    }

    /** Alive in the model (not removed), whether or not its machine is up. */
    public boolean alive() {
        return life == Life.ALIVE;
    }

    /** Removed and gone through its tear-down hooks, or force-removed: Dead. */
    public boolean gone() {
        return life == Life.DEAD;
    }

    public boolean dying() {
        return life == Life.DYING;
    }

    public boolean machineUp() {
        return !machineDown;
    }

    /** Alive and on a machine that is up: a unit that can still act. */
    public boolean running() {
        return alive() && !machineDown;
    }

    /** Inside a hook that runs across rounds. */
    public boolean busy() {
        return inFlight != null;
    }

    /**
     * Whether a hook running across rounds is this unit's {@code -departed} hook for {@code peer}: it read the
     * model when it started, and the unit reads that peer no more after it.
     */
    public boolean departingInFlight(String peer) {
        return inFlight != null && inFlight.hook().event() instanceof io.snapcoherence.juju.Event.Relation r
                && r.departingUnit().equals(java.util.Optional.of(peer));
    }

    /** The round the unit was added in. */
    public long addedRound() {
        return addedRound;
    }

    /** Whether the unit had entered the peer relation's scope (visible to the others' agents) by that step. */
    public boolean inScopeBy(long step) {
        return scopeStep >= 0 && scopeStep <= step;
    }

    public long hookRuns() {
        return hookRuns;
    }

    public long failedHooks() {
        return failedHooks;
    }

    /** Committed changes to this unit's databags (its own unit databag, and the app databag while leader). */
    public long ownWrites() {
        return ownWrites;
    }

    /** The peers this unit's agent has seen join and not depart (relation-list outside a hook). */
    public List<String> peersSeen() {
        return uniter.peers();
    }

    @Override
    public String toString() {
        return name + " (" + principal + ")";
    }
}
