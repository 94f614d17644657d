package io.snapcoherence.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** File set-up for the emulated tools' state directories. */
public final class TestFiles {

    private TestFiles() {
    }

    /** Writes {@code content} as UTF-8 to {@code dir/name}, creating the parent folders. */
    public static void write(Path dir, String name, String content) {
        try {
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
