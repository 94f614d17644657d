package io.snapcoherence.juju;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Juju's rules as the state-backed tools apply them: what commits, what is kept on failure, what is refused. */
class StateHookToolsTest {
    private static final String UNIT = "snap-coherence/0";
    private static final ModelState.PeerRelation PEERS = ModelState.RelationState.peer("coherence", "coherence:1",
                    "snap-coherence")
            .withLocalUnitData(Map.of("phase", "idle"))
            .withAppData(Map.of("target", "42"))
            .withPeer("snap-coherence/1", Map.of("phase", "idle"));
    private static final ModelState STATE = ModelState.of(UNIT).withLeader(true).withRelation(PEERS)
            .withUnitStore(Map.of("attempt", "1")).withWorkloadVersion("1.30");

    private static void write(StateHookTools tools) {
        tools.relationSet("coherence:1", Map.of("phase", "refreshing"));
        tools.relationSetApp("coherence:1", Map.of("target", "43"));
        tools.stateSet(Map.of("attempt", "2"));
        tools.applicationVersionSet("1.31");
        tools.statusSet(Status.maintenance("refreshing kubelet"));
        tools.appStatusSet(Status.maintenance("rolling out"));
        tools.log(HookTools.LogLevel.INFO, "granted");
    }

    /**
     * status-get --application reads through the reader at each call (the simulator's model as it stands), with
     * this unit's own status as this hook set it; a unit that does not lead is refused, as Juju refuses it.
     */
    @Test
    void unitStatusesAreReadAtEachCallWithThisHooksOwnStatus() {
        Map<String, WorkloadStatus> model = new java.util.TreeMap<>(Map.of("snap-coherence/1",
                new WorkloadStatus("maintenance", "refreshing")));
        StateHookTools tools = new StateHookTools(STATE, (rid, unit) -> java.util.Optional.empty(),
                () -> Map.copyOf(model));
        assertThat(tools.unitStatuses()).containsOnlyKeys("snap-coherence/1");
        model.put("snap-coherence/1", new WorkloadStatus("active", "done"));
        tools.statusSet(Status.active("mine"));
        assertThat(tools.unitStatuses()).containsEntry("snap-coherence/1", new WorkloadStatus("active", "done"))
                .containsEntry(UNIT, new WorkloadStatus("active", "mine"));
        assertThatThrownBy(() -> new StateHookTools(STATE.withLeader(false)).unitStatuses())
                .isInstanceOf(HookToolException.class).hasMessageContaining("not the leader");
    }

    @Test
    void aSuccessfulHookCommitsEveryWrite() {
        StateHookTools tools = new StateHookTools(STATE);
        write(tools);

        ModelState after = tools.finish(true);

        ModelState.RelationState peers = after.relation("coherence:1").orElseThrow();
        assertThat(peers.localUnitData()).containsExactly(Map.entry("phase", "refreshing"));
        assertThat(peers.localAppData()).containsExactly(Map.entry("target", "43"));
        assertThat(peers.remoteAppData()).as("the peer app databag is the same databag")
                .containsExactly(Map.entry("target", "43"));
        assertThat(after.unitStore()).containsExactly(Map.entry("attempt", "2"));
        assertThat(after.workloadVersion()).isEqualTo("1.31");
        assertThat(tools.relationWrites()).isEqualTo(2);
    }

    @Test
    void aFailedHookLeavesRelationDataStoreAndVersionButKeepsStatusesAndLogs() {
        StateHookTools tools = new StateHookTools(STATE);
        write(tools);

        ModelState after = tools.finish(false);

        assertThat(after.relations()).isEqualTo(STATE.relations());
        assertThat(after.unitStore()).isEqualTo(STATE.unitStore());
        assertThat(after.workloadVersion()).isEqualTo("1.30");
        assertThat(after.unitStatus()).isEqualTo(Status.maintenance("refreshing kubelet"));
        assertThat(after.appStatus()).isEqualTo(Status.maintenance("rolling out"));
        assertThat(after.log()).containsExactly("INFO granted");
    }

    @Test
    void writesAreVisibleToLaterReadsInTheSameHook() {
        StateHookTools tools = new StateHookTools(STATE);
        tools.relationSet("coherence:1", Map.of("phase", "refreshing", "extra", "x"));
        tools.relationSet("coherence:1", Map.of("extra", ""));
        tools.stateSet(Map.of("attempt", ""));

        assertThat(tools.relationGet("coherence:1", UNIT)).containsExactly(Map.entry("phase", "refreshing"));
        // state-set stores an empty value as such (jujuc/state-set.go); only state-delete removes a key
        assertThat(tools.stateGet()).containsExactly(Map.entry("attempt", ""));
    }

