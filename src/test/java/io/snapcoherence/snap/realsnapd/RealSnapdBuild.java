package io.snapcoherence.snap.realsnapd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code tests/snapd/build.sh} put in the cache (its manifest), and whether this machine can run it: snapd
 * must run as root, mount squashfs files through loop devices, and read snaps with squashfs-tools.
 *
 * @param testkeysVersion Debian 12's snapd version, rebuilt with test keys (accepts snapd's fakestore)
 * @param testkeysRoot    that package unpacked, snapd and snap replaced by the test-keys builds
 * @param fakestore       snapd's test store, built from the same source
 * @param stockVersion    Debian 13's snapd version, as shipped (production keys only: local snaps)
 * @param stockRoot       that package unpacked
 */
public record RealSnapdBuild(String testkeysVersion, Path testkeysRoot, Path fakestore, String stockVersion,
                             Path stockRoot) {
    /** The stand-ins for systemctl and udevadm (tests/snapd/standins), first on snapd's PATH. */
    public static final Path STANDINS = Path.of("tests/snapd/standins").toAbsolutePath();
    private static final String BUILD = "tests/snapd/build.sh";

    public static Path cacheDir() {
        String configured = System.getenv("SNAP_COHERENCE_CACHE");
        return Path.of(configured == null || configured.isEmpty() ? "/var/cache/snap-coherence" : configured);
    }

    /** The build in the cache, or why a real snapd cannot run on this machine. */
    public static Result load() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return new Result(Optional.empty(), "snapd must run as root (it mounts snaps)");
        }
        for (String tool : new String[] {"mksquashfs", "unsquashfs", "mount", "umount"}) {
            if (!onPath(tool)) {
                return new Result(Optional.empty(), tool + " not found (apt-get install squashfs-tools)");
            }
        }
        try {
            if (!Files.readString(Path.of("/proc/filesystems")).contains("squashfs")) {
                return new Result(Optional.empty(), "the kernel has no squashfs (modprobe squashfs)");
            }
        } catch (IOException e) {
            return new Result(Optional.empty(), "cannot read /proc/filesystems: " + e.getMessage());
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            return new Result(Optional.empty(), "no loop devices (/dev/loop-control missing)");
        }
        Path manifest = cacheDir().resolve("snapd/manifest");
        if (!Files.isRegularFile(manifest)) {
            return new Result(Optional.empty(), manifest + " missing: run " + BUILD);
        }
        Map<String, String> values = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    values.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RealSnapdBuild build = new RealSnapdBuild(values.get("testkeys_version"), Path.of(values.get("testkeys_root")),
                Path.of(values.get("fakestore")), values.get("stock_version"), Path.of(values.get("stock_root")));
        for (Path root : new Path[] {build.testkeysRoot, build.stockRoot}) {
            if (!Files.isRegularFile(root.resolve(".complete"))) {
                return new Result(Optional.empty(), root + " is incomplete: run " + BUILD);
            }
        }
        return new Result(Optional.of(build), "");
    }

    /** A build, or the reason there is none. */
    public record Result(Optional<RealSnapdBuild> build, String unavailable) {
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }
}
