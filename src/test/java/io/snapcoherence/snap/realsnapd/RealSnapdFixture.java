package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.Json;
import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.contract.SnapdFixture;
import io.snapcoherence.snap.contract.SnapdHttp;
import io.snapcoherence.snap.contract.SnapsFixture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A real snapd for the contract, in one of two set-ups:
 * <ul>
 *   <li>{@link Kind#STORE}: Debian 12's snapd rebuilt with test keys, its store snapd's fakestore: snaps are
 *       installed, refreshed and reverted from the store, as on a node;</li>
 *   <li>{@link Kind#LOCAL}: Debian 13's snapd as shipped (2.68, per-snap holds); it accepts only assertions signed
 *       by the real store's keys, so snaps are local ({@code --dangerous}). Its store address is a fakestore too,
 *       which answers its background requests at once.</li>
 * </ul>
 * Either way the base {@code bare} and the {@code snapd} snap are installed first (locally; the snapd snap makes
 * snapd restart), and every test starts from that state ({@link #reset}). As a {@link SnapsFixture} it is the
 * charm's own client ({@link SnapdClient}) on this snapd's socket.
 */
public final class RealSnapdFixture implements SnapdFixture, SnapsFixture, AutoCloseable {
    private static final Duration CHANGE_LIMIT = Duration.ofSeconds(60);

    public enum Kind { STORE, LOCAL }

    private final Kind kind;
    private final String version;
    private final SnapdFakestore store;
    private final SnapdProcess snapd;
    private final TestSnaps snaps;
    private final Path snapsDir;
    /** The channels each test snap was installed from: the store's channel map lists what it serves on them. */
    private final Map<String, Set<String>> installedFrom = new HashMap<>();

    private RealSnapdFixture(Kind kind, String version, SnapdFakestore store, SnapdProcess snapd, TestSnaps snaps,
                             Path snapsDir) {
        this.kind = kind;
        this.version = version;
        this.store = store;
        this.snapd = snapd;
        this.snaps = snaps;
        this.snapsDir = snapsDir;
    }

    public static RealSnapdFixture start(RealSnapdBuild build, Kind kind) {
        Path packageRoot = kind == Kind.STORE ? build.testkeysRoot() : build.stockRoot();
        SnapdFakestore store = new SnapdFakestore(build.fakestore());
        SnapdProcess snapd = null;
        Path snapsDir = null;
        try {
            store.start();
            snapd = SnapdProcess.start(packageRoot, store.url());
            snapsDir = SnapdProcess.ownedTempDirectory("realsnapdsnaps");
            TestSnaps snaps = new TestSnaps(snapsDir, packageRoot.resolve("usr/lib/snapd/info"));
            RealSnapdFixture fixture = new RealSnapdFixture(kind,
                    kind == Kind.STORE ? build.testkeysVersion() : build.stockVersion(), store, snapd, snaps, snapsDir);
            fixture.awaitSeeded();
            fixture.awaitDone(fixture.sideload("bare", 1, false));
            fixture.awaitDone(fixture.sideload("snapd", 1, false));
            return fixture;
        } catch (IOException | RuntimeException e) {
            if (snapd != null) {
                snapd.close();
            }
            store.close();
            if (snapsDir != null) {
                SnapdProcess.cleanUp(snapsDir);
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * A new snapd seeds first (an empty seed on classic: change "Initialize system state"); until then it refuses
     * changes ("too early for operation, device not yet seeded or device model not acknowledged"). This is what
     * {@code snap wait system seed.loaded} waits for.
     */
    private void awaitSeeded() {
        Instant deadline = Instant.now().plus(CHANGE_LIMIT);
        while (!"true".equals(Json.write(http().get("/v2/snaps/system/conf?keys=seed.loaded").resultMap().get("seed.loaded")))) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("snapd not seeded after " + CHANGE_LIMIT.toSeconds() + " s");
            }
            pause();
        }
    }

    public SnapdProcess process() {
        return snapd;
    }

    public SnapdHttp http() {
        return snapd.http();
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
        return kind == Kind.STORE;
    }

    @Override
    public boolean perSnapHolds() {
        return kind == Kind.LOCAL;
    }

    @Override
    public Snaps snaps() {
        return new SnapdClient(socket());
    }

    @Override
    public void publish(String snap, int revision) {
        requireStore();
        store.publish(snap, snaps.file(snap, revision, false), revision, TestSnaps.version(revision),
                channelsOf(snap));
    }

    @Override
    public void publishBroken(String snap, int revision) {
        requireStore();
        store.publish(snap, snaps.file(snap, revision, true), revision, TestSnaps.version(revision),
                channelsOf(snap));
    }

    private synchronized Set<String> channelsOf(String snap) {
        return new TreeSet<>(installedFrom.getOrDefault(snap, Set.of()));
    }

    @Override
    public void install(String snap, String channel, int revision) {
        if (kind == Kind.STORE) {
            synchronized (this) {
                installedFrom.computeIfAbsent(snap, s -> new TreeSet<>()).add(channel);
            }
            publish(snap, revision);
            SnapdHttp.Response answer = http().post("/v2/snaps/" + snap,
                    Map.of("action", "install", "channel", channel, "revision", Integer.toString(revision)));
            awaitDone(asyncChange(answer));
        } else {
            awaitDone(sideload(snap, revision, false));
        }
    }

    @Override
    public String sideload(String snap, int revision, boolean broken) {
        Path file = snaps.file(snap, revision, broken);
        try {
            return asyncChange(http().sideload(Files.readAllBytes(file), file.getFileName().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void holdServiceStarts(String snap) {
        try {
            Files.createDirectories(snapd.standinState().resolve("hold"));
            Files.writeString(snapd.standinState().resolve("hold").resolve(snap), "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void releaseServiceStarts(String snap) {
        try {
            Files.deleteIfExists(snapd.standinState().resolve("hold").resolve(snap));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stopStore() {
        store.stop();
    }

    @Override
    public void startStore() {
        store.start();
    }

    @Override
    public Path cli() {
        return snapd.cli();
    }

    @Override
    public void reset() {
        for (String snap : TestSnaps.APPS) {
            releaseServiceStarts(snap);
        }
        store.start();
        awaitNoChangeInProgress();
        for (String snap : TestSnaps.APPS) {
            if (http().get("/v2/snaps/" + snap).status() == 200) {
                awaitDone(asyncChange(http().post("/v2/snaps/" + snap, Map.of("action", "remove", "purge", true))));
            }
            if (kind == Kind.STORE) {
                store.unpublish(snap);
            }
        }
        synchronized (this) {
            installedFrom.clear();
        }
        Map<String, Object> unset = new java.util.LinkedHashMap<>();
        unset.put("refresh.hold", null);
        unset.put("proxy.store", null);
        SnapdHttp.Response answer = http().put("/v2/snaps/system/conf", unset);
        if (answer.status() == 202) {
            awaitDone(answer.change());
        }
    }

    /** Polls the change until snapd says it is ready; fails unless it ended Done. */
    public Map<String, Object> awaitDone(String change) {
        Map<String, Object> result = awaitReady(change);
        if (!"Done".equals(result.get("status"))) {
            throw new IllegalStateException("change " + change + " ended " + result.get("status") + ": " + result.get("err"));
        }
        return result;
    }

    /** Polls the change until ready (snapd may be restarting meanwhile); returns its last state. */
    public Map<String, Object> awaitReady(String change) {
        Instant deadline = Instant.now().plus(CHANGE_LIMIT);
        while (true) {
            try {
                SnapdHttp.Response answer = http().get("/v2/changes/" + change);
                if (answer.status() == 200 && Boolean.TRUE.equals(answer.resultMap().get("ready"))) {
                    return answer.resultMap();
                }
            } catch (UncheckedIOException restarting) {
                snapd.awaitSocket();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("change " + change + " not ready after " + CHANGE_LIMIT.toSeconds() + " s");
            }
            pause();
        }
    }

    private void awaitNoChangeInProgress() {
        Instant deadline = Instant.now().plus(CHANGE_LIMIT);
        while (!http().get("/v2/changes?select=in-progress").resultList().isEmpty()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("changes still in progress after " + CHANGE_LIMIT.toSeconds() + " s: "
                        + http().get("/v2/changes?select=in-progress").raw());
            }
            pause();
        }
    }

    private static String asyncChange(SnapdHttp.Response answer) {
        if (answer.status() != 202 || !"async".equals(answer.type())) {
            throw new IllegalStateException("snapd refused: " + answer);
        }
        return answer.change();
    }

    private void requireStore() {
        if (kind != Kind.STORE) {
            throw new UnsupportedOperationException("snapd " + version + " runs without a store it trusts");
        }
    }

    private static void pause() {
        try {
            Thread.sleep(25); // paces a poll with a deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            snapd.close();
        } finally {
            store.close();
            SnapdProcess.cleanUp(snapsDir);
        }
    }
}
