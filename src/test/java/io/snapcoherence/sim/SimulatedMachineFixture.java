package io.snapcoherence.sim;

import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.contract.SnapsFixture;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The simulator's machine as the Snaps contract's snapd: a store-backed snapd of the given version, seeded when the
 * fixture was set up (like the real snapds of the contract), on the system clock, a refresh change taking one
 * scheduler round to link-snap and one more to be done ({@link #letSnapdWork} is one round). A published revision
 * is served on the channels the snap was installed from and on {@code 1.29/stable}; a broken one fails its services'
 * start with systemd's words as the real snapd reports them (docs/real-snapd.md).
 */
final class SimulatedMachineFixture implements SnapsFixture {
    /** What the real snapd 2.57 reports when the stand-in systemctl fails a service's start. */
    static final String START_FAILED = "systemctl command [start snap.kubelet.daemon.service] failed with exit "
            + "status 1: Job for snap.kubelet.daemon.service failed because the control process exited with error "
            + "code.\nSee \"systemctl status snap.kubelet.daemon.service\" and \"journalctl -xeu "
            + "snap.kubelet.daemon.service\" for details.\n";

    private final String version;
    private final Map<String, Set<String>> installedFrom = new HashMap<>();
    private SimulatedStore store;
    private SimulatedMachine machine;

    private SimulatedMachineFixture(String version) {
        this.version = version;
        reset();
    }

    static SimulatedMachineFixture like257() {
        return new SimulatedMachineFixture("2.57.6-1+deb12u1+b2");
    }

    static SimulatedMachineFixture like268() {
        return new SimulatedMachineFixture("2.68.3-3+deb13u1+b7");
    }

    @Override
    public Snaps snaps() {
        return machine;
    }

    @Override
    public void letSnapdWork() {
        machine.advanceChanges();
    }

    @Override
    public boolean concurrent() {
        return false;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public boolean storeBacked() {
        return true;
    }

    @Override
    public boolean perSnapHolds() {
        return machine.systemInfo().perSnapHolds();
    }

    @Override
    public void publish(String snap, int revision) {
        Set<String> channels = new TreeSet<>(installedFrom.getOrDefault(snap, Set.of()));
        channels.add("1.29/stable");
        channels.forEach(channel -> store.publish(snap, channel, revision));
    }

    @Override
    public void publishBroken(String snap, int revision) {
        publish(snap, revision);
        machine.failAfterLink(snap, START_FAILED);
    }

    @Override
    public void install(String snap, String channel, int revision) {
        installedFrom.computeIfAbsent(snap, s -> new TreeSet<>()).add(channel);
        store.publish(snap, channel, revision);
        machine.install(snap, channel, revision);
    }

    @Override
    public String sideload(String snap, int revision, boolean broken) {
        throw new UnsupportedOperationException("the simulated machine installs from its store only");
    }

    @Override
    public void holdServiceStarts(String snap) {
        machine.holdServiceStarts(snap);
    }

    @Override
    public void releaseServiceStarts(String snap) {
        machine.releaseServiceStarts(snap);
    }

    @Override
    public void stopStore() {
        store.setOutage(true);
    }

    @Override
    public void startStore() {
        store.setOutage(false);
    }

    @Override
    public void reset() {
        installedFrom.clear();
        store = new SimulatedStore("contract-store");
        machine = new SimulatedMachine("machine-0", store).withVersion(version).useClock(Instant::now)
                .withSeedTime(Instant.now()).changesTakeRounds(1, 1);
    }
}
