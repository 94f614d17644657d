package io.snapcoherence.snap.fakesnapd;

import io.snapcoherence.snap.contract.SnapdApiContract;
import io.snapcoherence.snap.contract.SnapdFixture;
import org.junit.jupiter.api.AfterAll;

/** The shared snapd contract, held to the fake snapd set up like the real 2.57.6 with a store. */
class FakeSnapd257ContractTest extends SnapdApiContract {
    private static final FakeSnapdFixture SNAPD = FakeSnapdFixture.storeBacked257();

    @Override
    protected SnapdFixture fixture() {
        return SNAPD;
    }

    @AfterAll
    static void stop() {
        SNAPD.close();
    }
}
