package io.snapcoherence.juju;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The charm directory on this machine's disk. */
class CharmDirTest {
    @TempDir
    Path directory;

    @Test
    void aFileIsReplacedWholeAndNoTemporaryFileIsLeft() throws Exception {
        CharmDir dir = CharmDir.at(directory);
        assertThat(dir.read("intent.json")).isEmpty();

        dir.write("intent.json", "{\"store-id\": \"a\"}");
        dir.write("intent.json", "{\"store-id\": \"b\"}");

        assertThat(dir.read("intent.json")).isEqualTo(Optional.of("{\"store-id\": \"b\"}"));
        try (var files = Files.list(directory)) {
            assertThat(files).containsExactly(directory.resolve("intent.json"));
        }
        assertThat(CharmDir.at(directory).read("intent.json")).contains("{\"store-id\": \"b\"}");

        dir.delete("intent.json");
        dir.delete("intent.json");
        assertThat(dir.read("intent.json")).isEmpty();
    }

    @Test
    void anUnreadableFileIsAnErrorNotAnAbsence() throws Exception {
        Files.createDirectory(directory.resolve("intent.json"));

        assertThatThrownBy(() -> CharmDir.at(directory).read("intent.json")).isInstanceOf(UncheckedIOException.class);
    }

    @Test
    void onlyPlainFileNames() {
        assertThatThrownBy(() -> CharmDir.at(directory).write("../escape", "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
