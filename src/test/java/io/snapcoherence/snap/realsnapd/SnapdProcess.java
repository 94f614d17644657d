package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.contract.SnapdHttp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One real snapd under its own root ({@code SNAPPY_GLOBAL_ROOT}: snapd's dirs.SetRootDir puts every path it uses
 * there, /var/lib/snapd, /run/snapd.socket and /snap included), so it never touches the host's snapd state and
 * several can run at once. systemd is the stand-in of tests/snapd/standins, first on snapd's PATH.
 *
 * <p>The work directory ({@code /tmp/realsnapd…}) holds {@code root/}, {@code snapd.log}, {@code snap} (the CLI
 * of the same version, bound to this root) and {@code owner} (the JVM's pid). {@link #close} stops snapd, ends the
 * stand-in's service placeholders, unmounts every mount under the root and deletes the directory; a directory left
 * by a JVM that died is cleaned the same way by the next {@link #start}.
 */
public final class SnapdProcess implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(30);
    private static final int MAX_RESTARTS = 5;

    private final Path work;
    private final Path root;
    private final Path log;
    private final Path cli;
    private final ProcessBuilder builder;
    private final Object lock = new Object();
    private Process daemon;
    private boolean closing;
    private int restarts;
    private String death = "";

    private SnapdProcess(Path work, Path packageRoot, URI storeUrl) throws IOException {
        this.work = work;
        this.root = work.resolve("root");
        this.log = work.resolve("snapd.log");
        this.cli = work.resolve("snap");
        layRoot(packageRoot);
        builder = new ProcessBuilder(packageRoot.resolve("usr/lib/snapd/snapd").toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("SNAPPY_GLOBAL_ROOT", root.toString());
        env.put("PATH", RealSnapdBuild.STANDINS + ":/usr/sbin:/usr/bin:/sbin:/bin");
        // Run this build's binaries, never re-exec into the snapd snap's (it has none).
        env.put("SNAP_REEXEC", "0");
        // snapdenv.Testing(): no catalog refresh from the internet, no error reports sent.
        env.put("SNAPPY_TESTING", "1");
        // With nothing installed snapd exits after a few idle seconds (standby.go); tests need it to stay.
        env.put("SNAPD_STANDBY_WAIT", "10m");
        env.put("SNAPD_DEBUG", "1");
        // The store: snapd asks it for everything (store.go: SNAPPY_FORCE_API_URL); it must answer quickly, or
        // snapd's start-up waits for it.
        env.put("SNAPPY_FORCE_API_URL", storeUrl.toString());
        env.put("SNAPPY_FORCE_SAS_URL", storeUrl.toString());
        env.remove("SNAPD_SOCKET");
        Files.writeString(cli, "#!/bin/sh\n# snap CLI of " + packageRoot.getFileName() + ", talking to the snapd under "
                + root + "\nSNAPPY_GLOBAL_ROOT='" + root + "' exec '" + packageRoot.resolve("usr/bin/snap") + "' \"$@\"\n");
        Files.setPosixFilePermissions(cli, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Starts snapd (binaries of the unpacked package at packageRoot) with the store at storeUrl. */
    public static SnapdProcess start(Path packageRoot, URI storeUrl) {
        sweepStale();
        try {
            Path work = ownedTempDirectory("realsnapd");
            SnapdProcess snapd = new SnapdProcess(work, packageRoot, storeUrl);
            try {
                snapd.launch();
                snapd.awaitSocket();
            } catch (RuntimeException e) {
                snapd.close();
                throw e;
            }
            return snapd;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path root() {
        return root;
    }

    public Path socket() {
        return root.resolve("run/snapd.socket");
    }

    /** The snap CLI of this snapd's version, bound to its root. */
    public Path cli() {
        return cli;
    }

    public SnapdHttp http() {
        return new SnapdHttp(socket());
    }

    /** The stand-in's directory of gates: while {@code hold/<snap>} exists, that snap's services do not start. */
    public Path standinState() {
        return root.resolve("run/systemctl-standin");
    }

    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until snapd answers on its socket again (it restarts itself after installing the snapd snap). */
    public void awaitSocket() {
        Instant deadline = Instant.now().plus(START_LIMIT);
        while (true) {
            synchronized (lock) {
                if (!death.isEmpty()) {
                    throw new IllegalStateException(death + "; its output:\n" + tail());
                }
            }
            try {
                http().get("/v2/system-info");
                return;
            } catch (UncheckedIOException notYet) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("snapd did not answer on " + socket() + " within "
                            + START_LIMIT.toSeconds() + " s; its output:\n" + tail());
                }
            }
            sleep(Duration.ofMillis(20));
        }
    }

    private void launch() throws IOException {
        Process started = builder.start();
        synchronized (lock) {
            daemon = started;
        }
        started.onExit().thenAccept(this::exited);
    }

    /**
     * snapd exits 0 when it asks to be restarted (after linking the snapd snap: "Requested daemon restart (snapd
     * snap)"); systemd restarts it (snapd.service: Restart=always). Any other exit is a death the next call reports.
     */
    private void exited(Process process) {
        synchronized (lock) {
            if (closing || process != daemon) {
                return;
            }
            if (process.exitValue() != 0 || ++restarts > MAX_RESTARTS) {
                death = "snapd exited with status " + process.exitValue() + " after " + restarts + " restarts";
                return;
            }
        }
        try {
            launch();
        } catch (IOException e) {
            synchronized (lock) {
                death = "snapd could not be restarted: " + e.getMessage();
            }
        }
    }

    private void layRoot(Path packageRoot) throws IOException {
        // The directories the package ships (var/lib/snapd/snaps and the like): snapd expects them to exist.
        for (String top : new String[] {"var", "snap"}) {
            try (Stream<Path> dirs = Files.walk(packageRoot.resolve(top))) {
                for (Path dir : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
                    Files.createDirectories(root.resolve(packageRoot.relativize(dir).toString()));
                }
            }
        }
        Files.createDirectories(root.resolve("etc/systemd/system"));
        Files.createDirectories(root.resolve("run/snapd"));
        // No device registration: it would go to the real store's device service (devicestate/handlers_serial.go
        // baseURL is fixed); devicemgr.go skips it while this marker exists.
        Files.writeString(root.resolve("run/snapd/noregister"), "");
    }

    private String tail() {
        String text = log();
        return text.length() > 4000 ? "…" + text.substring(text.length() - 4000) : text;
    }

    @Override
    public void close() {
        Process process;
        synchronized (lock) {
            closing = true;
            process = daemon;
        }
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // What snapd started outlives it: a stand-in still waiting at a gate (it would start a placeholder once
        // the directory is gone) and the placeholders themselves.
        killDaemonsOf(work);
        cleanUp(work);
    }

    /** Ends the stand-in's service placeholders, unmounts everything under the work directory, deletes it. */
    static void cleanUp(Path work) {
        Path active = work.resolve("root/run/systemctl-standin/active");
        if (Files.isDirectory(active)) {
            try (DirectoryStream<Path> units = Files.newDirectoryStream(active, "*.service")) {
                for (Path unit : units) {
                    endPlaceholder(Files.readString(unit).trim());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String mount : mountsUnder(work)) {
            TestSnaps.run(List.of("umount", "-d", "-l", mount));
        }
        if (!mountsUnder(work).isEmpty()) {
            throw new IllegalStateException("still mounted under " + work + ": " + mountsUnder(work));
        }
        try (Stream<Path> paths = Files.walk(work)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void endPlaceholder(String pid) {
        try {
            ProcessHandle.of(Long.parseLong(pid)).filter(p -> commandLine(p).startsWith("standin-service:"))
                    .ifPresent(ProcessHandle::destroy);
        } catch (NumberFormatException e) {
            // a unit file the stand-in is still writing: nothing to end
        }
    }

    /** argv as the process set it (ProcessHandle.Info shows the executable instead of a changed argv[0]). */
    private static String commandLine(ProcessHandle process) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"), StandardCharsets.ISO_8859_1)
                    .replace('\0', ' ');
        } catch (IOException | SecurityException e) {
            return "";
        }
    }

    /** Mount points under dir, deepest first (from /proc/self/mountinfo; octal escapes as the kernel writes them). */
    static List<String> mountsUnder(Path dir) {
        List<String> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String point = line.split(" ")[4].replace("\\040", " ");
                if (point.startsWith(dir + "/")) {
                    mounts.add(point);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        mounts.sort(Comparator.comparingInt(String::length).reversed());
        return mounts;
    }

    /** Work directories whose JVM is gone (killed before it could close them): clean them now. */
    static void sweepStale() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, "realsnapd*")) {
            for (Path dir : dirs) {
                Path owner = dir.resolve("owner");
                if (Files.isRegularFile(owner)
                        && ProcessHandle.of(Long.parseLong(Files.readString(owner).trim())).isEmpty()) {
                    killDaemonsOf(dir);
                    cleanUp(dir);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot clean stale snapd directories in " + tmp, e);
        }
    }

    /**
     * A snapd, its placeholders or a fakestore whose JVM died keep running: end the processes that run under dir's
     * root (their environment names it) or name dir in their command line.
     */
    static void killDaemonsOf(Path dir) {
        String root = "SNAPPY_GLOBAL_ROOT=" + dir.resolve("root") + "\0";
        ProcessHandle.allProcesses().filter(p -> {
            if (commandLine(p).contains(dir + "/")) {
                return true;
            }
            try {
                return Files.readString(Path.of("/proc", Long.toString(p.pid()), "environ"), StandardCharsets.ISO_8859_1)
                        .contains(root);
            } catch (IOException | SecurityException e) {
                return false;
            }
        }).forEach(p -> {
            p.destroy();
            p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
        });
    }

    /** A directory under java.io.tmpdir, named prefix…, marked with this JVM's pid for {@link #sweepStale}. */
    static Path ownedTempDirectory(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Files.writeString(dir.resolve("owner"), Long.toString(ProcessHandle.current().pid()));
        return dir;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis()); // paces a poll with a deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
