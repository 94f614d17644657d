package io.snapcoherence.sim;

import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshPin;
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
    record Attempt(String snap, String channel, RefreshPin pin, Optional<String> failure) {
    }

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
    public void refresh(String snap, String channel, RefreshPin pin) {
        call();
        try {
            machine.refresh(snap, channel, pin);
            attempts.add(new Attempt(snap, channel, pin, Optional.empty()));
        } catch (SnapException e) {
            attempts.add(new Attempt(snap, channel, pin, Optional.of(e.getMessage())));
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
