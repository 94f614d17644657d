package io.snapcoherence.sim;

import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.snap.InstalledSnap;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** I5 and I6 judge targets per architecture and their source, shown with reckless toy charms. */
class ArchInvariantsTest {
    private static final String CH = Rehearsal.CHANNEL;
    private static final String PEER = SimulatedModel.PEER_ID;

    /** The leader writes plan 1 of {@code targets} once; every unit refreshes to every target of its snaps. */
    private static HookRunner toy(List<Target> targets) {
        return (context, tools, machine) -> {
            if (tools.isLeader() && tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()) {
                tools.relationSetApp(PEER, PeerCodec.encodeApp(new RolloutState(
                        Optional.of(new Plan(1, 1, targets, false)), List.of(), Optional.empty(), false)));
                return 0;
            }
            if (tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()) {
                return 0;
            }
            for (InstalledSnap snap : machine.list()) {
                for (Target target : targets) {
                    if (target.snap().equals(snap.name()) && target.revision() != snap.revision()) {
                        machine.startRefresh(snap.name(), snap.tracking(), target.revision());
                    }
                }
            }
            return 0;
        };
    }

    private static SimulatedModel model(SimulatedStore store, Map<String, Object> config, List<Target> targets,
                                        String... arches) {
        java.util.Iterator<String> arch = List.of(arches).iterator();
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(3).withConfig(config),
                new SimClock(Instant.EPOCH), store, toy(targets),
                (role, machine) -> machine.withArchitecture(arch.next()).install("kubelet", CH, 3104));
        model.observe(Invariants.all());
        for (int i = 0; i < arches.length; i++) {
            model.addUnit(Role.CONTROL_PLANE);
        }
        return model;
    }

    @Test
    void anArm64MachineRefreshedToTheAmd64TargetBreaksI5() {
        // The amd64 build's revision number exists for arm64 too (published for every architecture): snapd takes it.
        SimulatedStore store = new SimulatedStore("store").publish("kubelet", CH, 3104).publish("kubelet", CH, 3154);
        SimulatedModel model = model(store, Map.of("max-unavailable", 2),
                List.of(new Target("kubelet", CH, "amd64", 3154), new Target("kubelet", CH, "arm64", 4154)),
                "amd64", "arm64");
        assertThatThrownBy(() -> model.runUntilQuiet(200)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("kubelet 1.29/stable to 3154, which is not a target")
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I5");
    }

    @Test
    void aPlanOfARevisionOnlyUpstreamServedBreaksI6() {
        // The proxy pins kubelet 3154 for amd64; upstream is at 3174: a node off the proxy sees that.
        SimulatedStore store = new SimulatedStore("store").publish("kubelet", CH, 3104)
                .override("amd64", "kubelet", CH, 3154).publishUpstream("amd64", "kubelet", CH, 3174);
        SimulatedModel model = model(store, Map.of("proxy-url", SimulatedStore.DEFAULT_URL),
                List.of(new Target("kubelet", CH, "amd64", 3174)), "amd64");
        assertThatThrownBy(() -> model.runUntilQuiet(200)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("plan 1 targets kubelet 3174 (1.29/stable, amd64), which the proxy never served")
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I6");
    }
}
