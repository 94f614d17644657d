package io.snapcoherence.juju;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ProcessHookTools against the emulated tools: the exact argv and stdin each call sends, and error mapping. */
class ProcessHookToolsTest {
    private static final String UNIT = "snap-coherence/0";
    /** Values a databag may hold that a careless encoding would change: YAML keywords, quotes, newlines. */
    private static final Map<String, String> AWKWARD = awkwardValues();

    @TempDir
    Path root;
    private FakeJuju juju;
    private ProcessHookTools tools;

    @BeforeEach
    void setUp() {
        juju = FakeJuju.create(root, UNIT)
                .relation("coherence:1", "snap-coherence")
                .unitData("coherence:1", UNIT, Map.of("mine", "1"))
                .unitData("coherence:1", "snap-coherence/2", Map.of("phase", "done"))
                .unitData("coherence:1", "snap-coherence/1", AWKWARD)
                .appData("coherence:1", "snap-coherence", Map.of("target", "{\"kubelet\":\"42\"}"))
                .relation("worker:3", "kubernetes-worker");
        tools = new ProcessHookTools(juju.toolsDir());
    }

    private static Map<String, String> awkwardValues() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("plain", "value");
        values.put("yaml-bool", "yes");
        values.put("yaml-null", "null");
        values.put("number", "0123");
        values.put("colon", "a: b");
        values.put("quotes", "say \"hi\" and 'bye'");
        values.put("lines", "first\nsecond\n");
        values.put("shell", "$HOME ${PATH} `id` ; | & * \\");
        values.put("unicode", "größe ✓");
        values.put("dash", "-r");
        values.put("padded", "  indented and trailing  ");
        return values;
    }

    @Test
    void configGetReturnsEveryOptionWithItsJsonType() {
        juju.config(Map.of("proxy-url", "http://proxy.internal", "max-unavailable", 2, "hold", false));

        assertThat(tools.configGet()).containsExactlyInAnyOrderEntriesOf(
                Map.of("proxy-url", "http://proxy.internal", "max-unavailable", 2, "hold", false));
        assertThat(juju.onlyCall().argv()).containsExactly("config-get", "--format=json");
    }

    @Test
    void isLeaderReadsTrueAndFalse() {
        juju.leader(true);
        assertThat(tools.isLeader()).isTrue();
        juju.leader(false);
        assertThat(tools.isLeader()).isFalse();
        assertThat(juju.calls()).extracting(FakeJuju.Call::argv)
                .containsOnly(List.of("is-leader", "--format=json"));
    }

    @Test
    void readsSpawnOncePerHookAndOurWritesMakeTheNextReadAskAgain() {
        juju.unitStore(Map.of("k", "old"));
        tools.stateGet();
        tools.stateGet();
        tools.configGet();
        tools.configGet();
        tools.relationGet("coherence:1", "snap-coherence/1");
        tools.relationGet("coherence:1", "snap-coherence/1");
        assertThat(juju.calls()).extracting(FakeJuju.Call::tool)
                .containsExactly("state-get", "config-get", "relation-get");

        tools.stateSet(Map.of("k", "new"));
        tools.relationSet("coherence:1", Map.of("k", "v"));
        tools.stateGet();
        tools.relationGet("coherence:1", "snap-coherence/1");
        assertThat(juju.calls()).extracting(FakeJuju.Call::tool).containsExactly("state-get", "config-get",
                "relation-get", "state-set", "relation-set", "state-get", "relation-get");
    }

    /**
     * goal-state as Juju answers a subordinate unit (UniterAPI.oneGoalState): no units of its own application, and
     * under each container endpoint the principal application and its units, a dying one as "dying".
     */
    @Test
    void goalStateListsThePrincipalUnitsUnderEachEndpointAndLeavesDyingOnesOutOfTheLiveOnes() {
        juju.rawFile("goal-state.json", "{\"units\":{},\"relations\":{\"control-plane\":{"
                + "\"kubernetes-control-plane\":{\"status\":\"joined\",\"since\":\"2026-11-30 07:00:00Z\"},"
                + "\"kubernetes-control-plane/0\":{\"status\":\"active\",\"since\":\"2026-11-30 07:00:00Z\"},"
                + "\"kubernetes-control-plane/1\":{\"status\":\"dying\",\"since\":\"2026-11-30 07:01:00Z\"},"
                + "\"kubernetes-control-plane/3\":{\"status\":\"waiting\",\"since\":\"2026-11-30 07:02:00Z\"}},"
                + "\"worker\":{\"kubernetes-worker\":{\"status\":\"joined\",\"since\":null}}}}");

        GoalState goal = tools.goalState();
        assertThat(goal.units()).isEmpty();
        assertThat(goal.liveUnits("control-plane")).containsExactly("kubernetes-control-plane/0",
                "kubernetes-control-plane/3");
        assertThat(goal.liveUnits("worker")).isEmpty();
        assertThat(juju.onlyCall().argv()).containsExactly("goal-state", "--format=json");
    }

    @Test
    void goalStateOfAnotherShapeOrRefusedIsAHookToolError() {
        juju.rawFile("goal-state.json", "{\"units\":{},\"relations\":{\"control-plane\":{\"kubernetes-control-plane/0\":"
                + "\"active\"}}}");
        assertThatThrownBy(() -> tools.goalState()).isInstanceOf(HookToolException.class)
                .hasMessageContaining("unparseable output").hasMessageContaining("has no status");
        juju.fail("goal-state", "connection is shut down");
        assertThatThrownBy(() -> new ProcessHookTools(juju.toolsDir()).goalState()).isInstanceOf(HookToolException.class)
                .hasMessageContaining("connection is shut down");
    }

    /**
     * status-get --application as Juju prints it (status-get.go ApplicationStatus, toDetails): the application's
     * status with every unit's under "units", each with status, message and status-data, no since. A status this
     * unit set in the same hook is there at once; the others are read as they stand.
     */
    @Test
    void unitStatusesReadsEveryUnitsWorkloadStatusAsTheLeaderAsksForIt() {
        juju.leader(true).rawFile("status/units/snap-coherence/1.json",
                "{\"message\":\"on plan 7 (attempt 1, verified)\",\"status\":\"active\",\"status-data\":{}}")
                .rawFile("status/units/snap-coherence/2.json",
                        "{\"message\":\"hook failed: \\\"update-status\\\"\",\"status\":\"error\",\"status-data\":{}}");
        tools.statusSet(Status.maintenance("refreshing \"kubelet\""));

        Map<String, WorkloadStatus> statuses = tools.unitStatuses();

        assertThat(statuses).containsExactly(
                Map.entry(UNIT, new WorkloadStatus("maintenance", "refreshing \"kubelet\"")),
                Map.entry("snap-coherence/1", new WorkloadStatus("active", "on plan 7 (attempt 1, verified)")),
                Map.entry("snap-coherence/2", new WorkloadStatus("error", "hook failed: \"update-status\"")));
        assertThat(juju.calls("status-get").get(0).argv()).containsExactly("status-get", "--application=True",
                "--include-data", "--format=json");
    }

    @Test
    void unitStatusesOfAnotherShapeOrOnANonLeaderIsAHookToolError() {
        assertThatThrownBy(() -> tools.unitStatuses()).isInstanceOf(HookToolException.class)
                .hasMessageContaining("this unit is not the leader");
        juju.leader(true).rawFile("status/units/snap-coherence/1.json", "{\"status\":\"active\"}");
        assertThatThrownBy(() -> tools.unitStatuses()).isInstanceOf(HookToolException.class)
                .hasMessageContaining("unparseable output").hasMessageContaining("has no status and message");
        assertThatThrownBy(() -> WorkloadStatus.parseApplication("{\"application-status\":{\"status\":\"active\"}}"))
                .hasMessageContaining("no units object");
    }

    @Test
    void relationIdsListsTheEndpointsRelations() {
        assertThat(tools.relationIds("coherence")).containsExactly("coherence:1");
        assertThat(tools.relationIds("control-plane")).isEmpty();
        assertThat(juju.calls().get(0).argv()).containsExactly("relation-ids", "coherence", "--format=json");
    }

    @Test
    void relationListGivesRemoteUnitsOnly() {
        assertThat(tools.relationList("coherence:1")).containsExactlyInAnyOrder("snap-coherence/1", "snap-coherence/2");
        assertThat(juju.onlyCall().argv()).containsExactly("relation-list", "-r", "coherence:1", "--format=json");
    }

    @Test
    void relationGetReadsOneUnitsDatabagAsStrings() {
        assertThat(tools.relationGet("coherence:1", "snap-coherence/1")).isEqualTo(AWKWARD);
        assertThat(juju.onlyCall().argv())
                .containsExactly("relation-get", "-r", "coherence:1", "--format=json", "-", "snap-coherence/1");
    }

    @Test
    void relationGetAppReadsTheApplicationDatabag() {
        assertThat(tools.relationGetApp("coherence:1", "snap-coherence"))
                .containsExactly(Map.entry("target", "{\"kubelet\":\"42\"}"));
        assertThat(juju.onlyCall().argv()).containsExactly("relation-get", "-r", "coherence:1", "--app",
                "--format=json", "-", "snap-coherence");
    }

    @Test
    void relationSetSendsTheValuesOnStdinAsYamlJujuReadsBack() throws Exception {
        Map<String, String> values = new LinkedHashMap<>(AWKWARD);
        values.put("deleted", "");

        tools.relationSet("coherence:1", values);

        FakeJuju.Call call = juju.onlyCall();
        assertThat(call.argv()).containsExactly("relation-set", "-r", "coherence:1", "--file", "-");
        assertThat(asYaml(call.stdin().orElseThrow())).isEqualTo(values);
    }

    @Test
    void relationSetAppWritesTheAppDatabagAsLeader() throws Exception {
        juju.leader(true);

        tools.relationSetApp("coherence:1", Map.of("target", "{\"kubelet\":\"43\"}"));

        FakeJuju.Call call = juju.onlyCall();
        assertThat(call.argv()).containsExactly("relation-set", "-r", "coherence:1", "--app", "--file", "-");
        assertThat(asYaml(call.stdin().orElseThrow())).isEqualTo(Map.of("target", "{\"kubelet\":\"43\"}"));
    }

    @Test
    void relationSetAppAsNonLeaderIsRefusedByJuju() {
        juju.leader(false);

        assertThatThrownBy(() -> tools.relationSetApp("coherence:1", Map.of("k", "v")))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.tool()).isEqualTo("relation-set");
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.stderr()).startsWith("ERROR ").contains("not the leader");
                });
    }

    @Test
    void anUnknownRelationIdIsATypedError() {
        assertThatThrownBy(() -> tools.relationGet("coherence:9", "snap-coherence/1"))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.argv()).containsExactly("relation-get", "-r", "coherence:9", "--format=json",
                            "-", "snap-coherence/1");
                    assertThat(e.exitCode()).isNotZero();
                    assertThat(e.stderr()).contains("relation not found");
                    assertThat(e.getMessage()).contains("relation-get", "coherence:9", "relation not found");
                });
    }

    @Test
    void aWriteToARelationThatIsGoneIsATypedErrorEvenWhenStdinIsNotRead() {
        assertThatThrownBy(() -> tools.relationSet("coherence:9", AWKWARD))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.argv()).containsExactly("relation-set", "-r", "coherence:9", "--file", "-");
                    assertThat(e.stderr()).contains("relation not found");
                });
    }

    @Test
    void argumentsReachTheToolVerbatimWithoutAnyShell() {
        juju.action("plan", Map.of());
        for (String value : AWKWARD.values()) {
            tools.actionLog(value);
        }

        assertThat(juju.calls("action-log")).extracting(call -> call.args().get(1))
                .containsExactlyElementsOf(AWKWARD.values());
    }

    @Test
    void nullValuesAreSentAsEmptyStringsWhichDeleteTheKey() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("gone", null);

        tools.relationSet("coherence:1", values);

        assertThat(asYaml(juju.onlyCall().stdin().orElseThrow())).isEqualTo(Map.of("gone", ""));
    }

    @Test
    void statusSetPassesKindAndMessageAfterDoubleDash() {
        tools.statusSet(Status.active("ready (worker, 6 snaps managed)"));
        tools.statusSet(Status.blocked("-r looks like an option\nand has a second line"));
        tools.statusSet(Status.waiting(""));

        assertThat(juju.calls()).extracting(FakeJuju.Call::argv).containsExactly(
                List.of("status-set", "--application=False", "active", "--", "ready (worker, 6 snaps managed)"),
                List.of("status-set", "--application=False", "blocked", "--",
                        "-r looks like an option\nand has a second line"),
                List.of("status-set", "--application=False", "waiting", "--", ""));
        assertThat(juju.calls()).allSatisfy(call -> assertThat(call.exit()).isZero());
    }

    @Test
    void appStatusSetNeedsLeadership() {
        juju.leader(true);
        tools.appStatusSet(Status.maintenance("rolling out"));
        assertThat(juju.onlyCall().argv())
                .containsExactly("status-set", "--application=True", "maintenance", "--", "rolling out");

        juju.leader(false);
        assertThatThrownBy(() -> tools.appStatusSet(Status.active("")))
                .isInstanceOfSatisfying(HookToolException.class, e -> assertThat(e.exitCode()).isEqualTo(1));
    }

    @Test
    void stateGetAndStateSetUseTheUnitStore() throws Exception {
        juju.unitStore(Map.of("last-refresh", "2026-11-25T10:00:00Z"));

        assertThat(tools.stateGet()).containsExactly(Map.entry("last-refresh", "2026-11-25T10:00:00Z"));
        tools.stateSet(AWKWARD);

        assertThat(juju.calls().get(0).argv()).containsExactly("state-get", "--format=json");
        FakeJuju.Call set = juju.calls().get(1);
        assertThat(set.argv()).containsExactly("state-set", "--file", "-");
        assertThat(asYaml(set.stdin().orElseThrow())).isEqualTo(AWKWARD);
    }

    @Test
    void actionToolsDuringAnAction() {
        juju.action("refresh", Map.of("snaps", "kubelet kube-proxy"));

        assertThat(tools.actionGet()).containsExactly(Map.entry("snaps", "kubelet kube-proxy"));
        Map<String, String> results = new LinkedHashMap<>();
        results.put("plan", "kubelet 42 -> 43, a=b");
        results.put("units.count", "3");
        tools.actionSet(results);
        tools.actionLog("granted snap-coherence/1");
        tools.actionFail("--halted; see status");

        assertThat(juju.calls()).extracting(FakeJuju.Call::argv).containsExactly(
                List.of("action-get", "--format=json"),
                List.of("action-set", "plan=kubelet 42 -> 43, a=b", "units.count=3"),
                List.of("action-log", "--", "granted snap-coherence/1"),
                List.of("action-fail", "--", "--halted; see status"));
        assertThat(juju.calls()).allSatisfy(call -> assertThat(call.exit()).isZero());
    }

    @Test
    void actionSetWithNoResultsCallsNothing() {
        juju.action("plan", Map.of());
        tools.actionSet(Map.of());
        assertThat(juju.calls()).isEmpty();
    }

    @Test
    void actionToolsOutsideAnActionAreRefused() {
        assertThatThrownBy(() -> tools.actionFail("no"))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.stderr()).isEqualTo("ERROR not running an action\n");
                });
    }

    @Test
    void actionSetWithAKeyJujuRejectsIsATypedError() {
        juju.action("plan", Map.of());
        assertThatThrownBy(() -> tools.actionSet(Map.of("Units", "1")))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.argv()).containsExactly("action-set", "Units=1");
                    assertThat(e.exitCode()).isEqualTo(2);
                });
    }

    @Test
    void jujuLogPassesTheLevelAndMessage() {
        for (HookTools.LogLevel level : HookTools.LogLevel.values()) {
            tools.log(level, "-" + level + " message");
        }
        assertThat(juju.calls()).extracting(FakeJuju.Call::argv).containsExactly(
                List.of("juju-log", "--log-level", "DEBUG", "--", "-DEBUG message"),
                List.of("juju-log", "--log-level", "INFO", "--", "-INFO message"),
                List.of("juju-log", "--log-level", "WARNING", "--", "-WARNING message"),
                List.of("juju-log", "--log-level", "ERROR", "--", "-ERROR message"));
        assertThat(juju.calls()).allSatisfy(call -> assertThat(call.exit()).isZero());
    }

    @Test
    void aLogMessageLongerThanOneArgumentMayBeIsTruncatedNotLost() {
        String trace = "at io.snapcoherence.Deep.frame(Deep.java:1)\n".repeat(5000);

        tools.log(HookTools.LogLevel.ERROR, trace);

        String sent = juju.onlyCall().args().get(3);
        assertThat(sent).startsWith(trace.substring(0, 1000)).endsWith("(truncated)");
        assertThat(sent.length()).isLessThan(trace.length());
    }

    @Test
    void applicationVersionSetPassesTheVersion() {
        tools.applicationVersionSet("1.31.2");
        assertThat(juju.onlyCall().argv()).containsExactly("application-version-set", "--", "1.31.2");
    }

    static Stream<Arguments> everyCall() {
        return Stream.of(
                call("config-get", HookTools::configGet),
                call("is-leader", HookTools::isLeader),
                call("relation-ids", t -> t.relationIds("coherence")),
                call("relation-list", t -> t.relationList("coherence:1")),
                call("relation-get", t -> t.relationGet("coherence:1", "snap-coherence/1")),
                call("relation-get", t -> t.relationGetApp("coherence:1", "snap-coherence")),
                call("relation-set", t -> t.relationSet("coherence:1", Map.of("k", "v"))),
                call("relation-set", t -> t.relationSetApp("coherence:1", Map.of("k", "v"))),
                call("status-set", t -> t.statusSet(Status.active("ok"))),
                call("status-set", t -> t.appStatusSet(Status.active("ok"))),
                call("state-get", HookTools::stateGet),
                call("state-set", t -> t.stateSet(Map.of("k", "v"))),
                call("action-get", HookTools::actionGet),
                call("action-set", t -> t.actionSet(Map.of("k", "v"))),
                call("action-fail", t -> t.actionFail("m")),
                call("action-log", t -> t.actionLog("m")),
                call("juju-log", t -> t.log(HookTools.LogLevel.INFO, "m")),
                call("application-version-set", t -> t.applicationVersionSet("1")));
    }

    private static Arguments call(String tool, Consumer<HookTools> invocation) {
        return Arguments.of(tool, invocation);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyCall")
    void aToolExitingNonZeroBecomesAHookToolExceptionWithToolArgvAndStderr(String tool,
                                                                            Consumer<HookTools> invocation) {
        juju.leader(true).action("plan", Map.of()).fail(tool, "connection to the controller lost");

        assertThatThrownBy(() -> invocation.accept(tools))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    FakeJuju.Call call = juju.onlyCall();
                    assertThat(e.tool()).isEqualTo(tool);
                    assertThat(e.argv()).isEqualTo(call.argv());
                    assertThat(e.exitCode()).isEqualTo(1).isEqualTo(call.exit());
                    assertThat(e.stderr()).isEqualTo("ERROR connection to the controller lost\n");
                    assertThat(e.getMessage()).contains(tool, "connection to the controller lost");
                });
    }

    static Stream<Arguments> unparseableOutputs() {
        return Stream.of(
                Arguments.of("config-get", "config.json", "not json", (Consumer<HookTools>) HookTools::configGet),
                Arguments.of("config-get", "config.json", "[1, 2]", (Consumer<HookTools>) HookTools::configGet),
                Arguments.of("is-leader", "leader", "maybe", (Consumer<HookTools>) HookTools::isLeader),
                Arguments.of("state-get", "state.json", "{\"k\":", (Consumer<HookTools>) HookTools::stateGet),
                Arguments.of("action-get", "action-params.json", "\"text\"",
                        (Consumer<HookTools>) HookTools::actionGet),
                Arguments.of("relation-get", "relations/coherence:1/units/snap-coherence/1.json", "[\"a\"]",
                        (Consumer<HookTools>) t -> t.relationGet("coherence:1", "snap-coherence/1")));
    }

    @ParameterizedTest(name = "{0} printing {2}")
    @MethodSource("unparseableOutputs")
    void unparseableOutputIsAHookToolException(String tool, String file, String output,
                                               Consumer<HookTools> invocation) {
        juju.action("plan", Map.of()).rawFile(file, output);

        assertThatThrownBy(() -> invocation.accept(tools))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.tool()).isEqualTo(tool);
                    assertThat(e.argv()).isEqualTo(juju.onlyCall().argv());
                    assertThat(e.stderr()).contains("unparseable output");
                });
    }

    @Test
    void aToolThatCannotBeStartedIsAHookToolException() throws Exception {
        ProcessHookTools noTools = new ProcessHookTools(Files.createDirectories(root.resolve("empty")));

        assertThatThrownBy(noTools::isLeader)
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.tool()).isEqualTo("is-leader");
                    assertThat(e.argv()).containsExactly("is-leader", "--format=json");
                    assertThat(e.stderr()).startsWith("cannot run");
                });
    }

    private static Map<String, Object> asYaml(String stdin) throws Exception {
        return new YAMLMapper().readValue(stdin, new TypeReference<LinkedHashMap<String, Object>>() { });
    }
}
