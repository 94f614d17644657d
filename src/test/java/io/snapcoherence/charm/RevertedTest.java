package io.snapcoherence.charm;

import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RevertedTest {

    @Test
    void aRevertedSnapStaysLeftOutWhileARefreshOfItMayStillBeUndone() {
        UnitStore store = new UnitStore(new StateHookTools(ModelState.of("snap-coherence/1")
                .withUnitStore(Map.of(Reverted.KEY.name(), "{\"kubectl\":3105}"))));
        // A refresh to 3155 has linked and its change still runs: snapd may undo it, and the undo puts the block on
        // 3155 back (the machine would then seem to be served 3105 again, seed 103151).
        assertThat(Reverted.stillOn(store, Map.of("kubectl", 3155), Set.of("kubectl")))
                .containsEntry("kubectl", 3105);
        // Undone: back on 3105, still blocked.
        assertThat(Reverted.stillOn(store, Map.of("kubectl", 3105), Set.of())).containsEntry("kubectl", 3105);
        // A refresh done: the block is gone.
        assertThat(Reverted.stillOn(store, Map.of("kubectl", 3155), Set.of())).isEmpty();
        assertThat(Reverted.recall(store)).isEmpty();
    }
}
