package io.snapcoherence.sim;

import io.snapcoherence.snap.contract.SnapsContract;
import io.snapcoherence.snap.contract.SnapsFixture;

/** The simulator's machine held to the Snaps contract, as a snapd 2.57 (refresh.hold only) with a store. */
class SimulatedMachine257SnapsContractTest extends SnapsContract {
    private final SimulatedMachineFixture machine = SimulatedMachineFixture.like257();

    @Override
    protected SnapsFixture fixture() {
        return machine;
    }
}
