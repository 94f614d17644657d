package io.snapcoherence.e2e;

import io.snapcoherence.juju.FakeJuju;
import io.snapcoherence.snap.fakesnapd.FakeSnapd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs {@code dispatch} as Juju does: a replaced environment (no JAVA_HOME, no HOME, PATH = the emulated hook
 * tools + /usr/bin:/bin), the charm directory as working directory, no stdin; then checks what the tools got and
 * what the fake snapd was asked (its socket found through SNAPPY_GLOBAL_ROOT, as snapd's own client finds it).
 * The emulated tools refuse argv that Juju refuses, so "every call exited 0" is a check of the argv format.
 */
class DispatchIT {
    private static final String UNIT = "snap-coherence/0";
    private static final Path REPO = FakeJuju.repoRoot();
    private static final List<String> STATUS_KINDS = List.of("active", "blocked", "waiting", "maintenance");

    @TempDir
    Path root;
    private FakeJuju juju;
    private FakeSnapd snapd;

    private record Run(int exit, String stdout, String stderr) {
    }

    @BeforeEach
    void model() throws IOException {
        assertThat(REPO.resolve("target/snap-coherence.jar")).as("run after mvn package").exists();
        snapd = FakeSnapd.underRoot(root.resolve("snapd"));
        snapd.state().publish("kubelet", "1.29/stable", 1342).install("kubelet", "1.29/stable", 1342, "daemon")
                .publish("kube-proxy", "1.29/stable", 1100).install("kube-proxy", "1.29/stable", 1100, "daemon");
        juju = FakeJuju.create(root.resolve("juju"), UNIT)
                .leader(true)
                .config(Map.of("snaps", "kubelet kube-proxy", "max-unavailable", 1, "auto-refresh", true,
                        "hold", true, "on-failure", "halt"))
                .relation("worker:2", "kubernetes-worker")
                .unitData("worker:2", UNIT, Map.of())
                .unitData("worker:2", "kubernetes-worker/0", Map.of())
                .relation("coherence:1", "snap-coherence")
                .unitData("coherence:1", UNIT, Map.of())
                .unitData("coherence:1", "snap-coherence/1", Map.of());
    }

    @AfterEach
    void stopSnapd() {
        snapd.close();
    }

    /** What the charm asked snapd to change (everything but GET). */
    private List<String> changeRequests() {
        return snapd.requests().stream().filter(request -> !request.startsWith("GET ")).toList();
    }

    private Map<String, String> hook(String name, String... extra) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("JUJU_DISPATCH_PATH", "hooks/" + name);
        env.put("JUJU_HOOK_NAME", name);
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    private Run dispatch(Path charmDir, String executable, Map<String, String> jujuEnv, String path) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("JUJU_UNIT_NAME", UNIT);
        env.put("JUJU_MODEL_NAME", "k8s");
        env.put("JUJU_MODEL_UUID", "0b4a5d9c-7a4e-4b5e-8f6a-3a1f2e9d7c10");
        env.put("JUJU_VERSION", "3.6.1");
        env.put("JUJU_CHARM_DIR", charmDir.toString());
        env.put("JUJU_PRINCIPAL_UNIT", "kubernetes-worker/0");
        env.putAll(jujuEnv);
        Map<String, String> full = juju.environment(env);
        full.put("PATH", path);
        full.put("SNAPPY_GLOBAL_ROOT", root.resolve("snapd").toString());

        ProcessBuilder builder = new ProcessBuilder(charmDir.resolve(executable).toString())
                .directory(charmDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(root.resolve("stdout").toFile())
                .redirectError(root.resolve("stderr").toFile());
        builder.environment().clear();
        builder.environment().putAll(full);
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(executable + " did not finish");
        }
        return new Run(process.exitValue(), Files.readString(root.resolve("stdout")),
                Files.readString(root.resolve("stderr")));
    }

    private Run dispatch(Map<String, String> jujuEnv) throws Exception {
        return dispatch(REPO, "dispatch", jujuEnv, onPath());
    }

    /** Juju's hook PATH: the hook tools, then the system. */
    private String onPath() {
        return juju.toolsDir() + ":/usr/bin:/bin";
    }

    /** Every call was accepted by the emulated tools, and every status-set has Juju's argv shape. */
    private void assertWellFormedHook(Run run) {
        assertThat(run.exit()).as("exit code; stderr: %s", run.stderr()).isZero();
        assertThat(juju.calls()).as("calls").isNotEmpty()
                .allSatisfy(call -> assertThat(call.exit()).as("%s", call).isZero());
        List<FakeJuju.Call> statuses = juju.calls("status-set");
        assertThat(statuses).as("a handled hook ends with a unit status").isNotEmpty();
        assertThat(statuses).allSatisfy(call -> {
            assertThat(call.args()).hasSize(4);
            assertThat(call.args().get(0)).isIn("--application=False", "--application=True");
            assertThat(call.args().get(1)).isIn(STATUS_KINDS);
            assertThat(call.args().get(2)).isEqualTo("--");
        });
        assertThat(statuses.get(statuses.size() - 1).args().get(0)).isEqualTo("--application=False");
        assertThat(juju.calls()).noneMatch(call -> call.tool().startsWith("action-"));
    }

    @Test
    void install() throws Exception {
        Run run = dispatch(hook("install"));

        assertWellFormedHook(run);
        assertThat(juju.calls("config-get")).extracting(FakeJuju.Call::args)
                .allSatisfy(args -> assertThat(args).containsExactly("--format=json"));
    }

    @Test
    void configChangedWithHoldHoldsTheManagedSnaps() throws Exception {
        Run run = dispatch(hook("config-changed"));

        assertWellFormedHook(run);
        assertThat(changeRequests()).containsExactly("POST /v2/snaps {\"action\":\"hold\","
                + "\"snaps\":[\"kube-proxy\",\"kubelet\"],\"time\":\"forever\",\"hold-level\":\"general\"}");
        assertThat(snapd.state().held("kubelet")).isTrue();
        assertThat(snapd.state().held("kube-proxy")).isTrue();
    }

    @Test
    void updateStatusWithNothingToDoRefreshesAndSetsNothing() throws Exception {
        settle();
        snapd.clearRequests();
        Files.deleteIfExists(juju.stateDir().resolve("calls.jsonl"));

        Run run = dispatch(hook("update-status"));

        assertWellFormedHook(run);
        assertThat(changeRequests()).isEmpty();
        assertThat(juju.calls()).extracting(FakeJuju.Call::tool).doesNotContain("state-set", "relation-set");
        assertThat(juju.calls()).as("each tool's answer is read once per hook")
                .extracting(FakeJuju.Call::argv).doesNotHaveDuplicates();
    }

    /**
     * What a steady-state hook spawns, exactly: after config-changed (whose writes Juju kept), a non-leader's and a
     * leader's update-status and a peer relation-changed that changes nothing. The role and the peer relation id
     * are remembered in the unit store (a unit's principal and its application's peer relation never change while
     * the unit exists), so no relation-ids is asked; is-leader is asked once.
     */
    @Test
    void aSteadyStateHookSpawnsOnlyWhatItsOutcomeDependsOn() throws Exception {
        List<String> reads = List.of("config-get --format=json", "state-get --format=json",
                "relation-list -r coherence:1 --format=json",
                "relation-get -r coherence:1 --app --format=json - snap-coherence",
                "relation-get -r coherence:1 --format=json - " + UNIT, "is-leader --format=json");
        for (boolean leader : List.of(false, true)) {
            juju.leader(leader).unitStore(Map.of()).unitData("coherence:1", UNIT, Map.of())
                    .appData("coherence:1", "snap-coherence", Map.of());
            Files.deleteIfExists(juju.stateDir().resolve("calls.jsonl"));
            settle();
            for (Map<String, String> env : List.of(hook("update-status"), hook("coherence-relation-changed",
                    "JUJU_RELATION", "coherence", "JUJU_RELATION_ID", "coherence:1",
                    "JUJU_REMOTE_UNIT", "snap-coherence/1", "JUJU_REMOTE_APP", "snap-coherence"))) {
                snapd.clearRequests();
                Files.deleteIfExists(juju.stateDir().resolve("calls.jsonl"));

                assertWellFormedHook(dispatch(env));

                String what = (leader ? "leader " : "non-leader ") + env.get("JUJU_HOOK_NAME");
                List<String> spawned = juju.calls().stream().map(call -> String.join(" ", call.argv())).toList();
                assertThat(spawned).as(what).doesNotContain("relation-ids control-plane --format=json",
                        "relation-ids worker --format=json", "relation-ids coherence --format=json");
                assertThat(spawned).as(what).filteredOn(call -> !call.startsWith("status-set"))
                        .containsExactlyInAnyOrderElementsOf(leader ? withPeerRead(reads) : reads);
                assertThat(spawned).as(what).filteredOn(call -> call.startsWith("status-set")).hasSize(leader ? 2 : 1);
                assertThat(snapd.requests()).as(what)
                        .containsExactlyElementsOf(env.get("JUJU_HOOK_NAME").equals("update-status")
                                // its look at the store, and that no proxy answered it (proxy-url is empty)
                                ? List.of("GET /v2/snaps", "GET /v2/find?select=refresh",
                                        "GET /v2/snaps/system/conf?keys=proxy.store")
                                : List.of("GET /v2/snaps"));
            }
        }
    }

    /**
     * The hooks after which a unit is steady: config-changed (the leader opens a check round), then update-status
     * (the unit answers it with its look at what the store serves), their writes kept as Juju keeps them.
     */
    private void settle() throws Exception {
        for (String name : List.of("config-changed", "update-status")) {
            assertWellFormedHook(dispatch(hook(name)));
            keepWrites();
        }
    }

    /** The leader also reads the other units' reports, for its plan. */
    private static List<String> withPeerRead(List<String> reads) {
        List<String> all = new java.util.ArrayList<>(reads);
        all.add("relation-get -r coherence:1 --format=json - snap-coherence/1");
        return all;
    }

    /** Applies the last hook's unit-store and databag writes to the model, as Juju does when a hook succeeds. */
    private void keepWrites() {
        Map<String, String> store = new LinkedHashMap<>();
        Map<String, Map<String, String>> unitBags = new LinkedHashMap<>();
        Map<String, Map<String, String>> appBags = new LinkedHashMap<>();
        for (FakeJuju.Call call : juju.calls()) {
            Map<String, String> written = io.snapcoherence.Json.stringMap(call.stdin().orElse("{}"));
            if (call.tool().equals("state-set")) {
                store.putAll(written);
            } else if (call.tool().equals("relation-set")) {
                String relation = call.args().get(call.args().indexOf("-r") + 1);
                (call.args().contains("--app") ? appBags : unitBags)
                        .computeIfAbsent(relation, r -> new LinkedHashMap<>()).putAll(written);
            }
        }
        juju.unitStore(store);
        unitBags.forEach((relation, data) -> juju.unitData(relation, UNIT, data));
        appBags.forEach((relation, data) -> juju.appData(relation, "snap-coherence", data));
    }

    @Test
    void configChangedWithInvalidConfigBlocksNamingTheOption() throws Exception {
        juju.config(Map.of("max-unavailable", 0));

        Run run = dispatch(hook("config-changed"));

        assertWellFormedHook(run);
        List<String> last = juju.calls("status-set").get(juju.calls("status-set").size() - 1).args();
        assertThat(last.get(1)).isEqualTo("blocked");
        assertThat(last.get(3)).contains("max-unavailable");
    }

    @Test
    void coherenceRelationChanged() throws Exception {
        Run run = dispatch(hook("coherence-relation-changed", "JUJU_RELATION", "coherence",
                "JUJU_RELATION_ID", "coherence:1", "JUJU_REMOTE_UNIT", "snap-coherence/1",
                "JUJU_REMOTE_APP", "snap-coherence"));

        assertWellFormedHook(run);
    }

    @Test
    void anActionAnswersThroughActionTools() throws Exception {
        juju.action("plan", Map.of());

        Run run = dispatch(Map.of("JUJU_DISPATCH_PATH", "actions/plan", "JUJU_ACTION_NAME", "plan",
                "JUJU_ACTION_UUID", "17"));

        assertThat(run.exit()).as("stderr: %s", run.stderr()).isZero();
        assertThat(juju.calls()).allSatisfy(call -> assertThat(call.exit()).as("%s", call).isZero());
        assertThat(juju.calls()).anyMatch(call -> call.tool().equals("action-set") || call.tool().equals("action-fail"));
    }

    @Test
    void anUnknownActionFailsWithItsName() throws Exception {
        juju.action("no-such-action", Map.of());

        Run run = dispatch(Map.of("JUJU_DISPATCH_PATH", "actions/no-such-action",
                "JUJU_ACTION_NAME", "no-such-action", "JUJU_ACTION_UUID", "18"));

        assertThat(run.exit()).isZero();
        FakeJuju.Call fail = juju.calls("action-fail").get(0);
        assertThat(fail.args()).hasSize(2);
        assertThat(fail.args().get(0)).isEqualTo("--");
        assertThat(fail.args().get(1)).contains("no-such-action");
    }

    @Test
    void oldJujuRunsHooksByNameWithoutDispatchPath() throws Exception {
        Run run = dispatch(REPO, "hooks/install", Map.of("JUJU_HOOK_NAME", "install"),
                onPath());

        assertWellFormedHook(run);
    }

    @Test
    void anUnknownHookExitsZeroWithoutCallingAnyTool() throws Exception {
        Run run = dispatch(hook("collect-metrics"));

        assertThat(run.exit()).isZero();
        assertThat(juju.calls()).isEmpty();
    }

    @Test
    void aBundledRuntimeIsUsedWhenNoJavaIsOnPath() throws Exception {
        Path charm = packedCharm();
        Path runtime = Files.createDirectories(charm.resolve("runtime/bin"));
        Files.createSymbolicLink(runtime.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));

        Run run = dispatch(charm, "dispatch", hook("install"), juju.toolsDir().toString());

        assertWellFormedHook(run);
    }

    @Test
    void withoutAnyRuntimeDispatchFailsSayingSo() throws Exception {
        Path charm = packedCharm();

        Run run = dispatch(charm, "dispatch", hook("install"), juju.toolsDir().toString());

        assertThat(run.exit()).isNotZero();
        assertThat(run.stderr()).contains("no Java runtime", charm.resolve("runtime/bin/java").toString());
        assertThat(juju.calls()).isEmpty();
    }

    /** A charm laid out as charmcraft packs it: dispatch, hooks/ links, metadata, lib/snap-coherence.jar. */
    private Path packedCharm() throws IOException {
        Path charm = Files.createDirectories(root.resolve("charm"));
        for (String file : List.of("dispatch", "metadata.yaml", "config.yaml", "actions.yaml")) {
            Files.copy(REPO.resolve(file), charm.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path hooks = Files.createDirectories(charm.resolve("hooks"));
        try (var links = Files.list(REPO.resolve("hooks"))) {
            for (Path link : links.toList()) {
                Files.createSymbolicLink(hooks.resolve(link.getFileName()), Path.of("../dispatch"));
            }
        }
        Files.copy(REPO.resolve("target/snap-coherence.jar"),
                Files.createDirectories(charm.resolve("lib")).resolve("snap-coherence.jar"));
        assertThat(Files.readString(charm.resolve("dispatch"), StandardCharsets.UTF_8)).startsWith("#!/bin/sh");
        return charm;
    }
}
