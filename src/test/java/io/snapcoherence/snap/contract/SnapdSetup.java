package io.snapcoherence.snap.contract;

/**
 * What a test can make a snapd do or be, whatever it is reached through: its socket ({@link SnapdFixture}, for the
 * REST contract) or a {@code Snaps} ({@link SnapsFixture}). Real snapds (io.snapcoherence.snap.realsnapd), the
 * project's fake snapd and the simulator's machine implement it.
 *
 * <p>Test snaps: {@code kubectl} (a command, no services, like the real kubectl) and {@code kubelet} (one service,
 * {@code snap.kubelet.daemon}); revision {@code n} has version {@code 1.29.n}.
 */
public interface SnapdSetup {

    /** snapd's version as it reports it (GET /v2/system-info "version"). */
    String version();

    /**
     * Whether snaps come from a store (install, refresh and revert of store revisions, find?select=refresh);
     * otherwise only local snaps ({@code --dangerous}) can be installed.
     */
    boolean storeBacked();

    /** snapd ≥ 2.58: per-snap holds, {@code refresh.hold=forever}. */
    boolean perSnapHolds();

    /**
     * Store: the store now serves this revision of the snap (and no other) on every channel; where the store has
     * channel maps ({@code GET /v2/find?name=}), the channels the snap was installed from list it.
     */
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

    /** Back to the state every test starts from: no test snaps installed, no options set, store serving nothing. */
    void reset();
}
