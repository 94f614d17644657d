package io.snapcoherence.snap.realsnapd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The snaps real snapd installs in tests, built with mksquashfs as {@code snap pack} lays them out (meta/snap.yaml
 * at the top; snap/squashfs/squashfs.go builds with xz and no fragments):
 * <ul>
 *   <li>{@code bare}: an empty {@code type: base}, the base of the others;</li>
 *   <li>{@code snapd}: a {@code type: snapd} snap (snapd installs it before a snap whose base is not core) holding
 *       the daemon's {@code usr/lib/snapd/info}, as the real snapd snap does;</li>
 *   <li>{@code kubectl}: one command, no services, like the real kubectl;</li>
 *   <li>{@code kubelet}: one simple daemon, {@code snap.kubelet.daemon.service}, like the real kubelet.</li>
 * </ul>
 * Revision {@code n} of kubectl and kubelet has version {@code 1.29.n}. A broken revision carries
 * {@code standin/start-fails}, which makes the systemctl stand-in fail its services' start. Files are built once
 * per name, revision and brokenness; timestamps are fixed so the same revision always has the same digest.
 */
public final class TestSnaps {
    public static final List<String> APPS = List.of("kubectl", "kubelet");

    private final Path dir;
    private final Path snapdInfo;
    private final Map<String, Path> built = new HashMap<>();

    /** @param snapdInfo the daemon's {@code usr/lib/snapd/info}, copied into the snapd snap */
    public TestSnaps(Path dir, Path snapdInfo) {
        this.dir = dir;
        this.snapdInfo = snapdInfo;
    }

    /** The snap file; its name is {@code <snap>_<revision>[-broken].snap} (snapd's fakestore reads the name from it). */
    public synchronized Path file(String snap, int revision, boolean broken) {
        String name = snap + "_" + revision + (broken ? "-broken" : "") + ".snap";
        return built.computeIfAbsent(name, n -> build(snap, revision, broken, dir.resolve(n)));
    }

    public static String version(int revision) {
        return "1.29." + revision;
    }

    private Path build(String snap, int revision, boolean broken, Path out) {
        try {
            Path src = Files.createTempDirectory(dir, "src-" + snap);
            // snapd refuses a snap whose top directory is not 0755 ("snap is unusable due to bad permissions").
            Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(src.resolve("meta"));
            String yaml = switch (snap) {
                case "bare" -> "name: bare\nversion: '1.0'\ntype: base\n";
                case "snapd" -> {
                    Path info = src.resolve("usr/lib/snapd/info");
                    Files.createDirectories(info.getParent());
                    Files.copy(snapdInfo, info);
                    yield "name: snapd\nversion: '" + snapdVersion() + "'\ntype: snapd\n";
                }
                case "kubectl" -> "name: kubectl\nversion: '" + version(revision) + "'\nbase: bare\n"
                        + "apps:\n  kubectl:\n    command: bin/kubectl\n";
                case "kubelet" -> "name: kubelet\nversion: '" + version(revision) + "'\nbase: bare\n"
                        + "apps:\n  daemon:\n    command: bin/daemon\n    daemon: simple\n";
                default -> throw new IllegalArgumentException("no test snap " + snap);
            };
            Files.writeString(src.resolve("meta/snap.yaml"), yaml, StandardCharsets.UTF_8);
            if (APPS.contains(snap)) {
                Path bin = src.resolve("bin");
                Files.createDirectories(bin);
                for (String command : new String[] {"kubectl", "daemon"}) {
                    Path script = bin.resolve(command);
                    Files.writeString(script, "#!/bin/sh\necho " + snap + " " + version(revision) + "\n");
                    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
            if (broken) {
                Files.createDirectories(src.resolve("standin"));
                Files.writeString(src.resolve("standin/start-fails"), "services of this revision fail to start\n");
            }
            run(List.of("mksquashfs", src.toString(), out.toString(), "-noappend", "-comp", "xz", "-no-fragments",
                    "-no-progress", "-all-root", "-quiet", "-mkfs-time", "0", "-all-time", "0"));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String snapdVersion() throws IOException {
        for (String line : Files.readAllLines(snapdInfo)) {
            if (line.startsWith("VERSION=")) {
                return line.substring("VERSION=".length());
            }
        }
        throw new IllegalStateException(snapdInfo + " has no VERSION=");
    }

    static void run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
