package io.snapcoherence.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;

/**
 * A fingerprint of the randomized suite's runs, for showing that a change of the simulator's structure leaves its
 * behaviour as it was: per seed, the hook runs, steps and rounds, and a digest of every step the model took (each
 * step as the observers see it) and of the final model (leader, databags, statuses, unit stores, lives, installed
 * revisions, the trace). Maps, sets and JSON objects are compared in sorted order: the charm's JSON and
 * {@code Map.of} iterate in an order drawn per JVM. Off by default; {@code mvn -B -o test -Dtest=RandomizedFingerprintTest
 * -Dsim.fingerprint=target/fingerprint.txt [-Dsim.seeds=300 -Dsim.wideSeeds=20]} writes one line per seed, to be
 * compared with {@code diff} against the same run of another revision ({@code -Dsim.fingerprintDump=prefix} also
 * writes each seed's final model as text, to {@code prefix<seed>}, to see where two runs part).
 */
class RandomizedFingerprintTest {

    @Test
    @EnabledIfSystemProperty(named = "sim.fingerprint", matches = ".+")
    void writesEachSeedsFingerprint() throws IOException {
        List<String> lines = new ArrayList<>();
        int small = Integer.getInteger("sim.seeds", 300);
        int wide = Integer.getInteger("sim.wideSeeds", 20);
        for (long seed = 1; seed <= small; seed++) {
            lines.add("small " + seed + " " + fingerprint(RandomizedRolloutTest.optionsFor(seed, false)));
        }
        for (long seed = 1; seed <= wide; seed++) {
            lines.add("wide " + seed + " " + fingerprint(RandomizedRolloutTest.optionsFor(seed, true)));
        }
        Path out = Path.of(System.getProperty("sim.fingerprint"));
        Files.write(out, lines, StandardCharsets.UTF_8);
        System.out.println("fingerprints of " + lines.size() + " seeds written to " + out);
    }

    static String fingerprint(Rehearsal.Options options) {
        MessageDigest steps = sha256();
        Rehearsal.Result result = Rehearsal.run(options, (model, step) ->
                steps.update((canonical(step) + "\n").getBytes(StandardCharsets.UTF_8)));
        SimulatedModel model = result.model();
        StringBuilder state = new StringBuilder();
        state.append("leader ").append(model.leader()).append('\n')
                .append("app ").append(canonical(model.appData())).append('\n')
                .append("app status ").append(model.appStatus()).append('\n');
        for (SimUnit unit : model.units()) {
            state.append(unit.name()).append(' ').append(unit.life).append(' ').append(unit.status())
                    .append(" store ").append(canonical(unit.unitStore()))
                    .append(" data ").append(canonical(model.unitData(unit.name())))
                    .append(" hooks ").append(unit.hookRuns()).append('/').append(unit.failedHooks())
                    .append(" writes ").append(unit.ownWrites())
                    .append(" snaps ").append(canonical(unit.machine().installedSnaps().stream()
                            .sorted(java.util.Comparator.comparing(io.snapcoherence.snap.InstalledSnap::name))
                            .toList())).append('\n');
        }
        // The model's notes print maps as they iterate, in an order drawn per JVM: a note with a map or a list
        // counts as the multiset of its characters.
        model.trace().forEach(line -> state.append(line.startsWith("#") || !line.matches(".*[\\[{].*") ? line
                : line.chars().sorted().collect(StringBuilder::new, StringBuilder::appendCodePoint,
                        StringBuilder::append)).append('\n'));
        if (System.getProperty("sim.fingerprintDump") != null) {
            try {
                Files.writeString(Path.of(System.getProperty("sim.fingerprintDump") + options.seed()), state);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return "hooks " + model.hookRuns() + " steps " + model.steps() + " rounds " + model.round()
                + " held " + result.held() + " resumes " + result.resumes()
                + " steps-digest " + HexFormat.of().formatHex(steps.digest()).substring(0, 16)
                + " state-digest " + HexFormat.of().formatHex(sha256().digest(
                        state.toString().getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }

    /**
     * A value's text with every map and set in sorted order: {@code Map.copyOf} and {@code Set.of} iterate in an
     * order drawn per JVM, so their own {@code toString} differs between two runs of the same seed.
     */
    static String canonical(Object value) {
        if (value instanceof Record record) {
            StringBuilder text = new StringBuilder(record.getClass().getSimpleName()).append('[');
            for (java.lang.reflect.RecordComponent component : record.getClass().getRecordComponents()) {
                try {
                    java.lang.reflect.Method accessor = component.getAccessor();
                    accessor.setAccessible(true);
                    text.append(component.getName()).append('=').append(canonical(accessor.invoke(record)))
                            .append(", ");
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return text.append(']').toString();
        }
        if (value instanceof java.util.Map<?, ?> map) {
            TreeMap<String, String> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(canonical(k), canonical(v)));
            return sorted.toString();
        }
        if (value instanceof java.util.Set<?> set) {
            return set.stream().map(RandomizedFingerprintTest::canonical).sorted().toList().toString();
        }
        if (value instanceof java.util.Collection<?> list) {
            return list.stream().map(RandomizedFingerprintTest::canonical).toList().toString();
        }
        if (value instanceof String text && (text.startsWith("{") || text.startsWith("["))) {
            try {
                return canonical(io.snapcoherence.Json.parse(text));
            } catch (RuntimeException notJson) {
                return text;
            }
        }
        if (value instanceof java.util.Optional<?> optional) {
            return optional.map(v -> "Optional[" + canonical(v) + "]").orElse("Optional.empty");
        }
        return String.valueOf(value);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
