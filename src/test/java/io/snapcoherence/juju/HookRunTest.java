package io.snapcoherence.juju;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class HookRunTest {
    private static final JujuContext CONTEXT = new JujuContext("snap-coherence/0", "test-model", Path.of("."),
            Optional.empty(), new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS));
    private static final ModelState BEFORE = ModelState.of("snap-coherence/0")
            .withUnitStore(Map.of("marker", "before"));

    private static HookRun writeThenExit(Map<String, String> store, int exit) {
        return HookRun.run((context, tools) -> {
            tools.stateSet(store);
            tools.statusSet(Status.active("ran"));
            return exit;
        }, CONTEXT, new StateHookTools(BEFORE));
    }

    @Test
    void aHookThatExitsZeroCommitsItsWrites() {
        HookRun run = writeThenExit(Map.of("marker", "after"), 0);
        assertThat(run.committed()).isTrue();
        assertThat(run.reportedExitCode()).isZero();
        assertThat(run.finish().unitStore()).containsEntry("marker", "after");
    }

    @Test
    void aHookThatFailsLosesItsWritesButKeepsItsStatus() {
        HookRun run = writeThenExit(Map.of("marker", "after"), 3);
        assertThat(run.refusal()).contains("exit 3");
        assertThat(run.reportedExitCode()).isEqualTo(3);
        ModelState after = run.finish();
        assertThat(after.unitStore()).containsEntry("marker", "before");
        assertThat(after.unitStatus()).isEqualTo(Status.active("ran"));
    }

    @Test
    void aCommitTheControllerRefusesFailsAHookThatExitedZero() {
        Map<String, String> tooMuch = new LinkedHashMap<>();
        String value = "x".repeat(StateHookTools.MAX_STATE_VALUE_BYTES);
        for (int i = 0; i * (long) value.length() <= StateHookTools.MAX_STATE_TOTAL_BYTES; i++) {
            tooMuch.put("key-" + i, value);
        }
        HookRun run = writeThenExit(tooMuch, 0);
        assertThat(run.exitCode()).isZero();
        assertThat(run.refusal()).isPresent();
        assertThat(run.reportedExitCode()).isEqualTo(1);
        assertThat(run.finish().unitStore()).containsEntry("marker", "before").doesNotContainKey("key-0");
    }

    private static HookRun leaderWritingAppData(int exit) {
        ModelState leader = BEFORE.withLeader(true).withRelation(
                ModelState.RelationState.peer("coherence", "coherence:0", "snap-coherence"));
        return HookRun.run((context, tools) -> {
            tools.relationSetApp("coherence:0", Map.of("grants", "[]"));
            return exit;
        }, CONTEXT, new StateHookTools(leader));
    }

    @Test
    void anAgentKilledBeforeItsCommitLosesTheHooksWrites() {
        HookRun run = writeThenExit(Map.of("marker", "after"), 0).atCommit(true, true);
        assertThat(run.refusal()).contains("killed before its commit");
        assertThat(run.finish().unitStore()).containsEntry("marker", "before");
    }

    @Test
    void appDataWrittenByAHookThatLostTheLeaseIsRefusedAsAWhole() {
        HookRun kept = leaderWritingAppData(0);
        assertThat(kept.committed()).as("a leader still holding the lease commits").isTrue();
        HookRun lost = kept.atCommit(false, false);
        assertThat(lost.refusal()).contains("application settings written without the lease");
        assertThat(lost.reportedExitCode()).isEqualTo(1);
        assertThat(lost.finish().relation("coherence:0").orElseThrow().localAppData()).isEmpty();
    }

    @Test
    void aHookThatDidNotWriteAppDataCommitsWithoutTheLease() {
        assertThat(writeThenExit(Map.of("marker", "after"), 0).atCommit(false, false).committed()).isTrue();
    }

    @Test
    void theFirstRefusalInJujusOrderIsTheOneReported() {
        assertThat(leaderWritingAppData(2).atCommit(true, false).refusal()).contains("exit 2");
        assertThat(leaderWritingAppData(0).atCommit(true, false).refusal()).contains("killed before its commit");
    }

    @Test
    void anActionWhoseCommitIsRefusedFailsWithTheRefusal() {
        ModelState acting = BEFORE.withAction(ModelState.ActionState.of("plan", Map.of()));
        HookRun run = HookRun.run((context, tools) -> 0, CONTEXT, new StateHookTools(acting))
                .atCommit(true, true);
        assertThat(run.actionFailure(run.finish()))
                .contains("committing requested changes failed: killed before its commit");
        HookRun failed = HookRun.run((context, tools) -> {
            tools.actionFail("no plan");
            return 0;
        }, CONTEXT, new StateHookTools(acting));
        assertThat(failed.actionFailure(failed.finish())).contains("no plan");
    }
}
