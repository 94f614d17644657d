package io.snapcoherence.snap.fakesnapd;

import io.snapcoherence.snap.contract.SnapsContract;
import io.snapcoherence.snap.contract.SnapsFixture;
import org.junit.jupiter.api.AfterAll;

/**
 * The charm's {@code SnapdClient} held to the Snaps contract on the fake snapd, set up like the real 2.57.6 with a
 * store.
 */
class FakeSnapd257SnapsContractTest extends SnapsContract {
    private static final FakeSnapdFixture SNAPD = FakeSnapdFixture.storeBacked257();

    @Override
    protected SnapsFixture fixture() {
        return SNAPD;
    }

    @AfterAll
    static void stop() {
        SNAPD.close();
    }
}
