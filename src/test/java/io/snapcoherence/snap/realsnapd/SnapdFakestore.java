package io.snapcoherence.snap.realsnapd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * snapd's own test store ({@code tests/lib/fakestore} in snapd's source, built with test keys) on loopback, in the
 * way snapd's spread tests use it (tests/lib/store.sh {@code make_snap_installable}): a snap-declaration per snap,
 * a snap-revision per file, both signed with the test store key, and the snap file in the store directory.
 *
 * <p>What it can and cannot do (tests/lib/fakestore/store/store.go): it serves, for each snap name, the one
 * {@code .snap} file in its directory, whatever channel or revision snapd asks for; the revision is the one the
 * file's snap-revision assertion names. So "publishing" a revision replaces the file. It has no
 * {@code /v2/snaps/info} (no channel map, {@code snap info} and {@code find?name=} find nothing) and no cohorts.
 */
public final class SnapdFakestore implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(15);

    private final Path binary;
    private final Path dir;
    private final Path log;
    private final int port;
    private final Set<String> declared = new HashSet<>();
    private final Set<Path> revisioned = new HashSet<>();
    private Process process;

    /** A store in a new directory (realsnapdstore…, removed on close); call {@link #start}. */
    public SnapdFakestore(Path binary) {
        this.binary = binary;
        try {
            this.dir = SnapdProcess.ownedTempDirectory("realsnapdstore");
            this.log = dir.resolve("fakestore.log");
            Files.createDirectories(dir.resolve("asserts"));
            try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            process = new ProcessBuilder(binary.toString(), "run", "--dir", dir.toString(), "--addr", "127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            Instant deadline = Instant.now().plus(START_LIMIT);
            while (!answers()) {
                if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("fakestore did not listen on port " + port + ": "
                            + Files.readString(log, StandardCharsets.UTF_8));
                }
                Thread.sleep(20); // polling a condition with a deadline
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the store; snapd's requests are then refused at connect. */
    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** The store now serves this file (revision {@code revision}) for its snap, and no other file of that snap. */
    public synchronized void publish(String snap, Path file, int revision) {
        try {
            if (declared.add(snap)) {
                fakestore(List.of("new-snap-declaration", "--dir", dir.toString(), file.toString()));
            }
            if (revisioned.add(file)) {
                Path json = dir.resolve("revision.json");
                Files.writeString(json, "{\"snap-revision\":\"" + revision + "\"}");
                fakestore(List.of("new-snap-revision", "--dir", dir.toString(), "--snap-rev-json", json.toString(),
                        file.toString()));
            }
            unpublish(snap);
            Files.copy(file, dir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The store serves no file of this snap (its assertions stay). */
    public synchronized void unpublish(String snap) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, snap + "_*.snap")) {
            for (Path served : files) {
                Files.delete(served);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void fakestore(List<String> args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        TestSnaps.run(command);
    }

    private boolean answers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        stop();
        SnapdProcess.cleanUp(dir);
    }
}
