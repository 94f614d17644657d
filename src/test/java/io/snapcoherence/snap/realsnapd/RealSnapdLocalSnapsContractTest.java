package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.contract.SnapsContract;
import io.snapcoherence.snap.contract.SnapsFixture;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The charm's {@code SnapdClient} held to the Snaps contract on Debian 13's snapd 2.68: local snaps, holds. */
class RealSnapdLocalSnapsContractTest extends SnapsContract {
    @RegisterExtension
    static final RealSnapdExtension.Fixture SNAPD = new RealSnapdExtension.Fixture(RealSnapdFixture.Kind.LOCAL);

    @Override
    protected SnapsFixture fixture() {
        return SNAPD.get();
    }
}
