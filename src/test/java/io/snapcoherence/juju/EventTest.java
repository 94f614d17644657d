package io.snapcoherence.juju;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The facts the charm asks of an event, for every kind of hook. */
class EventTest {
    private static Event hook(String name) {
        return Event.ofHook(name, "coherence:1", Optional.of("snap-coherence/1"), Optional.of("snap-coherence"),
                name.endsWith("-departed") ? Optional.of("snap-coherence/1") : Optional.empty());
    }

    @Test
    void onlyStopAndRemoveStopTheUnit() {
        for (Event.LifecycleKind kind : Event.LifecycleKind.values()) {
            assertThat(hook(kind.hookName()).stopsUnit()).as(kind.hookName())
                    .isEqualTo(kind == Event.LifecycleKind.STOP || kind == Event.LifecycleKind.REMOVE);
            assertThat(hook(kind.hookName()).lifecycle()).contains(kind);
        }
        for (Event.RelationKind kind : Event.RelationKind.values()) {
            assertThat(hook("worker" + kind.hookSuffix()).stopsUnit()).isFalse();
            assertThat(hook("worker" + kind.hookSuffix()).lifecycle()).isEmpty();
        }
        assertThat(new Event.Action("refresh", "1").stopsUnit()).isFalse();
    }

    @Test
    void relationsMayHaveChangedWhereOneComesOrGoesAndWhereNoEarlierHookCounts() {
        List<String> changing = List.of("install", "upgrade-charm", "worker-relation-created",
                "coherence-relation-broken");
        List<String> steady = List.of("start", "config-changed", "update-status", "leader-elected", "stop", "remove",
                "coherence-relation-joined", "coherence-relation-changed", "worker-relation-departed");
        changing.forEach(name -> assertThat(hook(name).relationsMayHaveChanged()).as(name).isTrue());
        steady.forEach(name -> assertThat(hook(name).relationsMayHaveChanged()).as(name).isFalse());
        assertThat(new Event.Action("plan", "1").relationsMayHaveChanged()).isFalse();
    }

    @Test
    void theBrokenEndpointAndTheDepartingUnitAreThoseOfTheirOwnHooks() {
        assertThat(hook("control-plane-relation-broken").brokenEndpoint()).contains("control-plane");
        assertThat(hook("control-plane-relation-departed").brokenEndpoint()).isEmpty();
        assertThat(hook("stop").brokenEndpoint()).isEmpty();

        assertThat(hook("coherence-relation-departed").departingUnit()).contains("snap-coherence/1");
        assertThat(hook("coherence-relation-changed").departingUnit()).isEmpty();
        assertThat(hook("remove").departingUnit()).isEmpty();
        assertThat(new Event.Action("refresh", "1").departingUnit()).isEmpty();
    }
}
