package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The role and the peer relation id: asked once per unit, asked again only where a relation may come or go. */
class KnownRelationsTest {
    private static final Event UPDATE_STATUS = new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS);
    private static final ModelState WORKER = ModelState.of("snap-coherence/0")
            .withRelation(ModelState.RelationState.peer("coherence", "coherence:1", "snap-coherence"))
            .withRelation(ModelState.RelationState.container("worker", "worker:2", "kubernetes-worker"));

    /** The tools as state, recording which endpoints relation-ids was asked for. */
    private static HookTools asking(StateHookTools state, List<String> asked) {
        return (HookTools) Proxy.newProxyInstance(HookTools.class.getClassLoader(), new Class<?>[] {HookTools.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("relationIds")) {
                        asked.add((String) args[0]);
                    }
                    try {
                        return method.invoke(state, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private record Hook(Optional<Role> role, Optional<String> peer, List<String> asked, ModelState after) {
    }

    private static Hook run(Event event, ModelState state) {
        StateHookTools tools = new StateHookTools(state);
        List<String> asked = new ArrayList<>();
        UnitStore store = new UnitStore(tools);
        KnownRelations relations = new KnownRelations(asking(tools, asked), store, event);
        Optional<Role> role = relations.role();
        Optional<String> peer = relations.peerRelation();
        store.commit();
        return new Hook(role, peer, asked, tools.finish(true));
    }

    private static Event relation(String endpoint, Event.RelationKind kind, String id) {
        return new Event.Relation(endpoint, kind, id, Optional.empty(), Optional.of("x"), Optional.empty());
    }

    @Test
    void aFoundRoleAndPeerRelationAreAskedOnceThenRemembered() {
        Hook first = run(UPDATE_STATUS, WORKER);
        assertThat(first.asked()).containsExactly("control-plane", "worker", "coherence");
        assertThat(first.after().unitStore()).containsEntry("role", "worker").containsEntry("peer-relation", "coherence:1");

        Hook next = run(UPDATE_STATUS, first.after());
        assertThat(next.asked()).isEmpty();
        assertThat(next.role()).contains(Role.WORKER);
        assertThat(next.peer()).contains("coherence:1");
    }

    @Test
    void hooksWhereRelationsMayChangeAskAgain() {
        ModelState stale = WORKER.withUnitStore(Map.of("role", "control-plane", "peer-relation", "coherence:9"));
        for (Event event : List.of(new Event.Lifecycle(Event.LifecycleKind.INSTALL),
                new Event.Lifecycle(Event.LifecycleKind.UPGRADE_CHARM),
                relation("worker", Event.RelationKind.CREATED, "worker:2"),
                relation("coherence", Event.RelationKind.CREATED, "coherence:1"))) {
            Hook hook = run(event, stale);
            assertThat(hook.role()).as(event.name()).contains(Role.WORKER);
            assertThat(hook.peer()).as(event.name()).contains("coherence:1");
            assertThat(hook.after().unitStore()).as(event.name())
                    .containsEntry("role", "worker").containsEntry("peer-relation", "coherence:1");
        }
    }

    @Test
    void aBreakingRelationIsForgottenEvenWhileJujuStillListsIt() {
        ModelState known = run(UPDATE_STATUS, WORKER).after();

        Hook broken = run(relation("coherence", Event.RelationKind.BROKEN, "coherence:1"), known);

        assertThat(broken.asked()).contains("coherence");
        // forgotten: state-set stores the empty value (jujuc/state-set.go), which reads as nothing remembered
        assertThat(broken.after().unitStore()).containsEntry("peer-relation", "").containsEntry("role", "worker");
    }

    @Test
    void noRoleYetIsNotRememberedSoTheNextHookAsksAgain() {
        ModelState noPrincipal = ModelState.of("snap-coherence/0");

        Hook hook = run(UPDATE_STATUS, noPrincipal);

        assertThat(hook.role()).isEmpty();
        assertThat(hook.after().unitStore()).doesNotContainKeys("role", "peer-relation");
        assertThat(run(UPDATE_STATUS, hook.after()).asked()).containsExactly("control-plane", "worker", "coherence");
    }

    @Test
    void anActionReadsButWritesNothing() {
        Hook action = run(new Event.Action("plan", "1"), WORKER);

        assertThat(action.role()).contains(Role.WORKER);
        assertThat(action.after().unitStore()).isEmpty();
    }
}
