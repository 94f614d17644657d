package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.snapcoherence.coherence.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The leader's own place in the rollout, and what it does while it cannot see every unit. */
class LeaderViewTest {
    private static final List<Target> TARGET = List.of(new Target("kubectl", CH, ARCH, 1350));

    private static PlannerDecision decide(List<UnitReading> peers, RolloutState state, int m, String leader,
                                          Set<String> left) {
        return Planner.decide(PlannerInput.builder().peers(peers).state(state).offers(store("kubectl", 1350))
                .managedSnaps(List.of("kubectl")).maxUnavailable(m).leader(Optional.of(leader)).left(left).build());
    }

    private static RolloutState planned(String... grants) {
        return new RolloutState(Optional.of(new Plan(1, 1, TARGET, false)), List.of(grants), Optional.empty(), false);
    }

    private static List<UnitReading> controlPlane(int... numbers) {
        List<UnitReading> out = peers();
        for (int n : numbers) {
            out.add(cp(n, Map.of("kubectl", rev(1342))));
        }
        return out;
    }

    @Test
    void theLeaderIsGrantedLastInItsTier() {
        PlannerDecision d = decide(controlPlane(0, 1, 2, 3), RolloutState.EMPTY, 1, u(0), Set.of());
        assertThat(d.state().grants()).containsExactly(u(1), u(2));
        // u(1) done: the next batch is granted behind u(2), the leader still last.
        var oneDone = peers(cp(0, Map.of("kubectl", rev(1342))), doneFor(1, cp(1, Map.of("kubectl", rev(1350)))),
                cp(2, Map.of("kubectl", rev(1342))), cp(3, Map.of("kubectl", rev(1342))));
        d = decide(oneDone, d.state(), 1, u(0), Set.of());
        assertThat(d.state().grants()).containsExactly(u(2), u(3));
        var othersDone = peers(cp(0, Map.of("kubectl", rev(1342))), doneFor(1, cp(1, Map.of("kubectl", rev(1350)))),
                doneFor(1, cp(2, Map.of("kubectl", rev(1350)))), cp(3, Map.of("kubectl", rev(1342))));
        assertThat(decide(othersDone, d.state(), 1, u(0), Set.of()).state().grants()).containsExactly(u(3), u(0));
        assertThat(Planner.order(Census.of(controlPlane(0, 1, 2, 3)), d.state().plan().orElseThrow(),
                Optional.of(u(0))).get(Role.CONTROL_PLANE)).containsExactly(u(1), u(2), u(3), u(0));
    }

    @Test
    void theLeadersOwnGrantCountsOnlyWhenCommittedBeforeItsHook() {
        RolloutState decided = decide(controlPlane(0), RolloutState.EMPTY, 1, u(0), Set.of()).state();
        assertThat(decided.grants()).containsExactly(u(0));
        // Plan 1 is being written in this hook: the leader's agent does not see its own grant yet.
        assertThat(Planner.forLeaderAgent(RolloutState.EMPTY, decided, u(0)).granted(u(0))).isFalse();
        // The next hook starts with plan 1 committed: the grant stands.
        assertThat(Planner.forLeaderAgent(decided, decided, u(0)).granted(u(0))).isTrue();
        // A committed plan but a grant written in this hook: not yet either (no committed databag would show the
        // leader's machine changing, and others pace themselves by the committed grants).
        RolloutState committedPlan = new RolloutState(decided.plan(), List.of(u(3)), Optional.empty(), false);
        assertThat(Planner.forLeaderAgent(committedPlan, decided, u(0)).granted(u(0))).isFalse();
    }

    @Test
    void aGrantedUnitTheLeaderHasNotSeenJoinKeepsItsGrantAndHoldsTheRollout() {
        // A unit just added and elected leader sees only itself; snap-coherence/1 was granted and may be refreshing.
        var self = peers(cp(5, Map.of("kubectl", rev(1350))));
        PlannerDecision d = decide(self, planned(u(1)), 2, u(5), Set.of());
        assertThat(d.state().grants()).containsExactly(u(1));
        assertThat(d.state().plan().orElseThrow().complete()).isFalse();
        assertThat(d.appStatus().message()).endsWith("; waiting for granted snap-coherence/1, not in the relation yet");
    }

    @Test
    void aGrantedUnitKnownToHaveLeftIsFreed() {
        PlannerDecision d = decide(controlPlane(0, 2, 3), planned(u(1), u(3)), 1, u(0), Set.of(u(1)));
        assertThat(d.state().grants()).containsExactly(u(3), u(2));
    }

    @Test
    void resumeFreesOnlyGrantsOfUnitsOutOfViewForLongerThanARefreshCanTake() {
        // A leader elected before its -joined hooks ran sees few units: one it has not seen may be refreshing.
        // Resume frees its grant only once this leader has watched it out of view for longer than a refresh takes.
        Instant now = Instant.parse("2026-11-25T10:00:00Z");
        PlannerInput input = PlannerInput.builder().peers(controlPlane(0, 2, 3)).state(planned(u(1), u(3)))
                .offers(store("kubectl", 1350)).managedSnaps(List.of("kubectl"))
                .request(Optional.of(new LeaderRequest.Resume())).leader(Optional.of(u(0))).left(Set.of()).build();
        PlannerDecision justElected = Planner.decide(input.at(new Watch(now, Map.of(), Watch.SILENT_AFTER)));
        assertThat(justElected.state().grants()).containsExactly(u(1), u(3));
        assertThat(justElected.dueSince()).containsEntry(u(1), now);

        PlannerDecision soon = Planner.decide(input.at(new Watch(now.plus(Duration.ofMinutes(44)),
                justElected.dueSince(), Watch.SILENT_AFTER)));
        assertThat(soon.state().grants()).containsExactly(u(1), u(3));

        PlannerDecision later = Planner.decide(input.at(new Watch(now.plus(Duration.ofMinutes(46)),
                justElected.dueSince(), Watch.SILENT_AFTER)));
        assertThat(later.state().grants()).containsExactly(u(3), u(2));
        assertThat(later.dueSince()).doesNotContainKey(u(1));
    }

    @Test
    void theTallyCountsUnitsOfUnknownRoleAsControlPlaneNotThrough() {
        var peers = peers(cp(0, Map.of("kubectl", rev(1350))), worker(1, Map.of("kubectl", rev(1342))),
                new UnitReading.Unreported(u(2)));
        PlannerDecision d = decide(peers, planned(u(1)), 1, u(0), Set.of());
        assertThat(d.tally().orElseThrow().controlPlaneThrough()).isFalse();
        assertThat(d.tally().orElseThrow().describe(1)).isEqualTo("control plane 1/2 on plan 1");
        assertThat(d.appStatus()).isInstanceOf(Status.class);
    }
}