    @Test
    void aNonLeaderCannotWriteTheAppDatabagOrAppStatus() {
        StateHookTools tools = new StateHookTools(STATE.withLeader(false));

        assertThatThrownBy(() -> tools.relationSetApp("coherence:1", Map.of("target", "43")))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.tool()).isEqualTo("relation-set");
                    assertThat(e.stderr()).startsWith("ERROR");
                });
        assertThatThrownBy(() -> tools.appStatusSet(Status.active("")))
                .isInstanceOfSatisfying(HookToolException.class, e -> assertThat(e.tool()).isEqualTo("status-set"));
        assertThat(tools.finish(true).relation("coherence:1").orElseThrow().localAppData())
                .containsExactly(Map.entry("target", "42"));
    }

    @Test
    void anUnknownRelationIdIsRefused() {
        StateHookTools tools = new StateHookTools(STATE);

        assertThatThrownBy(() -> tools.relationSet("coherence:9", Map.of("k", "v")))
                .isInstanceOfSatisfying(HookToolException.class,
                        e -> assertThat(e.stderr()).contains("relation not found"));
        assertThatThrownBy(() -> tools.relationList("worker:2")).isInstanceOf(HookToolException.class);
    }

    @Test
    void relationListLeavesThisUnitOut() {
        assertThat(new StateHookTools(STATE).relationList("coherence:1")).containsExactly("snap-coherence/1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"plan", "units-2", "a.b", "result.kubelet.revision", "0"})
    void actionSetAcceptsJujusKeys(String key) {
        StateHookTools tools = new StateHookTools(STATE.withAction(ModelState.ActionState.of("plan", Map.of())));

        tools.actionSet(Map.of(key, "v"));

        assertThat(tools.finish(true).action().results()).containsExactly(Map.entry(key, "v"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Plan", "-a", "a-", "a_b", "a..b", ".a", "a.", "a.-b", "", "stdout", "stderr-encoding"})
    void actionSetRejectsKeysJujuRejects(String key) {
        StateHookTools tools = new StateHookTools(STATE.withAction(ModelState.ActionState.of("plan", Map.of())));

        assertThatThrownBy(() -> tools.actionSet(Map.of(key, "v")))
                .isInstanceOfSatisfying(HookToolException.class, e -> assertThat(e.tool()).isEqualTo("action-set"));
    }

    @Test
    void actionToolsOutsideAnActionAreRefused() {
        StateHookTools tools = new StateHookTools(STATE);

        assertThatThrownBy(tools::actionGet).isInstanceOf(HookToolException.class);
        assertThatThrownBy(() -> tools.actionSet(Map.of("a", "b"))).isInstanceOf(HookToolException.class);
        assertThatThrownBy(() -> tools.actionFail("no")).isInstanceOf(HookToolException.class);
        assertThatThrownBy(() -> tools.actionLog("no")).isInstanceOf(HookToolException.class);
    }

    @Test
    void actionResultsFailureAndLogsAreRecorded() {
        StateHookTools tools = new StateHookTools(STATE.withAction(ModelState.ActionState.of("refresh",
                Map.of("snaps", "kubelet"))));
        Map<String, String> results = new LinkedHashMap<>();
        results.put("granted", "snap-coherence/1");

        assertThat(tools.actionGet()).containsExactly(Map.entry("snaps", "kubelet"));
        tools.actionSet(results);
        tools.actionLog("checking the proxy");
        tools.actionFail("proxy unreachable");

        ModelState.ActionState action = tools.finish(true).action();
        assertThat(action.results()).containsExactly(Map.entry("granted", "snap-coherence/1"));
        assertThat(action.logs()).isEqualTo(List.of("checking the proxy"));
        assertThat(action.failure()).contains("proxy unreachable");
    }

    @Test
    void stateSetRefusesAKeyOver256BytesOrAValueOver64KiBWhenItRuns() {
        StateHookTools tools = new StateHookTools(STATE);
        String longKey = "k".repeat(StateHookTools.MAX_STATE_KEY_BYTES + 1);
        String longValue = "v".repeat(StateHookTools.MAX_STATE_VALUE_BYTES + 1);

        assertThatThrownBy(() -> tools.stateSet(Map.of(longKey, "v")))
                .isInstanceOfSatisfying(HookToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.stderr()).isEqualTo("ERROR max allowed key length (256) exceeded");
                });
        assertThatThrownBy(() -> tools.stateSet(Map.of("big", longValue)))
                .isInstanceOfSatisfying(HookToolException.class,
                        e -> assertThat(e.stderr()).isEqualTo("ERROR max allowed value length (65536) exceeded"));
        tools.stateSet(Map.of("k".repeat(256), "v".repeat(StateHookTools.MAX_STATE_VALUE_BYTES)));

        assertThat(tools.stateGet()).containsKey("k".repeat(256)).doesNotContainKeys(longKey, "big");
    }

    @Test
    void aStoreOver2MiBIsRefusedWhenTheHookCommitsAndNothingOfTheHookLands() {
        StateHookTools tools = new StateHookTools(STATE);
        String value = "v".repeat(StateHookTools.MAX_STATE_VALUE_BYTES);
        for (int i = 0; i < 31; i++) {
            tools.stateSet(Map.of("chunk-" + i, value));
        }
        assertThat(tools.commitRefusal()).as("31 x 64 KiB is under 2 MiB").isEmpty();
        tools.stateSet(Map.of("chunk-31", value));
        tools.relationSet("coherence:1", Map.of("phase", "done"));

        assertThat(tools.commitRefusal()).contains("persisting charm state: max allowed size (2097152) exceeded");
        assertThat(StateHookTools.bsonSize(Map.of("a", "bc"))).as("BSON: 4 + (1 + 2 + 4 + 3) + 1").isEqualTo(15);
        assertThat(StateHookTools.bsonSize(Map.of("a.b", ""))).as("'.' escaped to 3 bytes").isEqualTo(17);
    }

    @Test
    void anUnchangedStoreIsNotCheckedAgainstTheLimit() {
        assertThat(new StateHookTools(STATE).commitRefusal()).isEmpty();
    }
}
