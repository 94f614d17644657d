package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.fakestore.FakeAssertions;
import io.snapcoherence.snap.fakestore.FakeSnapStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real snapd 2.57 (Debian 12's, rebuilt with test keys by tests/snapd/build.sh) under its own root, its store
 * the project's {@link FakeSnapStore} (a Snap Store Proxy: channel maps, overrides, cohorts, the registration
 * endpoint), driven through the {@code snap} CLI of the same version. For the CLI-level contract; the REST
 * contract runs on {@link RealSnapdFixture}. See {@link RealSnapdExtension}.
 */
public final class RealSnapd implements AutoCloseable {
    private final FakeSnapStore store;
    private final SnapdProcess snapd;

    private RealSnapd(FakeSnapStore store, SnapdProcess snapd) {
        this.store = store;
        this.snapd = snapd;
    }

    static RealSnapd start(RealSnapdBuild build) {
        FakeSnapStore store;
        try {
            store = new FakeSnapStore();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new RealSnapd(store, SnapdProcess.start(build.testkeysRoot(), java.net.URI.create(store.url() + "/")));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public FakeSnapStore store() {
        return store;
    }

    /** The snap CLI of this snapd's version, bound to its root. */
    public Path snapBinary() {
        return snapd.cli();
    }

    /** The charm's client of snapd's REST API on this snapd's socket. */
    public SnapdClient client() {
        return new SnapdClient(snapd.socket());
    }

    public String log() {
        return snapd.log();
    }

    private Path storeAssertions() {
        return snapd.root().resolve("var/lib/snapd/assertions/asserts-v0/store");
    }

    /**
     * Puts a store assertion straight into snapd's assertion database, as if a Canonical-signed one had been
     * acknowledged: {@code snap ack} refuses self-made assertions (signature verification against snapd's
     * built-in trusted keys), yet {@code snap set core proxy.store} and {@code snap known store} need one.
     */
    public void installStoreAssertion(String storeId) {
        try {
            Path dir = storeAssertions().resolve(storeId);
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
        if (Files.exists(storeAssertions())) {
            try (Stream<Path> paths = Files.walk(storeAssertions())) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        store.reset();
    }

    @Override
    public void close() {
        try {
            snapd.close();
        } finally {
            store.close();
        }
    }
}
