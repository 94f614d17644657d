package io.snapcoherence.sim;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Status;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One snap-coherence unit of the simulated model: its principal, its hook queue, what it has seen of the
 * peer relation, its committed unit store and status, its machine, and its counters.
 */
public final class SimUnit {
    private final String name;
    private final Role role;
    private final String principal;
    final ObservedMachine machine;
    final Deque<HookEvent> queue = new ArrayDeque<>();
    final Set<String> pendingKeys = new HashSet<>();
    /** Remote peers whose -joined ran here and whose -departed has not: what relation-list shows. */
    final Set<String> peersSeen = new LinkedHashSet<>();
    /**
     * Peers whose {@code -joined} hook committed on this unit: what its charm has acted on. A killed or failed
     * {@code -joined} shows the peer in relation-list ({@link #peersSeen}) but taught the charm nothing yet.
     */
    final Set<String> peersJoined = new LinkedHashSet<>();
    Map<String, String> store = Map.of();
    Status status = Status.unknown();
    boolean dying;
    boolean gone;
    /** A slow hook (a long snap refresh) holds the unit until this round, then commits. */
    long busyUntilRound;
    Runnable pendingCommit;
    /** How many rounds a hook that refreshes snaps takes on this unit (0: within its turn). */
    int refreshRounds;
    /** Kill the next hook after this many snap calls (-1: no kill pending). */
    int killAfterCalls = -1;
    long hookRuns;
    long failedHooks;
    long ownWrites;
    int updateStatusOffset;

    SimUnit(String name, Role role, String principal, SimulatedMachine machine) {
        this.name = name;
        this.role = role;
        this.principal = principal;
        this.machine = new ObservedMachine(machine);
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

    public boolean alive() {
        return !dying && !gone;
    }

    public boolean gone() {
        return gone;
    }

    public boolean busy() {
        return pendingCommit != null;
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

    public int pendingHooks() {
        return queue.size();
    }

    public Set<String> peersSeen() {
        return Set.copyOf(peersSeen);
    }

    @Override
    public String toString() {
        return name + " (" + principal + ")";
    }
}
