package io.snapcoherence.e2e;

import io.snapcoherence.snap.fakesnapd.FakeSnapd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built .charm, unpacked as Juju unpacks it and run through {@code dispatch} with Juju's environment
 * (no JAVA_HOME, no HOME, PATH = hook tools + /usr/bin:/bin) against emulated hook tools (tests/charm/tools),
 * which record every call and the program that spawned them, and a fake snapd with its log of requests.
 */
class PackedCharmIT {
    private static final Path CHARM = Path.of("target/snap-coherence.charm");
    private static final Path TOOLS = Path.of("tests/charm/tools").toAbsolutePath();
    private static final List<String> LIFECYCLE = List.of("install", "leader-elected", "leader-settings-changed",
            "config-changed", "start", "stop", "remove", "update-status", "upgrade-charm");
    private static final List<String> RELATION_SUFFIXES = List.of("created", "joined", "changed", "departed",
            "broken");

    private static final String PEER_GET = "relation-get -r coherence:2";

    @TempDir
    static Path temp;
    static Path charmDir;
    private static final List<FakeSnapd> SNAPDS = new ArrayList<>();

    @BeforeAll
    static void unpack() throws IOException {
        charmDir = temp.resolve("charm");
        JujuUnpack.unpack(CHARM, charmDir);
    }

    @AfterAll
    static void stopSnapds() {
        SNAPDS.forEach(FakeSnapd::close);
    }

    /** The fake snapd of an emulation directory: its socket under {@code <dir>/snapd}. */
    private static FakeSnapd snapd(Path emulation) throws IOException {
        FakeSnapd snapd = FakeSnapd.underRoot(emulation.resolve("snapd"));
        SNAPDS.add(snapd);
        snapd.state().publish("kubectl", "latest/stable", 3000).publish("kubelet", "latest/stable", 2000)
                .install("kubectl", "latest/stable", 3000).install("kubelet", "latest/stable", 2000, "daemon");
        return snapd;
    }

    @Test
    void theCharmIsLaidOutAsCharmcraftLaysIt() throws IOException {
        assertThat(Files.size(CHARM)).isLessThanOrEqualTo(30L * 1024 * 1024);
        Map<String, Integer> modes = JujuUnpack.unixModes(CHARM);
        assertThat(modes.get("dispatch") & 0111).isEqualTo(0111);
        assertThat(modes.get("runtime/bin/java") & 0111).isEqualTo(0111);
        assertThat(modes).containsKeys("metadata.yaml", "config.yaml", "actions.yaml", "manifest.yaml",
                "lib/snap-coherence.jar", "lib/snap-coherence.jsa", "lib/.restore-jar-time");
        List<String> hooks = new ArrayList<>(LIFECYCLE);
        for (String endpoint : List.of("coherence", "control-plane", "worker")) {
            RELATION_SUFFIXES.forEach(suffix -> hooks.add(endpoint + "-relation-" + suffix));
        }
        for (String hook : hooks) {
            Path link = charmDir.resolve("hooks").resolve(hook);
            assertThat(Files.isSymbolicLink(link)).as(hook).isTrue();
            assertThat(Files.readSymbolicLink(link)).as(hook).isEqualTo(Path.of("../dispatch"));
        }
        String manifest = Files.readString(charmDir.resolve("manifest.yaml"));
        assertThat(manifest).contains("bases:", "name: ubuntu", "channel: '24.04'", "- amd64");
    }

