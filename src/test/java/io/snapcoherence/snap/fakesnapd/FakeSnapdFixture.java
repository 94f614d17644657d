package io.snapcoherence.snap.fakesnapd;

import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.contract.SnapdFixture;
import io.snapcoherence.snap.contract.SnapsFixture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The fake snapd as the shared contract's snapd, in the two set-ups the real ones run: like 2.57 with a store
 * (installs, refreshes and reverts of store revisions) and like 2.68 with local snaps only (files sent to snapd,
 * per-snap holds). The contract's test snaps: kubelet has the service {@code daemon}, kubectl none; revision n has
 * version 1.29.n; the base {@code bare} and the {@code snapd} snap are installed like on the real machines. Like
 * the real snapd with a store, a published revision is served on every channel, and the store's channel map lists it
 * on the channels the snap was installed from. As a {@link SnapsFixture} it is the charm's own client
 * ({@link SnapdClient}) on the fake's socket.
 */
final class FakeSnapdFixture implements SnapdFixture, SnapsFixture, AutoCloseable {
    /** How long the real snapd retries a store that refuses connections before it answers (docs/real-snapd.md). */
    static final Duration STORE_RETRIES = Duration.ofSeconds(32);

    private final boolean storeBacked;
    private final String version;
    private final Path root;
    private final FakeSnapd snapd;
    private final Map<String, Set<String>> installedFrom = new HashMap<>();

    private FakeSnapdFixture(boolean storeBacked, String version) {
        this.storeBacked = storeBacked;
        this.version = version;
        try {
            root = Files.createTempDirectory("fake-snapd-contract");
            snapd = FakeSnapd.at(root.resolve("run/snapd.socket"),
                    new FakeSnapdState(Clock.systemUTC()).version(version));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        snapd.state().install("bare", "base", "", -1, "1.0").install("snapd", "snapd", "", -1, "2.57.6");
    }

    static FakeSnapdFixture storeBacked257() {
        return new FakeSnapdFixture(true, "2.57.6-1+deb12u1+b2");
    }

    static FakeSnapdFixture local268() {
        return new FakeSnapdFixture(false, "2.68.3-3+deb13u1+b7");
    }

    private FakeSnapdState state() {
        return snapd.state();
    }

    private static String[] services(String snap) {
        return snap.equals("kubelet") ? new String[] {"daemon"} : new String[0];
    }

    private static String version(int revision) {
        return "1.29." + revision;
    }

    @Override
    public Path socket() {
        return snapd.socket();
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public boolean storeBacked() {
        return storeBacked;
    }

    @Override
    public boolean perSnapHolds() {
        return state().perSnapHolds();
    }

    @Override
    public Snaps snaps() {
        return new SnapdClient(socket());
    }

    @Override
    public void publish(String snap, int revision) {
        state().publishEverywhere(snap, revision, version(revision));
        channelsOf(snap).forEach(channel -> state().publish(snap, channel, revision, version(revision)));
    }

    @Override
    public void publishBroken(String snap, int revision) {
        publish(snap, revision);
        state().breakRevision(snap, revision);
    }

    private synchronized Set<String> channelsOf(String snap) {
        return new TreeSet<>(installedFrom.getOrDefault(snap, Set.of()));
    }

    @Override
    public void install(String snap, String channel, int revision) {
        if (storeBacked) {
            synchronized (this) {
                installedFrom.computeIfAbsent(snap, s -> new TreeSet<>()).add(channel);
            }
            publish(snap, revision); // snapd's test store keeps serving what it installed from
            state().install(snap, "app", channel, revision, version(revision), services(snap));
        } else {
            state().sideload(snap, version(revision), false, services(snap));
        }
    }

    @Override
    public String sideload(String snap, int revision, boolean broken) {
        return state().sideload(snap, version(revision), broken, services(snap));
    }

    @Override
    public void holdServiceStarts(String snap) {
        state().holdServiceStarts(snap);
    }

    @Override
    public void releaseServiceStarts(String snap) {
        state().releaseServiceStarts(snap);
    }

    @Override
    public void stopStore() {
        state().storeUnreachable(true, STORE_RETRIES);
    }

    @Override
    public void startStore() {
        state().storeUnreachable(false);
    }

    /** The fake has no CLI of its own: any snap CLI given SNAPPY_GLOBAL_ROOT talks to it (bench/snapd-calls.sh). */
    @Override
    public Path cli() {
        throw new UnsupportedOperationException("the fake snapd has no snap CLI of its own");
    }

    @Override
    public void reset() {
        state().reset();
        synchronized (this) {
            installedFrom.clear();
        }
    }

    @Override
    public void close() {
        snapd.close();
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
