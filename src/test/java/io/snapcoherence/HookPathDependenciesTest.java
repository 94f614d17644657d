package io.snapcoherence;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jackson is in the JAR for {@code rehearse --status} only: no class the hook path can load (everything outside
 * {@code io.snapcoherence.sim}) names a Jackson class, so a hook never loads one (the JVM loads classes when first
 * used; {@code Main} reaches {@code sim} only for the {@code rehearse} command).
 */
class HookPathDependenciesTest {
    private static final Path CLASSES = Path.of("target/classes/io/snapcoherence");

    @Test
    void noHookPathClassNamesJackson() throws IOException {
        List<Path> hookPath;
        try (Stream<Path> files = Files.walk(CLASSES)) {
            hookPath = files.filter(f -> f.toString().endsWith(".class"))
                    .filter(f -> !CLASSES.relativize(f).startsWith("sim")).toList();
        }
        assertThat(hookPath).extracting(Path::toString).anyMatch(f -> f.endsWith("charm/HistoryAction.class"))
                .anyMatch(f -> f.endsWith("Main.class"));
        for (Path file : hookPath) {
            String constants = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            assertThat(constants).as(file.toString()).doesNotContain("com/fasterxml");
        }
        // The check can see a reference: the rehearsal's reader has one.
        assertThat(new String(Files.readAllBytes(CLASSES.resolve("sim/RealModel.class")), StandardCharsets.ISO_8859_1))
                .contains("com/fasterxml/jackson");
    }
}