    @Test
    void hooksRunOnTheBundledRuntimeAndReportStatus() throws IOException, InterruptedException {
        Path emulation = emulation("hooks");
        FakeSnapd snapd = snapd(emulation);
        for (String hook : List.of("install", "leader-elected", "config-changed", "start")) {
            dispatch(emulation, Map.of("JUJU_DISPATCH_PATH", "hooks/" + hook));
        }
        dispatch(emulation, Map.of("JUJU_DISPATCH_PATH", "hooks/coherence-relation-changed",
                "JUJU_RELATION", "coherence", "JUJU_RELATION_ID", "coherence:2",
                "JUJU_REMOTE_UNIT", "snap-coherence/1", "JUJU_REMOTE_APP", "snap-coherence"));
        List<String> calls = lines(emulation.resolve("calls"));
        assertThat(calls).contains("config-get --format=json", "relation-ids worker --format=json");
        assertThat(calls).anyMatch(call -> call.startsWith("status-set --application=False active "));

        assertThat(snapd.requests()).as("the managed snaps were held").anyMatch(r -> r.startsWith("POST /v2/snaps {"));
        keepWrites(emulation, calls);
        // The first update-status answers the check round the leader opened: the unit's look at the store.
        Files.delete(emulation.resolve("calls"));
        dispatch(emulation, Map.of("JUJU_DISPATCH_PATH", "hooks/update-status"));
        keepWrites(emulation, lines(emulation.resolve("calls")));
        Files.delete(emulation.resolve("calls"));
        snapd.clearRequests();
        dispatch(emulation, Map.of("JUJU_DISPATCH_PATH", "hooks/update-status"));
        List<String> updateStatus = lines(emulation.resolve("calls"));
        assertThat(updateStatus).anyMatch(call -> call.startsWith("status-set "));
        assertThat(updateStatus).as("a steady update-status writes no data")
                .noneMatch(call -> call.startsWith("relation-set") || call.startsWith("state-set"));
        assertThat(snapd.requests()).as("update-status asks snapd but changes nothing").contains("GET /v2/snaps")
                .allMatch(request -> request.startsWith("GET "));

        String bundledJava = charmDir.resolve("runtime/bin/java").toRealPath().toString();
        assertThat(lines(emulation.resolve("spawned-by"))).as("every tool was spawned by the bundled runtime")
                .isNotEmpty().allMatch(bundledJava::equals);
    }

    @Test
    void everyActionEndsWithAResultOrAFailureMessage() throws IOException, InterruptedException {
        for (String action : List.of("plan", "refresh", "pause", "resume")) {
            Path emulation = emulation("action-" + action);
            snapd(emulation);
            dispatch(emulation, Map.of("JUJU_DISPATCH_PATH", "actions/" + action,
                    "JUJU_ACTION_NAME", action, "JUJU_ACTION_UUID", "7"));
            assertThat(lines(emulation.resolve("calls"))).as(action)
                    .anyMatch(call -> call.startsWith("action-set ") || call.startsWith("action-fail -- "));
        }
    }

    @Test
    void legacyHookLinksRunWithoutDispatchPath() throws IOException, InterruptedException {
        Path emulation = emulation("legacy");
        snapd(emulation);
        succeeds(start(emulation, Map.of(), charmDir.resolve("hooks/update-status").toString()), emulation);
        assertThat(lines(emulation.resolve("calls"))).anyMatch(call -> call.startsWith("status-set "));
    }

    /** Juju writes unpacked files with the current time; dispatch restores the JAR's so the archive maps. */
    @Test
    void theClassDataArchiveMapsAfterAJujuUnpack() throws IOException, InterruptedException {
        Path fresh = temp.resolve("fresh");
        JujuUnpack.unpack(CHARM, fresh);
        Path jar = fresh.resolve("lib/snap-coherence.jar");
        assertThat(Files.getLastModifiedTime(jar)).isNotEqualTo(FileTime.fromMillis(946684800000L));
        Path emulation = emulation("cds");
        snapd(emulation);
        // -Xshare:on makes the JVM refuse to start when the archive cannot be used.
        succeeds(start(emulation, Map.of("JUJU_DISPATCH_PATH", "hooks/update-status",
                "JUJU_CHARM_DIR", fresh.toString(), "JAVA_TOOL_OPTIONS", "-Xshare:on"),
                fresh.resolve("dispatch").toString()), emulation);
        assertThat(Files.getLastModifiedTime(jar)).isEqualTo(FileTime.fromMillis(946684800000L));
        assertThat(fresh.resolve("lib/.restore-jar-time")).doesNotExist();
    }

