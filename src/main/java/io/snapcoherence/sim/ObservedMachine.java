package io.snapcoherence.sim;

import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapInfo;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.SystemInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The unit's view of its {@link SimulatedMachine} during one hook: records every refresh attempt and whether
 * snapd refused it (ground truth for the invariants, failures included, which the machine's history omits),
 * and can kill the hook process after a number of snap calls, as a machine crash or OOM kill would.
 */
final class ObservedMachine implements Snaps {

    /** A refresh the charm asked for and how it ended. */
    record Attempt(String snap, String channel, int revision, Result result, Optional<String> failure) {
        /** Whether this call could have changed the machine (now or, for a change still running, later). */
        boolean started() {
            return result == Result.APPLIED || result == Result.STILL_RUNNING;
        }
    }

    /**
     * APPLIED: done within the call (or nothing to do); STILL_RUNNING: snapd's change goes on after the call;
     * BUSY: refused because a change on the snap is running; FAILED: snapd refused or the change failed.
     */
    enum Result { APPLIED, STILL_RUNNING, BUSY, FAILED }

    /** Thrown out of the charm (not a RuntimeException: the charm must not be able to catch it). */
    static final class HookKilled extends Error {
        HookKilled() {
            super("hook process killed", null, false, false);
        }
    }

    private final SimulatedMachine machine;
    private final List<Attempt> attempts = new ArrayList<>();
    private int callsBeforeKill = -1;

    ObservedMachine(SimulatedMachine machine) {
        this.machine = machine;
    }

    SimulatedMachine machine() {
        return machine;
    }

    /** Starts a hook: forget the last hook's attempts; kill after {@code callsBeforeKill} calls (-1: never). */
    void begin(int callsBeforeKill) {
        attempts.clear();
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
    public void ack(byte[] assertions) {
        call();
        machine.ack(assertions);
    }

    @Override
    public List<StoreAssertion> knownStores() {
        call();
        return machine.knownStores();
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
    public Map<String, SnapInfo> info(List<String> names) {
        call();
        return machine.info(names);
    }

    @Override
    public List<RefreshCandidate> refreshCandidates() {
        call();
        return machine.refreshCandidates();
    }

    @Override
    public List<InstalledSnap> list() {
        call();
        return machine.list();
    }

    @Override
    public String startRefresh(String snap, String channel, int revision) {
        call();
        try {
            String id = machine.startRefresh(snap, channel, revision);
            boolean finished = machine.peekChange(id).map(Change::ready).orElse(true);
            attempts.add(new Attempt(snap, channel, revision, finished ? Result.APPLIED : Result.STILL_RUNNING,
                    Optional.empty()));
            return id;
        } catch (SnapException e) {
            Result result = e.error() instanceof SnapError.NoUpdateAvailable ? Result.APPLIED
                    : e.error() instanceof SnapError.ChangeConflict ? Result.BUSY : Result.FAILED;
            attempts.add(new Attempt(snap, channel, revision, result,
                    result == Result.FAILED ? Optional.of(e.getMessage()) : Optional.empty()));
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
        return machine.change(id);
    }

    @Override
    public Change await(String id, Duration wait) {
        call();
        return machine.await(id, wait);
    }

    @Override
    public List<Change> changesInProgress(String snap) {
        call();
        return machine.changesInProgress(snap);
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

    @Override
    public List<SnapService> services() {
        call();
        return machine.services();
    }
}
