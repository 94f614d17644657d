package io.snapcoherence.charm;

import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookRun;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreProxy;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hook that writes relation data and the unit store and then fails leaves no trace of those writes, as in
 * Juju; its status and log stay. The failing handler is simulated by tools that, on the charm's first call,
 * write as a handler would and then throw (or, in the control case, carry on).
 */
class CommitOnSuccessTest {
    private static final String UNIT = "snap-coherence/0";
    private static final Event CHANGED = new Event.Relation("coherence", Event.RelationKind.CHANGED,
            "coherence:1", Optional.of("snap-coherence/1"), Optional.of("snap-coherence"), Optional.empty());
    private static final ModelState STATE = ModelState.of(UNIT).withLeader(true)
            .withRelation(ModelState.RelationState.peer("coherence", "coherence:1", "snap-coherence")
                    .withLocalUnitData(Map.of("test-marker", "before"))
                    .withAppData(Map.of("test-marker", "before"))
                    .withPeer("snap-coherence/1", Map.of()))
            .withRelation(ModelState.RelationState.container("worker", "worker:2", "kubernetes-worker"))
            .withUnitStore(Map.of("test-marker", "before"));

    private record Outcome(ModelState state, int exitCode) {
    }

    private static Outcome run(Event event, ModelState initial, boolean failAfterWrites) {
        JujuContext context = new JujuContext(UNIT, "test-model", Path.of("."), Optional.of("kubernetes-worker/0"),
                event);
        HookRun run = HookRun.run((c, state) -> CharmRunner.run(c, writingHandler(state, failAfterWrites),
                unused(Snaps.class), unused(io.snapcoherence.kube.NodeHealth.class),
                unused(StoreProxy.class), unused(io.snapcoherence.juju.CharmDir.class), Scenario.FIXED_CLOCK), context,
                new StateHookTools(initial));
        return new Outcome(run.finish(), run.exitCode());
    }

    /** Tools that, on the first call, set a status, write everything a hook can write, then maybe throw. */
    private static HookTools writingHandler(HookTools delegate, boolean fail) {
        boolean[] wrote = {false};
        InvocationHandler handler = (proxy, method, args) -> {
            if (!wrote[0]) {
                wrote[0] = true;
                delegate.statusSet(Status.maintenance("refreshing kubelet"));
                delegate.relationSet("coherence:1", Map.of("test-marker", "after"));
                delegate.relationSetApp("coherence:1", Map.of("test-marker", "after"));
                delegate.stateSet(Map.of("test-marker", "after"));
                delegate.applicationVersionSet("test-version");
                if (fail) {
                    throw new IllegalStateException("handler failed after its writes");
                }
            }
            try {
                return method.invoke(delegate, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (HookTools) Proxy.newProxyInstance(HookTools.class.getClassLoader(), new Class<?>[]{HookTools.class},
                handler);
    }

    private static <T> T unused(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (proxy, method, args) -> {
            throw new AssertionError(type.getSimpleName() + "." + method.getName() + " was not expected");
        }));
    }

    @Test
    void aFailingHookLeavesRelationDataAndUnitStoreUnchanged() {
        Outcome outcome = run(CHANGED, STATE, true);

        assertThat(outcome.exitCode()).isEqualTo(1);
        ModelState.RelationState peers = outcome.state().relation("coherence:1").orElseThrow();
        assertThat(peers.localUnitData()).containsExactly(Map.entry("test-marker", "before"));
        assertThat(peers.localAppData()).containsExactly(Map.entry("test-marker", "before"));
        assertThat(peers.remoteAppData()).containsExactly(Map.entry("test-marker", "before"));
        assertThat(outcome.state().unitStore()).containsExactly(Map.entry("test-marker", "before"));
        assertThat(outcome.state().workloadVersion()).isEmpty();
    }

    @Test
    void aFailingHookKeepsItsStatusAndLogsTheStackTrace() {
        Outcome outcome = run(CHANGED, STATE, true);

        assertThat(outcome.state().unitStatus()).isEqualTo(Status.maintenance("refreshing kubelet"));
        assertThat(outcome.state().log()).singleElement().asString()
                .startsWith("ERROR coherence-relation-changed failed")
                .contains("handler failed after its writes", "at io.snapcoherence.");
    }

    /** An unknown action makes the charm answer with action-fail and nothing else: no snapd, no proxy. */
    @Test
    void theSameWritesCommitWhenTheHookSucceeds() {
        Outcome outcome = run(new Event.Action("no-such-action", "1"),
                STATE.withAction(ModelState.ActionState.of("no-such-action", Map.of())), false);

        assertThat(outcome.exitCode()).isZero();
        ModelState.RelationState peers = outcome.state().relation("coherence:1").orElseThrow();
        assertThat(peers.localUnitData()).containsEntry("test-marker", "after");
        assertThat(peers.localAppData()).containsEntry("test-marker", "after");
        assertThat(outcome.state().unitStore()).containsEntry("test-marker", "after");
        assertThat(outcome.state().workloadVersion()).isEqualTo("test-version");
    }
}
