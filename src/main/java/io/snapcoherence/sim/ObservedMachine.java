package io.snapcoherence.sim;

import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshPin;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapInfo;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.SnapVersion;
import io.snapcoherence.snap.Snaps;

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
    record Attempt(String snap, String channel, RefreshPin pin, Result result, Optional<String> failure) {
        /** Whether this call could have changed the machine (now or, for a change still running, later). */
        boolean started() {
            return result == Result.APPLIED || result == Result.STILL_RUNNING;
        }
    }

    /**
     * APPLIED: done within the call (or nothing to do); STILL_RUNNING: the CLI stopped waiting, snapd goes on;
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
    public void ack(byte[] assertions) {
        call();
        machine.ack(assertions);
    }

    @Override
    public List<String> knownStores() {
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
    public Map<String, SnapInfo> info(List<String> names) {
        call();
        return machine.info(names);
    }

    @Override
    public List<InstalledSnap> list() {
        call();
        return machine.list();
    }

    @Override
    public void refresh(String snap, String channel, RefreshPin pin, java.time.Duration wait) {
        call();
        try {
            machine.refresh(snap, channel, pin, wait);
            attempts.add(new Attempt(snap, channel, pin, Result.APPLIED, Optional.empty()));
        } catch (SnapException e) {
            Result result = e.error() instanceof SnapError.Timeout ? Result.STILL_RUNNING
                    : e.error() instanceof SnapError.ChangeInProgress ? Result.BUSY : Result.FAILED;
            attempts.add(new Attempt(snap, channel, pin, result,
                    result == Result.FAILED ? Optional.of(e.getMessage()) : Optional.empty()));
            throw e;
        }
    }

    @Override
    public void revert(String snap) {
        call();
        machine.revert(snap);
    }

    @Override
    public Map<String, String> createCohort(List<String> snaps) {
        call();
        return machine.createCohort(snaps);
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
    public List<SnapService> services(List<String> snaps) {
        call();
        return machine.services(snaps);
    }

    @Override
    public SnapVersion version() {
        call();
        return machine.version();
    }
}
