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
 * What a hook can load. The packed charm carries every class except the simulator, the model state it runs the
 * charm on and the run over it (the jar plugin's {@code charm-classes} execution in pom.xml); Jackson is in the
 * project's JAR for {@code rehearse --status} only. So no class the charm carries may name a left-out class or a
 * Jackson class (the JVM loads a class when it is first used; {@code Main} reaches {@code sim} only for the
 * {@code rehearse} command, and says so when the class is missing).
 */
class HookPathDependenciesTest {
    private static final Path CLASSES = Path.of("target/classes/io/snapcoherence");
    /** As in pom.xml's {@code charm-classes} excludes, relative to {@code io/snapcoherence}. */
    private static final List<String> LEFT_OUT = List.of("sim/", "juju/ModelState", "juju/StateHookTools",
            "juju/HookRun", "juju/StateConsistency");

    private static boolean leftOut(Path file) {
        String name = CLASSES.relativize(file).toString();
        return LEFT_OUT.stream().anyMatch(name::startsWith);
    }

    private static String constants(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }

    private static List<Path> charmClasses() throws IOException {
        try (Stream<Path> files = Files.walk(CLASSES)) {
            return files.filter(f -> f.toString().endsWith(".class")).filter(f -> !leftOut(f)).toList();
        }
    }

    @Test
    void noClassTheCharmCarriesNamesJackson() throws IOException {
        List<Path> carried = charmClasses();
        assertThat(carried).extracting(Path::toString).anyMatch(f -> f.endsWith("charm/HistoryAction.class"))
                .anyMatch(f -> f.endsWith("Main.class"));
        for (Path file : carried) {
            assertThat(constants(file)).as(file.toString()).doesNotContain("com/fasterxml");
        }
        // The check can see a reference: the rehearsal's reader has one.
        assertThat(constants(CLASSES.resolve("sim/RealModel.class"))).contains("com/fasterxml/jackson");
    }

    @Test
    void noClassTheCharmCarriesNamesALeftOutClassButMainForRehearse() throws IOException {
        for (Path file : charmClasses()) {
            String text = constants(file);
            if (file.endsWith("Main.class")) {
                text = text.replace("io/snapcoherence/sim/Rehearse", "");
            }
            for (String left : LEFT_OUT) {
                assertThat(text).as(file.toString()).doesNotContain("io/snapcoherence/" + left);
            }
        }
        // The check can see a reference: the simulator's unit agents name the model state, and Main the rehearsal.
        assertThat(constants(CLASSES.resolve("sim/UnitAgents.class"))).contains("io/snapcoherence/juju/ModelState");
        assertThat(constants(CLASSES.resolve("Main.class"))).contains("io/snapcoherence/sim/Rehearse");
    }
}
