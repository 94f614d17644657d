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
}
