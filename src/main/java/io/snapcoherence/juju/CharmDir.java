package io.snapcoherence.juju;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Small files in the unit's charm directory ({@code $JUJU_CHARM_DIR}, on the machine's disk). Unlike the unit store,
 * which Juju writes only when the hook's context is flushed (runner/context/context.go {@code HookContext.Flush}),
 * what is written here stays when the hook process is killed, and goes with the machine. The ops framework keeps its
 * StoredState here for that reason ({@code .unit-state.db}: canonical/operator ops/_main.py {@code CHARM_STATE_FILE},
 * opened by {@code _Manager._make_storage} under {@code juju_context.charm_dir}). Names are plain file names.
 */
public interface CharmDir {

    /** The file's text; empty when there is none. Throws {@link UncheckedIOException} when it cannot be read. */
    Optional<String> read(String name);

    /** Replaces the file as a whole: a reader sees the old text or the new one, never part of it. */
    void write(String name, String text);

    /** Removes the file; none is fine. */
    void delete(String name);

    /** The directory on this machine's disk. */
    static CharmDir at(Path directory) {
        return new OnDisk(directory);
    }

    /** Written as a temporary file in the same directory, forced to disk, then renamed over the old one. */
    final class OnDisk implements CharmDir {
        private final Path directory;

        OnDisk(Path directory) {
            this.directory = directory;
        }

        @Override
        public Optional<String> read(String name) {
            try {
                return Optional.of(Files.readString(file(name), StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void write(String name, String text) {
            Path target = file(name);
            Path temporary = directory.resolve(name + ".tmp");
            try {
                try (var channel = java.nio.channels.FileChannel.open(temporary,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                    var buffer = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    channel.force(true); // the rename must not reach the disk before the contents
                }
                try {
                    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.deleteIfExists(temporary);
                    throw e;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void delete(String name) {
            try {
                Files.deleteIfExists(file(name));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Path file(String name) {
            if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
                throw new IllegalArgumentException("not a plain file name: " + name);
            }
            return directory.resolve(name);
        }
    }
}
