package io.snapcoherence.snap.contract;

import java.nio.file.Path;

/**
 * A snapd to hold to {@link SnapdApiContract}: its socket and the set-up operations the contract needs. A real
 * snapd (io.snapcoherence.snap.realsnapd) and the project's fake snapd implement it.
 *
 * <p>Test snaps: {@code kubectl} (a command, no services, like the real kubectl) and {@code kubelet} (one service,
 * {@code snap.kubelet.daemon}); revision {@code n} has version {@code 1.29.n}. All use base {@code bare}.
 */
public interface SnapdFixture {

    /** The socket snapd serves its REST API on. */
    Path socket();

    /** snapd's version as it reports it (GET /v2/system-info "version"). */
    String version();

    /**
     * Whether snaps come from a store (install, refresh and revert of store revisions, find?select=refresh);
     * otherwise only local snaps ({@code --dangerous}) can be installed.
     */
    boolean storeBacked();

    /** snapd ≥ 2.58: per-snap holds, {@code refresh.hold=forever}. */
    boolean perSnapHolds();

    /** Store: the store now serves this revision of the snap (and no other) on every channel. */
    void publish(String snap, int revision);

    /** Store: like {@link #publish}, but the revision's services fail to start (a broken release). */
    void publishBroken(String snap, int revision);

    /**
     * Installs the snap and waits until snapd is done. Store: this revision from the store, tracking the channel.
     * Local: the revision's file as a local snap (the channel is not used; snapd names the revision x1, x2, …).
     */
    void install(String snap, String channel, int revision);

    /** Local: sends the revision's file as a local snap ({@code snap install --dangerous}); returns the change id. */
    String sideload(String snap, int revision, boolean broken);

    /** From now on, starting the snap's services waits (the change stays in Doing) until released. */
    void holdServiceStarts(String snap);

    void releaseServiceStarts(String snap);

    /** Store: the store stops answering (connections refused) until {@link #startStore}. */
    void stopStore();

    void startStore();

    /** The {@code snap} CLI of the same version, talking to this snapd. */
    Path cli();

    /** Back to the state every test starts from: no test snaps installed, no options set, store serving nothing. */
    void reset();
}
