package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.contract.SnapdApiContract;
import io.snapcoherence.snap.contract.SnapdFixture;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract on Debian 13's snapd 2.68 as shipped: local snaps, per-snap holds. */
class RealSnapdLocalContractTest extends SnapdApiContract {
    @RegisterExtension
    static final RealSnapdExtension.Fixture SNAPD = new RealSnapdExtension.Fixture(RealSnapdFixture.Kind.LOCAL);

    @Override
    protected SnapdFixture fixture() {
        return SNAPD.get();
    }
}
