package io.snapcoherence.snap.contract;

import io.snapcoherence.snap.Snaps;


/**
 * An implementation of {@link Snaps} to hold to {@link SnapsContract}, with the set-up operations of the snapd
 * behind it: the charm's client on a real snapd or on the fake snapd, or the simulator's in-memory machine.
 */
public interface SnapsFixture extends SnapdSetup {

    /** The implementation under test, on this fixture's snapd. */
    Snaps snaps();

    /**
     * Lets snapd work on its changes a little. A real snapd and the fake work on their own while the test polls;
     * the simulated machine's time passes only between hooks, one scheduler round per call.
     */
    default void letSnapdWork() {
    }

    /**
     * Whether {@link #snaps()} may be called from several threads at once, as a snapd's socket may; the simulated
     * machine is one hook's view of snapd and is not.
     */
    default boolean concurrent() {
        return true;
    }
}
