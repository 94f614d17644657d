package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.fakestore.FakeAssertions;
import io.snapcoherence.snap.fakestore.FakeSnapStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real snapd ({@code /usr/lib/snapd/snapd}, no systemd) pointed at a {@link FakeSnapStore} through
 * {@code SNAPPY_FORCE_API_URL}. Only one snapd can run on a machine (one {@code /run/snapd.socket}), so one
 * instance serves the whole test run; see {@link RealSnapdExtension}.
 */
public final class RealSnapd implements AutoCloseable {
    public static final Path DAEMON = Path.of("/usr/lib/snapd/snapd");
    public static final Path SOCKET = Path.of("/run/snapd.socket");
    public static final Path SNAP = Path.of("/usr/bin/snap");
    /** snapd's on-disk assertion database; lookups read it directly. */
    private static final Path STORE_ASSERTIONS = Path.of("/var/lib/snapd/assertions/asserts-v0/store");
    private static final Duration START_DEADLINE = Duration.ofSeconds(30);

    private final FakeSnapStore store;
    private final Process daemon;
    private final Path log;

    private RealSnapd(FakeSnapStore store, Process daemon, Path log) {
        this.store = store;
        this.daemon = daemon;
        this.log = log;
    }

    /** Why a real snapd cannot run here, or empty when it can. */
    static java.util.Optional<String> unavailableReason() {
        if (!Files.isExecutable(DAEMON) || !Files.isExecutable(SNAP)) {
            return java.util.Optional.of(DAEMON + " or " + SNAP + " missing (apt-get install snapd squashfs-tools)");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return java.util.Optional.of("snapd must run as root");
        }
        if (Files.exists(SOCKET)) {
            return java.util.Optional.of(SOCKET + " exists: another snapd is running on this machine");
        }
        return java.util.Optional.empty();
    }

    static RealSnapd start() throws IOException, InterruptedException {
        FakeSnapStore store = new FakeSnapStore();
        Path log = Files.createTempFile("snapd-contract-", ".log");
        ProcessBuilder builder = new ProcessBuilder(DAEMON.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("SNAPPY_FORCE_API_URL", store.url() + "/");
        builder.environment().put("SNAPD_STANDBY_WAIT", "10m");
        Process daemon = builder.start();
        RealSnapd snapd = new RealSnapd(store, daemon, log);
        Instant deadline = Instant.now().plus(START_DEADLINE);
        while (!Files.exists(SOCKET)) {
            if (!daemon.isAlive() || Instant.now().isAfter(deadline)) {
                String output = Files.readString(log, StandardCharsets.UTF_8);
                snapd.close();
                throw new IllegalStateException("snapd did not open " + SOCKET + " within " + START_DEADLINE.toSeconds()
                        + "s (alive: " + daemon.isAlive() + "); its output:\n" + output);
            }
            Thread.sleep(50); // polling a condition with a deadline, not synchronising on time
        }
        return snapd;
    }

    public FakeSnapStore store() {
        return store;
    }

    /** The charm's client of snapd's REST API on this snapd's socket. */
    public SnapdClient client() {
        return new SnapdClient(SOCKET);
    }

    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Puts a store assertion straight into snapd's assertion database, as if a Canonical-signed one had been
     * acknowledged: {@code snap ack} refuses self-made assertions (signature verification against snapd's
     * built-in trusted keys), yet {@code snap set core proxy.store} and {@code snap known store} need one.
     */
    public void installStoreAssertion(String storeId) {
        try {
            Path dir = STORE_ASSERTIONS.resolve(storeId);
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("active"), FakeAssertions.store(storeId, store.url().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Undoes what tests change: proxy.store, refresh.hold, store assertions, the fake store's data. */
    public void reset() {
        SnapdClient client = client();
        client.unsetSystem("proxy.store");
        client.unsetSystem("refresh.hold");
        if (Files.exists(STORE_ASSERTIONS)) {
            try (Stream<Path> paths = Files.walk(STORE_ASSERTIONS)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        store.reset();
    }

    @Override
    public void close() {
        daemon.destroy();
        try {
            if (!daemon.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
