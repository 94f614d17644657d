package io.snapcoherence.snap.contract;

import java.nio.file.Path;

/**
 * A snapd to hold to {@link SnapdApiContract}: its socket and the set-up operations the contract needs. A real
 * snapd (io.snapcoherence.snap.realsnapd) and the project's fake snapd implement it.
 */
public interface SnapdFixture extends SnapdSetup {

    /** The socket snapd serves its REST API on. */
    Path socket();

    /** The {@code snap} CLI of the same version, talking to this snapd. */
    Path cli();
}
