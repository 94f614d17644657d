package io.snapcoherence.coherence;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.snapcoherence.coherence.Fixtures.CH;
import static io.snapcoherence.coherence.Fixtures.rev;
import static io.snapcoherence.coherence.Fixtures.u;
import static org.assertj.core.api.Assertions.assertThat;

/** A unit's targets are those of its own architecture. */
class UnitAgentArchTest {
    private static final Target AMD64 = new Target("kubelet", CH, "amd64", 201);
    private static final Target ARM64 = new Target("kubelet", CH, "arm64", 1201);
    private static final Plan PLAN = new Plan(3, 1, List.of(AMD64, ARM64), false);

    private static AgentDecision decide(String arch, int installed) {
        var state = new RolloutState(Optional.of(PLAN), List.of(u(5)), Optional.empty(), false);
        var controlPlane = new UnitReading.Reported(new UnitReport(u(0), Role.CONTROL_PLANE,
                Map.of("kube-apiserver", rev(10)), Optional.empty(), Optional.empty(), "amd64", Optional.empty()));
        // goal-state lists no control-plane principal beyond what the reports cover (UnitAgentTest covers that rule).
        return UnitAgent.decide(new AgentInput(u(5), Role.WORKER, Map.of("kubelet", rev(installed)),
                Optional.empty(), new PeerCodec.AppReading.Read(state), 1, Optional.of(List.of(controlPlane)), true,
                true, Optional.empty(), arch).withControlPlaneGoal(List.of()));
    }

    @Test
    void anArm64WorkerRefreshesToTheArm64TargetAndAnAmd64WorkerToTheAmd64One() {
        assertThat(decide("arm64", 1200)).isEqualTo(new AgentDecision.Refresh(PLAN, List.of(ARM64), List.of(ARM64)));
        assertThat(decide("amd64", 200)).isEqualTo(new AgentDecision.Refresh(PLAN, List.of(AMD64), List.of(AMD64)));
    }

    @Test
    void aUnitOfAnArchitectureThePlanHasNoTargetForHasNothingToDo() {
        var amd64Only = new Plan(3, 1, List.of(AMD64), false);
        assertThat(amd64Only.pendingOn("s390x", Map.of("kubelet", rev(5200)))).isEmpty();
        assertThat(amd64Only.reachedBy("s390x", Map.of("kubelet", rev(5200)))).isTrue();
    }
}
