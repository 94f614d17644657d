package io.snapcoherence.juju;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** States Juju could never present to a hook are refused before the charm runs on them, each with its reason. */
class StateConsistencyTest {
    private static final String UNIT = "snap-coherence/0";
    private static final ModelState.PeerRelation PEERS = ModelState.RelationState.peer("coherence", "coherence:1",
            "snap-coherence").withPeer("snap-coherence/1", Map.of("phase", "idle"));
    private static final ModelState.ContainerRelation WORKER = ModelState.RelationState.container("worker",
            "worker:2", "kubernetes-worker").withPrincipal("kubernetes-worker/0", Map.of());
    private static final ModelState STATE = ModelState.of(UNIT).withRelation(PEERS).withRelation(WORKER);

    private static JujuContext context(Event event) {
        return new JujuContext(UNIT, "test-model", Path.of("."), Optional.of("kubernetes-worker/0"), event);
    }

    private static Event peer(Event.RelationKind kind, String remote) {
        return new Event.Relation("coherence", kind, "coherence:1", Optional.of(remote),
                Optional.of("snap-coherence"), kind == Event.RelationKind.DEPARTED ? Optional.of(remote)
                : Optional.empty());
    }

    private static final Event UPDATE_STATUS = new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS);

    @Test
    void aStateJujuCouldPresentPasses() {
        assertThat(StateConsistency.problems(STATE, context(UPDATE_STATUS))).isEmpty();
        assertThat(StateConsistency.problems(STATE, context(peer(Event.RelationKind.CHANGED, "snap-coherence/1"))))
                .isEmpty();
        ModelState departed = STATE.withRelation(ModelState.RelationState.peer("coherence", "coherence:1",
                "snap-coherence"));
        assertThat(StateConsistency.problems(departed, context(peer(Event.RelationKind.DEPARTED,
                "snap-coherence/1")))).isEmpty();
    }

    @Test
    void aPeerRelationOfAnotherApplicationIsRefused() {
        ModelState state = STATE.withRelation(ModelState.RelationState.peer("coherence", "coherence:1",
                "kubernetes-worker"));
        assertThat(StateConsistency.problems(state, context(UPDATE_STATUS))).containsExactly(
                "peer relation coherence:1 is of application kubernetes-worker, not of the unit's own, snap-coherence");
    }

    @Test
    void aContainerRelationWithTwoPrincipalsIsRefused() {
        ModelState state = STATE.withRelation(WORKER.withPrincipal("kubernetes-worker/1", Map.of()));
        assertThat(StateConsistency.problems(state, context(UPDATE_STATUS))).containsExactly(
                "container relation worker:2 lists 2 principal units [kubernetes-worker/0, kubernetes-worker/1]:"
                        + " a subordinate unit has one principal");
    }

    @Test
    void aPrincipalOfAnotherApplicationIsRefused() {
        ModelState state = STATE.withRelation(ModelState.RelationState.container("worker", "worker:2",
                "kubernetes-worker").withPrincipal("kubernetes-control-plane/0", Map.of()));
        assertThat(StateConsistency.problems(state, context(UPDATE_STATUS))).containsExactly(
                "container relation worker:2 lists kubernetes-control-plane/0, not a unit of its application"
                        + " kubernetes-worker");
    }

    @Test
    void aRemoteUnitNotInTheRelationIsRefused() {
        assertThat(StateConsistency.problems(STATE, context(peer(Event.RelationKind.CHANGED, "snap-coherence/7"))))
                .containsExactly("JUJU_REMOTE_UNIT snap-coherence/7 is not in relation coherence:1"
                        + " [snap-coherence/1]");
    }

    @Test
    void aRemoteUnitOfAnotherApplicationIsRefused() {
        Event joined = new Event.Relation("worker", Event.RelationKind.JOINED, "worker:2",
                Optional.of("kubernetes-control-plane/0"), Optional.of("kubernetes-worker"), Optional.empty());
        assertThat(StateConsistency.problems(STATE, context(joined))).containsExactly(
                "JUJU_REMOTE_UNIT kubernetes-control-plane/0 is not in relation worker:2 [kubernetes-worker/0]",
                "JUJU_REMOTE_UNIT kubernetes-control-plane/0 is not a unit of kubernetes-worker, the application"
                        + " at the other end of worker:2");
    }

    @Test
    void aDepartingUnitStillListedIsRefused() {
        assertThat(StateConsistency.problems(STATE, context(peer(Event.RelationKind.DEPARTED, "snap-coherence/1"))))
                .containsExactly("departing unit snap-coherence/1 is still listed in relation coherence:1 during"
                        + " its -departed");
    }

    @Test
    void aRelationHookForARelationTheStateLacksIsRefused() {
        Event changed = new Event.Relation("control-plane", Event.RelationKind.CHANGED, "control-plane:3",
                Optional.of("kubernetes-control-plane/0"), Optional.of("kubernetes-control-plane"), Optional.empty());
        assertThat(StateConsistency.problems(STATE, context(changed))).containsExactly(
                "control-plane-relation-changed for relation control-plane:3, which the state does not have");
    }

    @Test
    void theApplicationsDatabagOnAContainerRelationIsTheLeadersAlone() {
        ModelState state = STATE.withRelation(WORKER.withLocalAppData(Map.of("k", "v")));
        assertThat(StateConsistency.problems(state, context(UPDATE_STATUS))).containsExactly(
                "container relation worker:2 gives a unit that is not the leader its application's databag, which"
                        + " only the leader can read");
        assertThat(StateConsistency.problems(state.withLeader(true), context(UPDATE_STATUS))).isEmpty();
    }

    @Test
    void aRelationListingTheUnitItselfOrTwiceTheSameIdIsRefused() {
        ModelState state = STATE.withRelations(java.util.List.of(PEERS.withPeer(UNIT, Map.of()), WORKER,
                ModelState.RelationState.container("control-plane", "worker:2", "kubernetes-control-plane")));
        assertThat(StateConsistency.problems(state, context(UPDATE_STATUS))).containsExactly(
                "relation coherence:1 lists the unit itself among its remote units",
                "relation id worker:2 appears twice");
    }

    @Test
    void aStateOfAnotherUnitIsRefused() {
        JujuContext other = new JujuContext("snap-coherence/3", "test-model", Path.of("."), Optional.empty(),
                UPDATE_STATUS);
        assertThat(StateConsistency.problems(STATE, other)).containsExactly(
                "the state is of snap-coherence/0, the hook runs on snap-coherence/3");
    }

    @Test
    void aHookRunRefusesAnInconsistentStateBeforeTheCharmRuns() {
        boolean[] ran = {false};
        ModelState state = STATE.withRelation(WORKER.withPrincipal("kubernetes-worker/1", Map.of()));
        assertThatThrownBy(() -> HookRun.run((context, tools) -> {
            ran[0] = true;
            return 0;
        }, context(UPDATE_STATUS), new StateHookTools(state)))
                .isInstanceOf(StateConsistency.InconsistentState.class)
                .hasMessageStartingWith("inconsistent state for snap-coherence/0 update-status: container relation");
        assertThat(ran[0]).isFalse();
    }
}
