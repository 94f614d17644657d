package io.snapcoherence.juju;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The emulated tools themselves, where they model a Juju rule that ProcessHookTools does not reach. */
class FakeJujuToolsTest {
    @TempDir
    Path root;
    private FakeJuju juju;

    private record Result(int exit, String stdout, String stderr) {
    }

    @BeforeEach
    void setUp() {
        juju = FakeJuju.create(root, "snap-coherence/0")
                .relation("worker:2", "kubernetes-worker")
                .unitData("worker:2", "kubernetes-worker/0", Map.of("ingress-address", "10.0.0.7"))
                .appData("worker:2", "snap-coherence", Map.of("k", "v"));
    }

    private Result tool(Map<String, String> env, String... argv) throws Exception {
        List<String> command = new ArrayList<>(List.of(argv));
        command.set(0, juju.toolsDir().resolve(argv[0]).toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(juju.environment(env));
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.waitFor(), out, err);
    }

    @Test
    void statusGetShowsWhatStatusSetSetAtOnce() throws Exception {
        tool(Map.of(), "status-set", "--application=False", "waiting", "--", "line \"one\"\nline two");

        Result got = tool(Map.of(), "status-get", "--include-data", "--format=json");

        assertThat(io.snapcoherence.Json.objectMap(got.stdout()))
                .containsEntry("status", "waiting").containsEntry("message", "line \"one\"\nline two");
    }

    @Test
    void aNonLeaderCannotReadItsOwnAppDatabagOnANonPeerRelation() throws Exception {
        juju.leader(false);
        Result denied = tool(Map.of(), "relation-get", "-r", "worker:2", "--app", "--format=json", "-",
                "snap-coherence");
        juju.leader(true);
        Result allowed = tool(Map.of(), "relation-get", "-r", "worker:2", "--app", "--format=json", "-",
                "snap-coherence");

        assertThat(denied.exit()).isEqualTo(1);
        assertThat(denied.stderr()).isEqualTo("ERROR permission denied\n");
        assertThat(allowed.stdout()).contains("\"k\"");
    }

    @Test
    void relationToolsDefaultToTheHooksRelationAndRemoteUnit() throws Exception {
        Result got = tool(Map.of("JUJU_RELATION", "worker", "JUJU_RELATION_ID", "worker:2",
                "JUJU_REMOTE_UNIT", "kubernetes-worker/0"), "relation-get", "--format=json", "-");

        assertThat(got.exit()).isZero();
        assertThat(io.snapcoherence.Json.stringMap(got.stdout())).containsEntry("ingress-address", "10.0.0.7");
    }

    @Test
    void anOptionAToolDoesNotTakeIsAUsageError() throws Exception {
        Result got = tool(Map.of(), "is-leader", "--app");

        assertThat(got.exit()).isEqualTo(2);
        assertThat(got.stderr()).startsWith("ERROR ");
        assertThat(juju.onlyCall().exit()).isEqualTo(2);
    }

    @Test
    void everyToolIsInstalledAndLogsItsCall() throws Exception {
        juju.action("plan", Map.of());
        List<String> tools = List.of("config-get", "is-leader", "goal-state", "state-get", "action-get",
                "status-get");
        for (String name : tools) {
            assertThat(tool(Map.of(), name, "--format=json").exit()).as(name).isZero();
        }
        assertThat(tool(Map.of(), "relation-ids", "worker", "--format=json").stdout()).isEqualTo("[\"worker:2\"]\n");
        assertThat(tool(Map.of(), "application-version-set", "--", "1.31").exit()).isZero();

        assertThat(juju.calls()).extracting(FakeJuju.Call::tool)
                .containsSubsequence(tools).contains("relation-ids", "application-version-set");
    }
}