    /**
     * Makes the tools answer with what the hooks wrote (the unit store and this unit's and the application's peer
     * databags), as Juju keeps a successful hook's writes: the next hook then finds nothing to change.
     */
    private static void keepWrites(Path emulation, List<String> calls) throws IOException {
        Map<String, Map<String, String>> kept = new HashMap<>();
        for (int i = 0; i + 1 < calls.size(); i++) {
            String next = calls.get(i + 1);
            if (!next.startsWith("  stdin: ")) {
                continue;
            }
            String call = calls.get(i);
            String answer = call.startsWith("state-set") ? "state-get"
                    : call.startsWith("relation-set -r coherence:2 --app") ? PEER_GET + " --app --format=json - snap-coherence"
                    : call.startsWith("relation-set -r coherence:2") ? PEER_GET + " --format=json - snap-coherence/0"
                    : null;
            if (answer != null) {
                kept.computeIfAbsent(answer, a -> kept(emulation, a))
                        .putAll(io.snapcoherence.Json.stringMap(next.substring("  stdin: ".length())));
            }
        }
        for (Map.Entry<String, Map<String, String>> answer : kept.entrySet()) {
            Files.writeString(emulation.resolve("answers").resolve(answer.getKey().replace('/', '%')),
                    io.snapcoherence.Json.write(answer.getValue()) + "\n");
        }
    }

    /** What the model holds for a tool's answer so far: the writes of earlier hooks that Juju kept. */
    private static Map<String, String> kept(Path emulation, String answer) {
        Path file = emulation.resolve("answers").resolve(answer.replace('/', '%'));
        try {
            return new java.util.LinkedHashMap<>(Files.exists(file)
                    ? io.snapcoherence.Json.stringMap(Files.readString(file).strip()) : Map.of());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path emulation(String name) throws IOException {
        Path dir = Files.createDirectories(temp.resolve("emulation-" + name));
        Path answers = Files.createDirectories(dir.resolve("answers"));
        Map<String, String> replies = new HashMap<>();
        replies.put("config-get", "{\"snaps\": \"kubectl kubelet\", \"max-unavailable\": 1, \"auto-refresh\": true}");
        replies.put("is-leader", "true");
        replies.put("relation-ids", "[]");
        replies.put("relation-ids coherence --format=json", "[\"coherence:2\"]");
        replies.put("relation-ids worker --format=json", "[\"worker:1\"]");
        replies.put("relation-list", "[\"snap-coherence/1\"]");
        replies.put("relation-get", "{}");
        replies.put("state-get", "{}");
        replies.put("action-get", "{}");
        replies.put("goal-state", "{\"units\": {}, \"relations\": {}}");
        replies.put("status-get", "{\"status\": \"maintenance\", \"message\": \"\", \"status-data\": {}}");
        for (Map.Entry<String, String> reply : replies.entrySet()) {
            Files.writeString(answers.resolve(reply.getKey().replace('/', '%')), reply.getValue() + "\n");
        }
        return dir;
    }

    private void dispatch(Path emulation, Map<String, String> env) throws IOException, InterruptedException {
        succeeds(start(emulation, env, charmDir.resolve("dispatch").toString()), emulation);
    }

    private Process start(Path emulation, Map<String, String> env, String program) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(program).directory(charmDir.toFile())
                .redirectErrorStream(true).redirectOutput(emulation.resolve("output").toFile());
        Map<String, String> environment = builder.environment();
        environment.clear();
        environment.put("PATH", TOOLS + ":/usr/bin:/bin");
        environment.put("LANG", "C.UTF-8");
        environment.put("JUJU_CHARM_DIR", charmDir.toString());
        environment.put("JUJU_UNIT_NAME", "snap-coherence/0");
        environment.put("JUJU_MODEL_NAME", "e2e");
        environment.put("JUJU_MODEL_UUID", "00000000-0000-4000-8000-000000000000");
        environment.put("JUJU_VERSION", "3.6.1");
        environment.put("JUJU_PRINCIPAL_UNIT", "kubernetes-worker/0");
        environment.put("EMULATION_DIR", emulation.toString());
        environment.put("SNAPPY_GLOBAL_ROOT", emulation.resolve("snapd").toString());
        environment.putAll(env);
        return builder.start();
    }

    /** Waits for the hook; it must exit 0 (a bound on the wait only guards against a hung build). */
    private static void succeeds(Process process, Path emulation) throws IOException, InterruptedException {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("dispatch did not finish");
        }
        String output = Files.readString(emulation.resolve("output"));
        assertThat(process.exitValue()).as("exit code; output:%n%s", output).isZero();
    }

    private static List<String> lines(Path file) throws IOException {
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.toList();
        }
    }
}
