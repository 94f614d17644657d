package io.snapcoherence.sim;

import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.SystemInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The unit's view of its {@link SimulatedMachine} during one hook: records every refresh the charm asked snapd to
 * start and how snapd answered, and every refresh change the charm saw fail (ground truth for the invariants,
 * failures included, which the machine's history omits), and can kill the hook process after a number of requests,
 * as a machine crash or OOM kill would.
 */
final class ObservedMachine implements Snaps, io.snapcoherence.kube.NodeHealth, io.snapcoherence.juju.CharmDir {

    /** A refresh the charm asked for and how snapd answered, or a refresh change the charm saw end in failure. */
    record Attempt(String snap, String channel, int revision, Result result, Optional<String> failure) {
        /** Whether this request started a change that can move the machine (now or later). */
        boolean started() {
            return result == Result.STARTED;
        }

        /** Whether the charm asked snapd to start something (snapd may have refused). */
        boolean requested() {
            return result != Result.CHANGE_FAILED;
        }
    }

    /**
     * STARTED: snapd made a change; BUSY: refused, a change of the snap is in progress; NOT_NOW: refused for a
     * passing reason (store or snapd unreachable); FAILED: refused outright; CHANGE_FAILED: not a request, the charm
     * read a refresh change that ended in failure.
     */
    enum Result { STARTED, BUSY, NOT_NOW, FAILED, CHANGE_FAILED }

    /** Thrown out of the charm (not a RuntimeException: the charm must not be able to catch it). */
    static final class HookKilled extends Error {
        HookKilled() {
            super("hook process killed", null, false, false);
        }
    }

    private final SimulatedMachine machine;
    private final List<Attempt> attempts = new ArrayList<>();
    private final Set<String> failuresSeen = new HashSet<>();
    private int callsBeforeKill = -1;

    @Override
    public Answer check(Endpoint endpoint, Duration within) {
        return machine.check(endpoint, within);
    }

    ObservedMachine(SimulatedMachine machine) {
        this.machine = machine;
    }

    SimulatedMachine machine() {
        return machine;
    }

    /** Starts a hook: forget the last hook's attempts; kill after {@code callsBeforeKill} calls (-1: never). */
    void begin(int callsBeforeKill) {
        attempts.clear();
        failuresSeen.clear();
        this.callsBeforeKill = callsBeforeKill;
    }

    List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    private void call() {
        if (callsBeforeKill == 0) {
            throw new HookKilled();
        }
        if (callsBeforeKill > 0) {
            callsBeforeKill--;
        }
    }

    @Override
    public SystemInfo systemInfo() {
        call();
        return machine.systemInfo();
    }

    @Override
    public List<InstalledSnap> list() {
        call();
        return machine.list();
    }

    @Override
    public List<SnapService> services() {
        call();
        return machine.services();
    }

    @Override
    public java.util.Map<String, List<Integer>> laterRevisions() {
        call();
        return machine.laterRevisions();
    }

    @Override
    public List<RefreshCandidate> refreshCandidates() {
        call();
        return machine.refreshCandidates();
    }

    @Override
    public String startRefresh(String snap, String channel, int revision) {
        call();
        try {
            String id = machine.startRefresh(snap, channel, revision);
            attempts.add(new Attempt(snap, channel, revision, Result.STARTED, Optional.empty()));
            return id;
        } catch (SnapException e) {
            SnapError error = e.error();
            Result result = error instanceof SnapError.ChangeConflict ? Result.BUSY
                    : error.isTransient() || error instanceof SnapError.BadResponse ? Result.NOT_NOW : Result.FAILED;
            attempts.add(new Attempt(snap, channel, revision, result,
                    result == Result.FAILED ? Optional.of(error.describe()) : Optional.empty()));
            throw e;
        }
    }

    @Override
    public String startRevert(String snap) {
        call();
        return machine.startRevert(snap);
    }

    @Override
    public Change change(String id) {
        call();
        return seen(machine.change(id));
    }

    @Override
    public Change await(String id, Duration wait) {
        call();
        return seen(machine.await(id, wait));
    }

    @Override
    public List<Change> changesInProgress(String snap) {
        call();
        return machine.changesInProgress(snap);
    }

    /** A refresh change read in failure is a failure the charm knows of (reported when its hook commits). */
    private Change seen(Change change) {
        if (change.failed() && failuresSeen.add(change.id())) {
            machine.refreshOf(change.id()).ifPresent(snap -> attempts.add(new Attempt(snap, "", 0,
                    Result.CHANGE_FAILED, Optional.of(change.error().orElse(change.status())
                    .replaceAll("\\s*\\n\\s*", " ")))));
        }
        return change;
    }

    @Override
    public void ack(byte[] assertions) {
        call();
        machine.ack(assertions);
    }

    @Override
    public List<StoreAssertion> knownStores() {
        call();
        return machine.knownStores();
    }

    // The charm directory is the machine's disk, not a request to snapd: a kill lands between snapd's requests, so
    // one before the request that follows a write (setting proxy.store after writing the intent) leaves the file.

    @Override
    public Optional<String> read(String name) {
        return machine.read(name);
    }

    @Override
    public void write(String name, String text) {
        machine.write(name, text);
    }

    @Override
    public void delete(String name) {
        machine.delete(name);
    }

    @Override
    public Optional<String> getSystem(String key) {
        call();
        return machine.getSystem(key);
    }

    @Override
    public void setSystem(String key, String value) {
        call();
        machine.setSystem(key, value);
    }

    @Override
    public void unsetSystem(String key) {
        call();
        machine.unsetSystem(key);
    }

    @Override
    public void hold(List<String> snaps) {
        call();
        machine.hold(snaps);
    }

    @Override
    public void unhold(List<String> snaps) {
        call();
        machine.unhold(snaps);
    }
}
