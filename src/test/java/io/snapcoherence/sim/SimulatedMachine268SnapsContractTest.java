package io.snapcoherence.sim;

import io.snapcoherence.snap.contract.SnapsContract;
import io.snapcoherence.snap.contract.SnapsFixture;

/** The simulator's machine held to the Snaps contract, as a snapd 2.68 (per-snap holds) with a store. */
class SimulatedMachine268SnapsContractTest extends SnapsContract {
    private final SimulatedMachineFixture machine = SimulatedMachineFixture.like268();

    @Override
    protected SnapsFixture fixture() {
        return machine;
    }
}
