package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.contract.SnapsContract;
import io.snapcoherence.snap.contract.SnapsFixture;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The charm's {@code SnapdClient} held to the Snaps contract on Debian 12's snapd 2.57 with a store. */
class RealSnapdStoreSnapsContractTest extends SnapsContract {
    @RegisterExtension
    static final RealSnapdExtension.Fixture SNAPD = new RealSnapdExtension.Fixture(RealSnapdFixture.Kind.STORE);

    @Override
    protected SnapsFixture fixture() {
        return SNAPD.get();
    }
}
