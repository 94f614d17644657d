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
                Rehearsal.NEW.forEach((snap, revision) -> targets.add(new Target(snap, Rehearsal.CHANNEL, "amd64",
                        revision)));
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
                            if (machine.change(machine.startRefresh(snap.name(), snap.tracking(), head)).failed()) {
                                reportFailure(tools, context.unitName(), worker, machine, snap.name(), head);
                                return 0;
                            }
                        } catch (SnapException e) {
                            reportFailure(tools, context.unitName(), worker, machine, snap.name(), head);
                            return 0;
                        }
                    }
                }
            }
            return 0;
        };
    }

    /** The failure as the charm reports it: {@code progress} failed for the plan's attempt. */
    private static void reportFailure(io.snapcoherence.juju.HookTools tools, String unit, boolean worker,
                                      io.snapcoherence.snap.Snaps machine, String snap, int revision) {
        if (!(PeerCodec.decodeApp("toy", tools.relationGetApp(PEER, SimulatedModel.APP))
                instanceof PeerCodec.AppReading.Read read) || read.state().plan().isEmpty()) {
            tools.relationSet(PEER, Map.of("failed", snap));
            return;
        }
        Map<String, io.snapcoherence.coherence.InstalledRevision> installed = new java.util.TreeMap<>();
        machine.list().forEach(s -> installed.put(s.name(),
                new io.snapcoherence.coherence.InstalledRevision(s.tracking(), s.revision())));
        tools.relationSet(PEER, PeerCodec.encodeUnit(new io.snapcoherence.coherence.UnitReport(unit,
                worker ? Role.WORKER : Role.CONTROL_PLANE, installed, Optional.of(io.snapcoherence.coherence.Progress
                .failed(read.state().plan().get(), io.snapcoherence.coherence.Phase.FAILED,
                        new io.snapcoherence.coherence.Failure(snap, revision, "failed"))))));
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
        model.unit("snap-coherence/0").machine().failRefresh("kubelet", "download failed", true);
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I4");
    }

    /**
     * Two control-plane units, max-unavailable 1: snap-coherence/0 refreshes on the plan and says "linked" as soon as
     * snap list shows the new revisions; snap-coherence/1 starts on that. snapd links well before it is done with
     * the change (services restart, hooks), so /1 starts while /0 is still unavailable.
     */
    @Test
    void startingWhileAnotherUnitsChangeIsLinkedButNotDoneBreaksI2() {
        SimulatedStore store = new SimulatedStore("store");
        Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        HookRunner trustsTheList = (context, tools, machine) -> {
            if (tools.isLeader() && tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()
                    && store.revision("kubelet", Rehearsal.CHANNEL).orElse(0).equals(Rehearsal.NEW.get("kubelet"))) {
                List<Target> targets = new ArrayList<>();
                Rehearsal.NEW.forEach((snap, revision) -> targets.add(new Target(snap, Rehearsal.CHANNEL, "amd64",
                        revision)));
                tools.relationSetApp(PEER, PeerCodec.encodeApp(new RolloutState(
                        Optional.of(new Plan(1, 1, targets, false)), List.of(), Optional.empty(), false)));
                return 0;
            }
            if (tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()
                    || "1".equals(tools.relationGet(PEER, context.unitName()).get("started"))) {
                boolean listed = machine.list().stream().allMatch(s -> s.revision() == Rehearsal.NEW.get(s.name()));
                if (listed && !tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()) {
                    tools.relationSet(PEER, Map.of("linked", "1"));
                }
                return 0;
            }
            boolean first = context.unitName().equals("snap-coherence/0");
            if (first || "1".equals(tools.relationGet(PEER, "snap-coherence/0").get("linked"))) {
                for (InstalledSnap snap : machine.list()) {
                    machine.startRefresh(snap.name(), snap.tracking(), Rehearsal.NEW.get(snap.name()));
                }
                tools.relationSet(PEER, Map.of("started", "1"));
            }
            return 0;
        };
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(5).withConfig(Map.of("max-unavailable", 1)),
                new SimClock(Instant.EPOCH), store, trustsTheList, (role, machine) -> {
                    Rehearsal.CONTROL_PLANE_SNAPS.forEach(snap -> machine.install(snap, Rehearsal.CHANNEL,
                            Rehearsal.OLD.get(snap)));
                    machine.changesTakeRounds(1, 30); // linked after a round, done 30 rounds later
                });
        model.observe(Invariants.all());
        model.addUnit(Role.CONTROL_PLANE);
        model.addUnit(Role.CONTROL_PLANE);
        model.runUntilQuiet(500);
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("2 control-plane units unavailable at once")
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I2");
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
