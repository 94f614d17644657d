package io.snapcoherence.charm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No class of {@code charm} uses, directly or through others of the package, a class that uses it back: each can be
 * read and changed knowing only those below it, and the one that owns a shared piece is the one that declares it.
 * Read from the sources: a class uses another when its code (not its comments or string literals) names it.
 */
class CharmDependenciesTest {
    private static final Path SOURCES = Path.of("src/main/java/io/snapcoherence/charm");

    @Test
    void noClassOfTheCharmPackageUsesOneThatUsesItBack() throws IOException {
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String name = file.getFileName().toString();
                sources.put(name.substring(0, name.length() - ".java".length()), Files.readString(file));
            }
        }
        Map<String, Set<String>> uses = uses(sources);
        // The scan sees the package's references: the entry point uses the charm, which uses the rollout.
        assertThat(uses.get("CharmRunner")).contains("Charm");
        assertThat(uses.get("Charm")).contains("Rollout", "KnownRelations", "RolloutActions");
        assertThat(cycle(uses)).as("a cycle between classes of io.snapcoherence.charm").isEmpty();
    }

    @Test
    void aClassUsingOneThatUsesItBackIsFound() {
        Map<String, String> sources = Map.of(
                "Charm", "final class Charm { static final String PEER = \"coherence\"; Rollout r; }",
                "Rollout", "final class Rollout { Holds h; /* Rollout */ }",
                "Holds", "final class Holds { String s = \"Charm\"; // Charm\n String p = Charm.PEER; }",
                "Alone", "final class Alone { /** {@link Charm} */ char c = '\"'; String t = \"Rollout\\\"\"; }");
        Map<String, Set<String>> uses = uses(sources);
        assertThat(uses.get("Holds")).containsExactly("Charm");
        assertThat(uses.get("Alone")).isEmpty();
        assertThat(cycle(uses)).contains(List.of("Charm", "Rollout", "Holds", "Charm"));
        assertThat(cycle(uses(Map.of("A", "class A { B b; }", "B", "class B { A a; }"))))
                .contains(List.of("A", "B", "A"));
        assertThat(cycle(uses(Map.of("A", "class A { B b; }", "B", "class B { }")))).isEmpty();
    }

    /** For every class, the other classes its code names. */
    static Map<String, Set<String>> uses(Map<String, String> sources) {
        Map<String, Set<String>> uses = new TreeMap<>();
        sources.forEach((name, source) -> {
            String code = code(source);
            Set<String> used = new TreeSet<>();
            for (String other : sources.keySet()) {
                if (!other.equals(name) && Pattern.compile("\\b" + other + "\\b").matcher(code).find()) {
                    used.add(other);
                }
            }
            uses.put(name, used);
        });
        return uses;
    }

    /** One cycle of uses, as the path that comes back to where it starts; empty when there is none. */
    static Optional<List<String>> cycle(Map<String, Set<String>> uses) {
        Set<String> done = new TreeSet<>();
        for (String start : new TreeSet<>(uses.keySet())) {
            Optional<List<String>> found = cycleFrom(start, uses, new ArrayList<>(), done);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<List<String>> cycleFrom(String name, Map<String, Set<String>> uses, List<String> path,
                                                    Set<String> done) {
        int at = path.indexOf(name);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
            cycle.add(name);
            return Optional.of(cycle);
        }
        if (done.contains(name)) {
            return Optional.empty();
        }
        path.add(name);
        for (String used : uses.getOrDefault(name, Set.of())) {
            Optional<List<String>> found = cycleFrom(used, uses, path, done);
            if (found.isPresent()) {
                return found;
            }
        }
        path.remove(path.size() - 1);
        done.add(name);
        return Optional.empty();
    }

    /** The source without comments, string and character literals (text blocks included). */
    static String code(String source) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < source.length()) {
            if (source.startsWith("//", i)) {
                i = end(source, source.indexOf('\n', i), 0);
            } else if (source.startsWith("/*", i)) {
                i = end(source, source.indexOf("*/", i + 2), 2);
            } else if (source.startsWith("\"\"\"", i)) {
                i = end(source, source.indexOf("\"\"\"", i + 3), 3);
                out.append(' ');
            } else if (source.charAt(i) == '"' || source.charAt(i) == '\'') {
                char quote = source.charAt(i++);
                while (i < source.length() && source.charAt(i) != quote) {
                    i += source.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(' ');
            } else {
                out.append(source.charAt(i++));
            }
        }
        return out.toString();
    }

    private static int end(String source, int found, int length) {
        return found < 0 ? source.length() : found + length;
    }
}
