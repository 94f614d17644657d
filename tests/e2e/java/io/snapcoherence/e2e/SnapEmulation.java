package io.snapcoherence.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The emulated snap CLI ({@code tests/snap-emulation/snap}) with a state directory: lay out the store and the
 * installed snaps, put {@link #binDir()} on a hook's PATH with {@link #STATE_VARIABLE} set to {@link #stateDir()},
 * then read what snap received with {@link #calls()}.
 */
final class SnapEmulation {
    static final String STATE_VARIABLE = "SNAP_EMULATION_DIR";
    private static final Path BIN = Path.of("tests/snap-emulation").toAbsolutePath();

    private final Path stateDir;

    SnapEmulation(Path stateDir) {
        this.stateDir = stateDir;
    }

    static Path binDir() {
        return BIN;
    }

    Path stateDir() {
        return stateDir;
    }

    /** The store offers {@code snap} at {@code revision} on {@code channel}. */
    SnapEmulation store(String snap, String channel, int revision) {
        return append("store/" + snap, channel + " " + revision + " 1.0\n");
    }

    SnapEmulation installed(String snap, int revision, String tracking) {
        return write("installed/" + snap, revision + " " + tracking + " 1.0\n");
    }

    SnapEmulation version(String version) {
        return write("version", version + "\n");
    }

    /** Every call so far as "snap <args...>", in order. */
    List<String> calls() {
        Path log = stateDir.resolve("calls");
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SnapEmulation write(String name, String content) {
        io.snapcoherence.testing.TestFiles.write(stateDir, name, content);
        return this;
    }

    private SnapEmulation append(String name, String content) {
        try {
            Path file = stateDir.resolve(name);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
