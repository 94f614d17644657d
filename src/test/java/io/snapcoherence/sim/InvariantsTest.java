package io.snapcoherence.sim;

import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.SnapException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each invariant catches the misbehaviour it names, shown with reckless toy charms. */
class InvariantsTest {
    private static final String PEER = SimulatedModel.PEER_ID;

    /** How a toy charm misbehaves. */
    record Toy(boolean plan, boolean controlPlaneRefreshes, boolean workersRefresh) {
    }

    /** Leader writes a plan of the store's revisions; units refresh as soon as they see it, no grants at all. */
    private static HookRunner reckless(Toy toy, SimulatedStore store) {
        return (context, tools, machine) -> {
            if (tools.isLeader() && toy.plan() && tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()
                    && store.revision("kubelet", Rehearsal.CHANNEL).orElse(0).equals(Rehearsal.NEW.get("kubelet"))) {
                List<Target> targets = new ArrayList<>();
                Rehearsal.NEW.forEach((snap, revision) -> targets.add(new Target(snap, Rehearsal.CHANNEL, revision)));
                tools.relationSetApp(PEER, PeerCodec.encodeApp(new RolloutState(
                        Optional.of(new Plan(1, 1, targets, false)), List.of(), Optional.empty(), false)));
            }
            boolean worker = context.principalUnit().orElse("").startsWith(SimulatedModel.WORKER_APP);
            if (worker ? !toy.workersRefresh() : !toy.controlPlaneRefreshes()) {
                return 0;
            }
            boolean planned = !tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty();
            if (planned || !toy.plan()) {
                for (InstalledSnap snap : machine.list()) {
                    int head = store.revision(snap.name(), snap.tracking()).orElseThrow();
                    if (head != snap.revision()) {
                        try {
                            machine.startRefresh(snap.name(), snap.tracking(), head);
                        } catch (SnapException e) {
                            tools.relationSet(PEER, Map.of("failed", snap.name()));
                            return 0;
                        }
                    }
                }
            }
            return 0;
        };
    }

    private static SimulatedModel model(Toy toy, Map<String, Object> config, int controlPlane, int workers) {
        SimulatedStore store = new SimulatedStore("store");
        Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(5).withConfig(config),
                new SimClock(Instant.EPOCH), store, reckless(toy, store),
                (role, machine) -> (role == Role.CONTROL_PLANE ? Rehearsal.CONTROL_PLANE_SNAPS : Rehearsal.WORKER_SNAPS)
                        .forEach(snap -> machine.install(snap, Rehearsal.CHANNEL, Rehearsal.OLD.get(snap))));
        model.observe(Invariants.all());
        for (int i = 0; i < controlPlane; i++) {
            model.addUnit(Role.CONTROL_PLANE);
        }
        for (int i = 0; i < workers; i++) {
            model.addUnit(Role.WORKER);
        }
        model.runUntilQuiet(500);
        return model;
    }

    private static void publishNew(SimulatedModel model) {
        Rehearsal.NEW.forEach((snap, revision) -> model.store().publish(snap, Rehearsal.CHANNEL, revision));
    }

    @Test
    void aRefreshWithoutAPlanBreaksI5() {
        SimulatedModel model = model(new Toy(false, true, true), Map.of(), 1, 1);
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I5");
    }

    @Test
    void aWorkerRefreshingBeforeTheControlPlaneBreaksI1() {
        SimulatedModel model = model(new Toy(true, false, true), Map.of(), 2, 2);
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("still needs").extracting(e -> ((InvariantViolation) e).invariant())
                .isEqualTo("I1");
    }

    @Test
    void moreUnitsOfATierRefreshingAtOnceThanMaxUnavailableBreaksI2() {
        SimulatedModel model = model(new Toy(true, true, false), Map.of("max-unavailable", 1), 3, 0);
        model.liveUnits().forEach(u -> model.setRefreshRounds(u.name(), 3));
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I2");
    }

    @Test
    void aPlannedRefreshBeforeTheProxyIsRegisteredBreaksI6() {
        SimulatedModel model = model(new Toy(true, true, false), Map.of("proxy-url", "http://proxy.internal"), 1, 0);
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I6");
    }

    @Test
    void refreshingOnAfterAReportedFailureBreaksI4() {
        SimulatedModel model = model(new Toy(true, true, false), Map.of("max-unavailable", 5), 3, 0);
        model.unit("snap-coherence/0").machine().failRefresh("kubelet", "error: download failed", true);
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I4");
    }

    @Test
    void snapdsTimerOnAnUnheldSnapBreaksI5() {
        SimulatedModel model = model(new Toy(false, false, false), Map.of(), 1, 0);
        publishNew(model);

        assertThatThrownBy(model::runSnapdTimer)
                .isInstanceOf(InvariantViolation.class).hasMessageContaining("snapd's timer");
    }

    @Test
    void aRolloutLeftUnfinishedWithoutAHaltBreaksI3AtQuiescence() {
        SimulatedModel model = model(new Toy(true, true, false), Map.of("max-unavailable", 5), 1, 1);
        Invariants endState = new Invariants(EnumSet.of(Invariants.Id.I3));
        publishNew(model);
        model.runUntilQuiet(500);

        assertThatThrownBy(() -> endState.checkQuiescent(model)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("ended on");
        assertThat(model.unit("snap-coherence/0").machine().installedRevision("kubelet"))
                .contains(Rehearsal.NEW.get("kubelet"));
    }
}
