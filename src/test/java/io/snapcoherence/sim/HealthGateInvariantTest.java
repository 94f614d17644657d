package io.snapcoherence.sim;

import io.snapcoherence.charm.CharmRunner;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.kube.NodeHealth;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * I11 (the node health gate) catches a charm that does not listen to its node, and holds for the real charm; and
 * {@code rehearse --unhealthy} shows the halt.
 */
class HealthGateInvariantTest {

    /** 1 control-plane unit and 2 workers running the real charm, told about their node by {@code health}. */
    private static SimulatedModel model(Optional<NodeHealth> health) {
        return model((proxy, clock) -> health.<HookRunner>map(h -> (context, tools, machine) -> CharmRunner.run(
                context, tools, machine, h, proxy, (io.snapcoherence.juju.CharmDir) machine, clock)).orElse(HookRunner.charm(proxy, clock)));
    }

    private static SimulatedModel model(java.util.function.BiFunction<SimulatedProxy, SimClock, HookRunner> charm) {
        SimulatedStore store = new SimulatedStore("store");
        Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        SimClock clock = new SimClock(Instant.parse("2026-11-25T10:00:00Z"));
        SimulatedProxy proxy = new SimulatedProxy(store);
        HookRunner runner = charm.apply(proxy, clock);
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(5).withConfig(Map.of()), clock, store,
                runner, Rehearsal::installKubernetes);
        model.observe(Invariants.all());
        model.addUnit(Role.CONTROL_PLANE);
        model.addUnit(Role.WORKER);
        model.addUnit(Role.WORKER);
        model.runUntilQuiet(500);
        model.liveUnits().stream().filter(u -> u.role() == Role.WORKER).findFirst().orElseThrow().machine()
                .unhealthyAfterRefresh("kubelet", new SimulatedMachine.Sickness(false, -1));
        Rehearsal.NEW.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        return model;
    }

    @Test
    void aCharmDeafToItsNodeSayingDoneOnAnUnhealthyNodeBreaksI11() {
        SimulatedModel model = model(Optional.of((endpoint, within) -> new NodeHealth.Answer.Healthy()));
        InvariantViolation violation = org.junit.jupiter.api.Assertions.assertThrows(InvariantViolation.class,
                () -> Rehearsal.settle(model, 2_000));
        assertThat(violation.invariant()).isEqualTo("I11");
        assertThat(violation.getMessage()).contains("while its node answers unhealthy for kubelet");
    }

    /**
     * The real charm, except that while its gate keeps it from done its report shows what its machine lists: no
     * `verified`, no done progress, but the leader counts it done by its revisions (leader rule 3) and frees its
     * grant. That is saying done too.
     */
    @Test
    void aReportOnTheTargetsWhileTheGateIsUnderWayBreaksI11() {
        SimulatedModel model = model((proxy, clock) -> (context, tools, machine) -> {
            io.snapcoherence.juju.Status[] last = {null};
            io.snapcoherence.juju.HookTools watched = (io.snapcoherence.juju.HookTools) java.lang.reflect.Proxy
                    .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {io.snapcoherence.juju.HookTools.class},
                            (p, method, args) -> {
                                if (method.getName().equals("statusSet")) {
                                    last[0] = (io.snapcoherence.juju.Status) args[0];
                                }
                                try {
                                    return method.invoke(tools, args);
                                } catch (java.lang.reflect.InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
            int exit = HookRunner.charm(proxy, clock).run(context, watched, machine);
            if (exit == 0 && last[0] != null && last[0].message().startsWith("checking health of ")) {
                Map<String, Object> installed = new java.util.TreeMap<>();
                machine.list().forEach(snap -> installed.put(snap.name(), Map.of("channel", snap.tracking(),
                        "revision", snap.revision())));
                tools.relationSet(SimulatedModel.PEER_ID, Map.of("installed", io.snapcoherence.Json.write(installed)));
            }
            return exit;
        });
        InvariantViolation violation = org.junit.jupiter.api.Assertions.assertThrows(InvariantViolation.class,
                () -> Rehearsal.settle(model, 2_000));
        assertThat(violation.invariant()).isEqualTo("I11");
        assertThat(violation.getMessage()).contains("while its node answers unhealthy for kubelet")
                .contains("checking health of kubelet");
    }

    @Test
    void theCharmAskingItsNodeHaltsOnItAndKeepsI11() {
        SimulatedModel model = model(Optional.empty());
        assertThat(Rehearsal.settle(model, 2_000)).isTrue(); // quiet, with the time a standing rollout is given
        assertThat(model.appStatus().message()).startsWith("halted at plan 1: snap-coherence/1 kubelet ")
                .contains("node health check failed").contains("/healthz 500: [-]syncloop failed");
    }

    @Test
    void rehearseUnhealthyShowsTheHaltAndHoldsEveryInvariant() {
        Rehearsal.Options options = Rehearse.parse(new String[] {"--workers", "5", "--unhealthy", "worker/3"});
        assertThat(options.unhealthy()).containsExactly("worker/3");
        Rehearsal.Result result = Rehearsal.run(options);
        assertThat(result.held()).isTrue();
        assertThat(result.model().appStatus().message()).startsWith("halted at plan 1: snap-coherence/6 kubelet ")
                .contains("/healthz 500: [-]syncloop failed");

        Rehearsal.Result resumed = Rehearsal.run(Rehearse.parse(new String[] {"--workers", "5", "--unhealthy",
                "worker/3", "--silent-node", "--resume"}));
        assertThat(resumed.held()).isTrue();
        assertThat(resumed.resumes()).isEqualTo(1);
        assertThat(resumed.model().appStatus().message()).startsWith("up to date");
    }

    /**
     * Resumed without the node fixed (a resume repairs no node): every attempt gates on it again and fails, the
     * rollout halts on it after each resume and never completes, and the other workers keep their revisions.
     */
    @Test
    void rehearseStillUnhealthyHaltsOnTheSickNodeAfterEveryResume() {
        Rehearsal.Options options = Rehearse.parse(new String[] {"--workers", "5", "--unhealthy", "worker/3",
                "--resume", "--still-unhealthy"});
        assertThat(options.stillUnhealthy()).isTrue();
        Rehearsal.Result result = Rehearsal.run(options);
        assertThat(result.held()).isTrue();
        assertThat(result.resumes()).isEqualTo(3);
        assertThat(result.model().appStatus().message()).startsWith("halted at plan 1: snap-coherence/6 kubelet ")
                .contains("(plan 1): node health check failed");
        assertThat(result.model().unit("snap-coherence/6").machine().nodeSick("kubelet")).isTrue();
        assertThat(result.model().unit("snap-coherence/6").status().toString()).doesNotContain("verified");
    }
}
