package io.snapcoherence.sim;

import io.snapcoherence.charm.ProxyRegistration;
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
            if (toy.plan()) {
                planOnceTheNewRevisionsAreServed(tools, store);
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

    /** Plan 1: every new revision of the rehearsal, for amd64. */
    private static Plan planOfTheNewRevisions() {
        List<Target> targets = new ArrayList<>();
        Rehearsal.NEW.forEach((snap, revision) -> targets.add(new Target(snap, Rehearsal.CHANNEL, "amd64", revision)));
        return new Plan(1, 1, targets, false);
    }

    /**
     * A toy leader's planning: once the store serves the new kubelet and nothing is planned yet, it writes plan 1 of
     * every new revision. Whether it did.
     */
    private static boolean planOnceTheNewRevisionsAreServed(io.snapcoherence.juju.HookTools tools,
                                                           SimulatedStore store) {
        if (!tools.isLeader() || !tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()
                || !store.revision("kubelet", Rehearsal.CHANNEL).orElse(0).equals(Rehearsal.NEW.get("kubelet"))) {
            return false;
        }
        tools.relationSetApp(PEER, PeerCodec.encodeApp(new RolloutState(Optional.of(planOfTheNewRevisions()),
                List.of(), Optional.empty(), false)));
        return true;
    }

    /** The failure as the charm reports it: {@code progress} failed for the plan's attempt. */
    private static void reportFailure(io.snapcoherence.juju.HookTools tools, String unit, boolean worker,
                                      io.snapcoherence.snap.Snaps machine, String snap, int revision) {
        reportFailure(tools, unit, worker, machine, snap, revision, io.snapcoherence.coherence.Phase.FAILED);
    }

    private static void reportFailure(io.snapcoherence.juju.HookTools tools, String unit, boolean worker,
                                      io.snapcoherence.snap.Snaps machine, String snap, int revision,
                                      io.snapcoherence.coherence.Phase phase) {
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
                .failed(read.state().plan().get(), phase,
                        new io.snapcoherence.coherence.Failure(snap, revision, "failed"))))));
    }

    private static SimulatedModel model(Toy toy, Map<String, Object> config, int controlPlane, int workers) {
        return model(store -> reckless(toy, store), config, controlPlane, workers);
    }

    private static SimulatedModel model(java.util.function.Function<SimulatedStore, HookRunner> charm,
                                        Map<String, Object> config, int controlPlane, int workers) {
        SimulatedStore store = new SimulatedStore("store");
        Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(5).withConfig(config),
                new SimClock(Instant.EPOCH), store, charm.apply(store),
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

    /** What running {@code model} until it is quiet breaks, if anything. */
    private static Optional<InvariantViolation> violationUntilQuiet(SimulatedModel model) {
        try {
            model.runUntilQuiet(500);
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
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
    void aSecondControlPlaneUnitRefreshingDuringTheCanarysSoakBreaksI10() {
        SimulatedModel model = model(new Toy(true, true, false), Map.of("soak", "30m"), 3, 0);
        publishNew(model);

        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("before the soak of its canary").extracting(e -> ((InvariantViolation) e)
                        .invariant()).isEqualTo("I10");
    }

    /**
     * The canary's soak ended, the rest of the control plane refreshed; later (a resume after the control plane's
     * soak found the machines moved) the canary refreshes again and the others right after it. The canary's soak
     * does not start again (leader rule 9: an ended soak stays ended; the control plane's soak still holds the
     * workers), so that is no break of I10 (wide seed 165849); before the end, the same is (the test above).
     */
    @Test
    void aCanaryRefreshedAgainAfterItsSoakEndedHoldsTheControlPlaneNoLongerUnderI10() {
        SoakToy toy = new SoakToy();
        SimulatedModel model = toy.model();
        String canary = model.addUnit(Role.CONTROL_PLANE).name();
        String other = model.addUnit(Role.CONTROL_PLANE).name();
        model.runUntilQuiet(500);
        toy.plan = Optional.of(planOfTheNewRevisions());
        publishNew(model);
        io.snapcoherence.coherence.Soak.Entry soaking = new io.snapcoherence.coherence.Soak.Entry(1, 1,
                io.snapcoherence.coherence.Soak.Stage.CANARY, canary,
                model.clock().instant().plus(java.time.Duration.ofMinutes(30)), false);
        toy.soak.put(io.snapcoherence.coherence.Soak.KEY, soaking.encode());
        toy.refreshing.add(canary);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();
        model.clock().advance(java.time.Duration.ofMinutes(31));
        toy.soak.put(io.snapcoherence.coherence.Soak.KEY, new io.snapcoherence.coherence.Soak.Entry(1, 1,
                io.snapcoherence.coherence.Soak.Stage.CANARY, canary, soaking.until(), true).encode());
        toy.refreshing.add(other);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();

        // Both moved off the plan, then brought back: the canary first, the other right after it.
        toy.refreshing.clear();
        for (String unit : List.of(canary, other)) {
            Rehearsal.CONTROL_PLANE_SNAPS.forEach(snap -> model.unit(unit).machine().install(snap, Rehearsal.CHANNEL,
                    Rehearsal.OLD.get(snap)));
        }
        toy.refreshing.add(canary);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();
        toy.refreshing.add(other);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();
        assertThat(model.unit(other).machine().list()).allMatch(s -> s.revision() == Rehearsal.NEW.get(s.name()));
    }

    /**
     * The canary refreshed and failed while it soaked; the operator removed it and resumed. It is no canary any more
     * (leader rule 9): the next control-plane unit goes alone and soaks (wide seed 178268: the checker judged that
     * one's refresh against the soak of the unit removed), and the last one starting right after it still breaks I10.
     */
    @Test
    void aCanaryRemovedBeforeItsSoakWasOverIsReplacedAfterAResumeUnderI10() {
        SoakToy toy = new SoakToy();
        SimulatedModel model = toy.model();
        String last = model.addUnit(Role.CONTROL_PLANE).name();
        String canary = model.addUnit(Role.CONTROL_PLANE).name();
        String next = model.addUnit(Role.CONTROL_PLANE).name();
        model.runUntilQuiet(500);
        publishNew(model);
        toy.plan = Optional.of(planOfTheNewRevisions());
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();
        toy.refreshing.add(canary);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();
        toy.soak.put(io.snapcoherence.coherence.Soak.KEY, new io.snapcoherence.coherence.Soak.Entry(1, 1,
                io.snapcoherence.coherence.Soak.Stage.CANARY, canary,
                model.clock().instant().plus(java.time.Duration.ofMinutes(30)), false).encode());
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();

        // Removed while its soak had not ended (the rollout halted on it), then the resume: attempt 2.
        model.clock().advance(java.time.Duration.ofMinutes(10));
        model.removeUnit(canary);
        assertThat(violationUntilQuiet(model)).isEmpty();
        toy.plan = toy.plan.map(Plan::nextAttempt);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();
        toy.refreshing.add(next);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();
        assertThat(model.unit(next).machine().list()).allMatch(s -> s.revision() == Rehearsal.NEW.get(s.name()));
        toy.soak.put(io.snapcoherence.coherence.Soak.KEY, new io.snapcoherence.coherence.Soak.Entry(1, 2,
                io.snapcoherence.coherence.Soak.Stage.CANARY, next,
                model.clock().instant().plus(java.time.Duration.ofMinutes(30)), false).encode());
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).isEmpty();

        toy.refreshing.add(last);
        toy.hooks(model);
        assertThat(violationUntilQuiet(model)).hasValueSatisfying(e -> {
            assertThat(e.invariant()).isEqualTo("I10");
            assertThat(e.getMessage()).contains(last + " started refreshing", "before the soak of its canary " + next);
        });
    }

    /**
     * Control-plane units whose leader writes {@code plan} (once set) and the {@code soak} entry the test gives, and
     * whose units in {@code refreshing} refresh to the store's revisions in their hooks: a soak's course told by hand.
     */
    private static final class SoakToy {
        final java.util.Set<String> refreshing = new java.util.HashSet<>();
        final Map<String, String> soak = new java.util.HashMap<>();
        Optional<Plan> plan = Optional.empty();
        private int nudge;

        /** A hook on every unit: a config change that means nothing to the toy. */
        void hooks(SimulatedModel model) {
            model.setConfig(Map.of("max-unavailable", 1 + ++nudge % 2));
        }

        SimulatedModel model() {
            SimulatedStore store = new SimulatedStore("store");
            Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
            HookRunner runner = (context, tools, machine) -> {
                if (tools.isLeader() && plan.isPresent()) {
                    Map<String, String> app = new java.util.HashMap<>(PeerCodec.encodeApp(new RolloutState(
                            plan, List.of(), Optional.empty(), false)));
                    app.putAll(soak);
                    tools.relationSetApp(PEER, app);
                }
                if (refreshing.contains(context.unitName())) {
                    for (InstalledSnap snap : machine.list()) {
                        int head = store.revision(snap.name(), snap.tracking()).orElseThrow();
                        if (head != snap.revision()) {
                            machine.change(machine.startRefresh(snap.name(), snap.tracking(), head));
                        }
                    }
                }
                return 0;
            };
            SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(5)
                    .withConfig(Map.of("soak", "30m")), new SimClock(Instant.EPOCH), store, runner, (role, machine) ->
                    Rehearsal.CONTROL_PLANE_SNAPS.forEach(snap -> machine.install(snap, Rehearsal.CHANNEL,
                            Rehearsal.OLD.get(snap))));
            model.observe(Invariants.all());
            return model;
        }
    }

    @Test
    void theSameRefreshesWithoutASoakKeepI10() {
        SimulatedModel model = model(new Toy(true, true, false), Map.of(), 3, 0);
        publishNew(model);

        assertThat(model.runUntilQuiet(500)).isTrue();
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
            if (planOnceTheNewRevisionsAreServed(tools, store)) {
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
                .hasMessageContaining("started while 2 control-plane units are unavailable")
                .extracting(e -> ((InvariantViolation) e).invariant()).isEqualTo("I2");
    }

    /**
     * A control-plane unit refreshes every snap; kube-proxy's change stays at starting its services, and the operator
     * drops kube-proxy from {@code snaps} meanwhile. The other unit starts once the first one's other changes are
     * done: the kube-proxy change the first one asked for still runs on its node, so two units are unavailable.
     */
    @Test
    void aChangeOfASnapDroppedFromSnapsWhileItRanKeepsItsUnitUnavailableI2() {
        SimulatedStore store = new SimulatedStore("store");
        Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        HookRunner ignoresTheDroppedChange = (context, tools, machine) -> {
            if (planOnceTheNewRevisionsAreServed(tools, store)) {
                return 0;
            }
            if (tools.relationGetApp(PEER, SimulatedModel.APP).isEmpty()) {
                return 0;
            }
            boolean first = context.unitName().equals("snap-coherence/0");
            if ("1".equals(tools.relationGet(PEER, context.unitName()).get("started"))) {
                boolean through = machine.list().stream().filter(s -> !s.name().equals("kube-proxy")).allMatch(s ->
                        s.revision() == Rehearsal.NEW.get(s.name()) && machine.changesInProgress(s.name()).isEmpty());
                if (first && through) {
                    tools.relationSet(PEER, Map.of("through", "1"));
                }
                return 0;
            }
            if (first || "1".equals(tools.relationGet(PEER, "snap-coherence/0").get("through"))) {
                for (InstalledSnap snap : machine.list()) {
                    machine.startRefresh(snap.name(), snap.tracking(), Rehearsal.NEW.get(snap.name()));
                }
                tools.relationSet(PEER, Map.of("started", "1"));
            }
            return 0;
        };
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(5).withConfig(Map.of("max-unavailable", 1,
                "snaps", String.join(" ", Rehearsal.CONTROL_PLANE_SNAPS))), new SimClock(Instant.EPOCH), store,
                ignoresTheDroppedChange, (role, machine) -> Rehearsal.CONTROL_PLANE_SNAPS.forEach(snap ->
                        machine.install(snap, Rehearsal.CHANNEL, Rehearsal.OLD.get(snap))));
        model.observe(Invariants.all());
        model.addUnit(Role.CONTROL_PLANE);
        model.addUnit(Role.CONTROL_PLANE);
        model.runUntilQuiet(500);
        model.unit("snap-coherence/0").machine().holdServiceStarts("kube-proxy");
        publishNew(model);
        for (int round = 0; round < 50 && !"1".equals(model.unitData("snap-coherence/0").orElse(Map.of())
                .get("started")); round++) {
            model.runRound();
        }
        assertThat(model.unit("snap-coherence/0").machine().changeInProgress("kube-proxy")).isTrue();
        model.setConfig(Map.of("snaps", String.join(" ", Rehearsal.CONTROL_PLANE_SNAPS).replace("kube-proxy ", "")));

        assertThat(violationUntilQuiet(model)).get().satisfies(e -> {
            assertThat(e.invariant()).isEqualTo("I2");
            assertThat(e.getMessage()).contains("snap-coherence/1 started while 2 control-plane units are "
                    + "unavailable");
        });
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

    /**
     * With proxy-url empty, a node left registered with a proxy (the charm does not know it registered it: its hook
     * was killed before its commit) reports no view, and where it is the only unit of its architecture running a
     * snap on a channel nobody can tell what the store serves it there: a known limit (docs/protocol.md), accepted
     * at quiescence only while the unit's status says why, and only where no other unit of its architecture off any
     * proxy runs that snap on that channel (seed 212241).
     */
    @Test
    void aNodeLeftRegisteredWithAProxyWhileProxyUrlIsEmptyIsAcceptedOnlyAloneAndSayingSoI3() {
        assertThat(leftRegistered(1, true)).isEmpty();
        assertThat(leftRegistered(1, false)).hasValueSatisfying(e -> assertThat(e.getMessage())
                .contains("I3: snap-coherence/0 ended on kube-apiserver"));
        // Another control-plane unit of amd64 off the proxy can tell what the store serves: the snap is planned.
        assertThat(leftRegistered(2, true)).hasValueSatisfying(e -> assertThat(e.getMessage())
                .contains("I3: snap-coherence/0 ended on kube-apiserver"));
        // A registration the charm can know as its own is undone when proxy-url is emptied: never accepted.
        assertThat(leftRegistered(1, true, Map.of(ProxyRegistration.INTENT_FILE,
                "{\"url\": \"http://snap-proxy.internal\", \"store-id\": \"store\"}"), Map.of()))
                .hasValueSatisfying(e -> assertThat(e.getMessage()).contains("I3: snap-coherence/0 ended on"));
        assertThat(leftRegistered(1, true, Map.of(), Map.of(ProxyRegistration.REMEMBERED_KEY,
                "{\"url\": \"http://snap-proxy.internal\", \"store-id\": \"store\", \"set-by-charm\": \"true\"}")))
                .hasValueSatisfying(e -> assertThat(e.getMessage()).contains("I3: snap-coherence/0 ended on"));
        // An intent naming another store proves nothing.
        assertThat(leftRegistered(1, true, Map.of(ProxyRegistration.INTENT_FILE,
                "{\"url\": \"http://snap-proxy.internal\", \"store-id\": \"other\"}"), Map.of())).isEmpty();
    }

    /**
     * {@code controlPlane} control-plane units that never refresh, the first registered with the proxy while
     * proxy-url is empty (saying so in its status when {@code saysWhy}); then the store serves a new kube-apiserver.
     */
    private static Optional<InvariantViolation> leftRegistered(int controlPlane, boolean saysWhy) {
        return leftRegistered(controlPlane, saysWhy, Map.of(), Map.of());
    }

    /** As above, with {@code charmFiles} in the registered unit's charm directory and {@code unitStore} committed. */
    private static Optional<InvariantViolation> leftRegistered(int controlPlane, boolean saysWhy,
                                                               Map<String, String> charmFiles,
                                                               Map<String, String> unitStore) {
        SimulatedStore store = new SimulatedStore("store");
        Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        String registered = "snap-coherence/0";
        String why = "cannot check what the store serves: proxy.store is store while proxy-url is empty: snapd asks "
                + "that proxy, not the store (unset proxy.store, or set proxy-url to that proxy)";
        HookRunner toy = (context, tools, machine) -> {
            tools.statusSet(io.snapcoherence.juju.Status.active(context.unitName().equals(registered) && saysWhy
                    ? "up to date; " + why : "up to date"));
            if (context.unitName().equals(registered)) {
                if (!unitStore.isEmpty()) {
                    tools.stateSet(unitStore);
                }
            }
            return 0;
        };
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(5), new SimClock(Instant.EPOCH), store,
                toy, (role, machine) -> Rehearsal.CONTROL_PLANE_SNAPS.forEach(snap -> machine.install(snap,
                        Rehearsal.CHANNEL, Rehearsal.OLD.get(snap))));
        for (int i = 0; i < controlPlane; i++) {
            model.addUnit(Role.CONTROL_PLANE);
        }
        SimulatedMachine machine = model.unit(registered).machine();
        machine.ack(store.assertions());
        machine.setSystem("proxy.store", store.storeId());
        charmFiles.forEach(machine::write);
        model.runUntilQuiet(500);
        model.store().publish("kube-apiserver", Rehearsal.CHANNEL, Rehearsal.NEW.get("kube-apiserver"));
        model.runUntilQuiet(500);
        try {
            new Invariants(EnumSet.of(Invariants.Id.I3)).checkQuiescent(model);
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    /**
     * A toy whose leader writes a plan of the store's revisions (and, when told, a halt, a pause, or the plan
     * complete) and whose units read every peer's data in every hook and refresh only while the test lets them
     * ({@code mayRefresh}) and no halt is written, in hooks of {@code refreshRounds} rounds; a failed refresh is
     * reported with {@code failurePhase}.
     */
    private static final class Controlled {
        final java.util.Set<String> mayRefresh = new java.util.HashSet<>();
        Optional<io.snapcoherence.coherence.Halt> halt = Optional.empty();
        boolean paused;
        boolean complete;
        long planId = 1;
        int targetsAhead;
        io.snapcoherence.coherence.Phase failurePhase = io.snapcoherence.coherence.Phase.FAILED;
        String appStatus = "rolling out";
        /** The max-unavailable in force the leader writes ({@code window}); none: the config is. */
        Optional<Integer> window = Optional.empty();
        /** Whether a unit whose refresh ended says so in its status, as the charm does: verified for the attempt. */
        boolean saysVerified;

        HookRunner runner(SimulatedStore store) {
            return (context, tools, machine) -> {
                if (context.event() instanceof io.snapcoherence.juju.Event.Action a && a.name().equals("resume")) {
                    halt = Optional.empty();
                    mayRefresh.add(context.unitName());
                }
                if (context.event() instanceof io.snapcoherence.juju.Event.Action a && a.name().equals("revert")) {
                    machine.startRevert("kubelet");
                }
                if (tools.isLeader() && store.revision("kubelet", Rehearsal.CHANNEL).orElse(0)
                        .equals(Rehearsal.NEW.get("kubelet"))) {
                    List<Target> targets = new ArrayList<>();
                    Rehearsal.NEW.forEach((snap, revision) -> targets.add(new Target(snap, Rehearsal.CHANNEL, "amd64",
                            revision + targetsAhead)));
                    tools.relationSetApp(PEER, PeerCodec.encodeApp(new RolloutState(
                            Optional.of(new Plan(planId, 1, targets, complete)), List.of(), halt, paused),
                            Optional.empty(), io.snapcoherence.coherence.Offers.NONE, window));
                    tools.appStatusSet(io.snapcoherence.juju.Status.maintenance(appStatus));
                }
                tools.relationList(PEER).forEach(peer -> tools.relationGet(PEER, peer));
                if (mayRefresh.contains(context.unitName()) && halt.isEmpty()) {
                    for (InstalledSnap snap : machine.list()) {
                        int head = store.revision(snap.name(), snap.tracking()).orElseThrow();
                        if (head != snap.revision()) {
                            boolean worker = context.principalUnit().orElse("").startsWith(SimulatedModel.WORKER_APP);
                            try {
                                if (machine.await(machine.startRefresh(snap.name(), snap.tracking(), head),
                                        java.time.Duration.ofSeconds(40)).failed()) {
                                    reportFailure(tools, context.unitName(), worker, machine, snap.name(), head,
                                            failurePhase);
                                    mayRefresh.remove(context.unitName());
                                    return 0;
                                }
                            } catch (SnapException e) {
                                reportFailure(tools, context.unitName(), worker, machine, snap.name(), head,
                                        failurePhase);
                                mayRefresh.remove(context.unitName());
                                return 0;
                            }
                        }
                    }
                    if (saysVerified) {
                        tools.statusSet(io.snapcoherence.juju.Status.active("on plan " + planId
                                + " (attempt 1, verified)"));
                    }
                }
                return 0;
            };
        }

        SimulatedModel model(Map<String, Object> config, int controlPlane, int workers) {
            SimulatedStore store = new SimulatedStore("store");
            Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
            SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(9).withConfig(config),
                    new SimClock(Instant.EPOCH), store, runner(store), (role, machine) ->
                    (role == Role.CONTROL_PLANE ? Rehearsal.CONTROL_PLANE_SNAPS : Rehearsal.WORKER_SNAPS)
                            .forEach(snap -> machine.install(snap, Rehearsal.CHANNEL, Rehearsal.OLD.get(snap))));
            for (int i = 0; i < controlPlane; i++) {
                model.addUnit(Role.CONTROL_PLANE);
            }
            for (int i = 0; i < workers; i++) {
                model.addUnit(Role.WORKER);
            }
            model.runUntilQuiet(500);
            return model;
        }
    }

    @Test
    void aWorkerRefreshingWhileAControlPlaneUnitInTheRelationStillNeedsThePlanBreaksI1EvenIfTheLeaderHasNotSeenIt() {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of(), 1, 1);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I1)));
        toy.mayRefresh.add("snap-coherence/0");
        publishNew(model);
        model.runUntilQuiet(500);
        String leader = model.leader();
        model.slowNextHook(leader, 12);
        model.setConfig(Map.of("hold", false));
        model.runRound();
        assertThat(model.unit(leader).busy()).isTrue();
        SimUnit added = model.addUnit(Role.CONTROL_PLANE);
        for (int i = 0; i < 10 && !added.inScopeBy(model.steps()); i++) {
            model.runRound();
        }
        model.runRound();

        toy.mayRefresh.add("snap-coherence/1");
        model.setConfig(Map.of("hold", true)); // a hook on the worker
        assertThatThrownBy(() -> model.runRound()).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("control-plane " + added.name() + " still needs");
        assertThat(model.unit(leader).peersSeen()).as("the leader, inside a long hook, has not seen it join")
                .doesNotContain(added.name());
    }

    @Test
    void aControlPlaneUnitThatEnteredTheRelationInTheRoundAWorkerStartedAndThatTheLeaderHasNotSeenIsNoI1() {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of(), 1, 1);
        toy.mayRefresh.add("snap-coherence/0");
        publishNew(model);
        model.runUntilQuiet(500);
        SimUnit added = model.addUnit(Role.CONTROL_PLANE);
        SimUnit worker = model.unit("snap-coherence/1");
        Invariants i1 = new Invariants(EnumSet.of(Invariants.Id.I1));
        ObservedMachine.Attempt attempt = new ObservedMachine.Attempt("kubelet", Rehearsal.CHANNEL,
                Rehearsal.NEW.get("kubelet"), ObservedMachine.Result.STARTED, Optional.empty());
        List<Long> judgedInRound = new ArrayList<>();
        // Right after the unit entered the relation, before the leader's next turn: a worker's hook of that round.
        model.chaos((m, random) -> {
            if (judgedInRound.isEmpty() && added.inScopeBy(m.steps())
                    && !m.unit(m.leader()).peersSeen().contains(added.name())) {
                judgedInRound.add(m.round());
                i1.afterStep(m, workerStep(m, worker, attempt, m.round()));
            }
        });
        for (int i = 0; i < 20 && judgedInRound.isEmpty(); i++) {
            model.runRound();
        }

        assertThat(judgedInRound).as("a worker hook judged in the round the unit entered").hasSize(1);
        assertThat(added.machine().installedRevision("kube-apiserver")).contains(Rehearsal.OLD.get("kube-apiserver"));
        Step nextRound = workerStep(model, worker, attempt, judgedInRound.get(0) + 1,
                new PeerView(Map.of(), Map.of(added.name(), Map.of())));
        assertThatThrownBy(() -> i1.afterStep(model, nextRound)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining(added.name());
    }

    /**
     * Juju runs the application's -changed (a grant) before the -joined hooks: a worker's hook a round after a
     * control-plane unit entered, on a grant the leader wrote before it had seen that unit join, does not list the
     * unit either. Nothing it could read held the unit (docs/protocol.md, "Guarantees"): no I1. Once its hook lists
     * the unit, its own view holds it, and I1 counts it.
     */
    @Test
    void aControlPlaneUnitNeitherTheLeaderNorTheWorkersHookHasListedIsNoI1() {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of(), 1, 1);
        toy.mayRefresh.add("snap-coherence/0");
        publishNew(model);
        model.runUntilQuiet(500);
        SimUnit added = model.addUnit(Role.CONTROL_PLANE);
        SimUnit worker = model.unit("snap-coherence/1");
        Invariants i1 = new Invariants(EnumSet.of(Invariants.Id.I1));
        ObservedMachine.Attempt attempt = new ObservedMachine.Attempt("kubelet", Rehearsal.CHANNEL,
                Rehearsal.NEW.get("kubelet"), ObservedMachine.Result.STARTED, Optional.empty());
        PeerView listing = new PeerView(Map.of(), Map.of(added.name(), Map.of()));
        List<Optional<InvariantViolation>> judged = new ArrayList<>();
        // While the leader has not seen the unit join: a worker's hook of a later round, listing it or not.
        model.chaos((m, random) -> {
            if (judged.isEmpty() && added.inScopeBy(m.steps())
                    && !m.unit(m.leader()).peersSeen().contains(added.name())) {
                i1.afterStep(m, workerStep(m, worker, attempt, m.round() + 1, PeerView.NONE));
                try {
                    i1.afterStep(m, workerStep(m, worker, attempt, m.round() + 1, listing));
                    judged.add(Optional.empty());
                } catch (InvariantViolation e) {
                    judged.add(Optional.of(e));
                }
            }
        });
        for (int i = 0; i < 20 && judged.isEmpty(); i++) {
            model.runRound();
        }

        assertThat(judged).hasSize(1);
        assertThat(added.machine().installedRevision("kube-apiserver")).contains(Rehearsal.OLD.get("kube-apiserver"));
        assertThat(judged.get(0)).as("the hook that lists the unit").hasValueSatisfying(
                e -> assertThat(e.getMessage()).contains(added.name()));
    }

    /**
     * With hold=false snapd's own timer may move any unit (I5 allows it): a control-plane unit the charm had brought
     * onto the plan and that the timer then took further is no reason to flag a worker's refresh, which could not
     * know of the move yet, nor is one the timer took onto the plan's targets; one that is off them and that the
     * charm never brought there still is.
     */
    @Test
    void aControlPlaneUnitSnapdsTimerMovedIsJudgedWhereTheCharmOrTheTimerLeftItOnThePlanI1() {
        assertThat(workerStartsAfterSnapdsTimer(true, 20)).isEmpty();
        assertThat(workerStartsAfterSnapdsTimer(false, 0)).isEmpty();
        assertThat(workerStartsAfterSnapdsTimer(false, 20)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("control-plane snap-coherence/0 still needs"));
    }

    /**
     * One control-plane unit, refreshed by the charm onto the plan or not; then snapd's timer takes it to what
     * upstream serves, {@code ahead} revisions past the plan's targets; then a worker's refresh is judged.
     */
    private static Optional<InvariantViolation> workerStartsAfterSnapdsTimer(boolean reached, int ahead) {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("hold", false), 1, 1);
        Invariants i1 = new Invariants(EnumSet.of(Invariants.Id.I1));
        model.observe(i1);
        if (reached) {
            toy.mayRefresh.add("snap-coherence/0");
        }
        publishNew(model);
        model.runUntilQuiet(500);
        SimUnit controlPlane = model.unit("snap-coherence/0");
        assertThat(controlPlane.machine().installedRevision("kubelet"))
                .contains((reached ? Rehearsal.NEW : Rehearsal.OLD).get("kubelet"));
        Rehearsal.NEW.forEach((snap, revision) -> model.store().publishUpstream(snap, Rehearsal.CHANNEL,
                revision + ahead));
        model.runSnapdTimer();
        assertThat(controlPlane.machine().installedRevision("kubelet")).contains(Rehearsal.NEW.get("kubelet") + ahead);

        ObservedMachine.Attempt attempt = new ObservedMachine.Attempt("kubelet", Rehearsal.CHANNEL,
                Rehearsal.NEW.get("kubelet"), ObservedMachine.Result.STARTED, Optional.empty());
        try {
            i1.afterStep(model, workerStep(model, model.unit("snap-coherence/1"), attempt, model.round()));
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    /** I6 is about refresh requests: reading a change that failed earlier asks snapd for nothing. */
    @Test
    void readingAFailedChangeWhileTheProxyIsNotRegisteredIsNoI6ButARefreshRequestIs() {
        SimulatedModel model = new Controlled().model(Map.of("proxy-url", "http://proxy.internal"), 1, 1);
        SimUnit worker = model.unit("snap-coherence/1");
        assertThat(worker.machine().systemConfig().getOrDefault("proxy.store", "")).isEmpty();
        Invariants i6 = new Invariants(EnumSet.of(Invariants.Id.I6));

        i6.afterStep(model, workerStep(model, worker, new ObservedMachine.Attempt("kubelet", "", 0,
                ObservedMachine.Result.CHANGE_FAILED, Optional.of("cannot perform the following tasks")), model.round()));
        assertThatThrownBy(() -> i6.afterStep(model, workerStep(model, worker, new ObservedMachine.Attempt("kubelet",
                Rehearsal.CHANNEL, Rehearsal.NEW.get("kubelet"), ObservedMachine.Result.STARTED, Optional.empty()),
                model.round()))).isInstanceOf(InvariantViolation.class).hasMessageContaining("I6");
    }

    private static Step workerStep(SimulatedModel model, SimUnit worker, ObservedMachine.Attempt attempt,
                                   long viewRound) {
        return workerStep(model, worker, attempt, viewRound, PeerView.NONE);
    }

    private static Step workerStep(SimulatedModel model, SimUnit worker, ObservedMachine.Attempt attempt,
                                   long viewRound, PeerView view) {
        return Step.builder().number(model.steps() + 1).round(viewRound).unit(worker.name())
                .hook("coherence-relation-changed(app)").attempts(List.of(attempt)).leader(model.leader())
                .viewConfig(model.config()).peerView(view).build();
    }

    @Test
    void aFailureOfAUnitRemovedSinceMustHaltItsAttemptBeforeThePlanMovesOnI4() {
        assertThat(completeAfterARemovedUnitsFailure(true)).isEmpty();
        assertThat(completeAfterARemovedUnitsFailure(false)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("plan 1 attempt 1 went on to completion without halting on the failure snap-coherence/2"));
    }

    /** snap-coherence/2 reports a failure and is removed; then the toy's leader completes the plan. */
    private static Optional<InvariantViolation> completeAfterARemovedUnitsFailure(boolean haltFirst) {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("max-unavailable", 3), 3, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I4)));
        model.unit("snap-coherence/2").machine().failRefresh("kubelet", "error: download failed", true);
        toy.mayRefresh.add("snap-coherence/2");
        publishNew(model);
        model.runUntilQuiet(500);
        assertThat(model.unitData("snap-coherence/2").orElseThrow().get("progress")).contains("failed");
        model.removeUnit("snap-coherence/2");
        model.runUntilQuiet(500);
        assertThat(model.unitData("snap-coherence/2")).isEmpty();

        if (haltFirst) {
            toy.halt = Optional.of(new io.snapcoherence.coherence.Halt("snap-coherence/2", "kubelet failed"));
            model.setConfig(Map.of("hold", false));
            model.runUntilQuiet(500);
        }
        toy.complete = true;
        model.setConfig(Map.of("hold", true));
        return violationUntilQuiet(model);
    }

    /**
     * Under Juju's relation cache a unit reads a peer as of its own last hook for that peer: one that refreshes in
     * a hook whose view already shows a peer's failure breaks I4; one whose cached view predates the failure could
     * not know of it and does not, but the failed unit still counts in its tier (I2).
     */
    @Test
    void aUnitWhoseViewShowsAPeersFailureMustNotStartButOneWhoseCachedViewPredatesItMayWithinMaxUnavailable() {
        assertThat(startNextToAFailedUnit(true, 2)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("I4: snap-coherence/1 started refreshing").contains("while its view showed the failure of "
                        + "snap-coherence/0 in snap-coherence/0's data (plan 1 attempt 1)"));
        assertThat(startNextToAFailedUnit(false, 2)).isEmpty();
        assertThat(startNextToAFailedUnit(false, 1)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("I2: snap-coherence/1 started while 2 control-plane units are unavailable "
                        + "[snap-coherence/0, snap-coherence/1], max-unavailable is 1"));
    }

    /**
     * snap-coherence/0's refresh fails and it reports so; then snap-coherence/1 may refresh, in its next hook: a
     * config-changed, which Juju runs before the -changed for /0's report. {@code fresh}: only once /1 has run that
     * -changed (its view shows the failure); otherwise right after /0's report (its view is its cache's, older).
     */
    private static Optional<InvariantViolation> startNextToAFailedUnit(boolean fresh, int maxUnavailable) {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("max-unavailable", maxUnavailable), 3, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2, Invariants.Id.I4)));
        model.unit("snap-coherence/0").machine().failRefresh("kubelet", "error: download failed", true);
        toy.mayRefresh.add("snap-coherence/0");
        boolean[] triggered = {false};
        Runnable letUnit1Refresh = () -> {
            triggered[0] = true;
            toy.mayRefresh.add("snap-coherence/1");
            model.setConfig(Map.of("hold", false));
        };
        if (!fresh) {
            model.chaos((m, random) -> {
                if (!triggered[0] && m.unitData("snap-coherence/0").orElseThrow().containsKey("progress")) {
                    letUnit1Refresh.run();
                }
            });
        }
        try {
            publishNew(model);
            model.runUntilQuiet(500);
            assertThat(model.unitData("snap-coherence/0").orElseThrow().get("progress")).contains("failed");
            if (fresh) {
                letUnit1Refresh.run();
            }
            assertThat(triggered[0]).isTrue();
            model.runUntilQuiet(500);
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    @Test
    void loweringMaxUnavailableWhileUnitsRefreshIsNoI2ButAStartAboveTheNewValueIs() {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("max-unavailable", 2), 3, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2)));
        model.liveUnits().forEach(u -> model.setRefreshRounds(u.name(), 6));
        toy.mayRefresh.addAll(List.of("snap-coherence/0", "snap-coherence/1"));
        publishNew(model);
        model.setConfig(Map.of("on-failure", "halt")); // a hook everywhere: both refresh in it
        model.runRound();
        assertThat(model.unit("snap-coherence/0").busy() && model.unit("snap-coherence/1").busy()).isTrue();
        model.setConfig(Map.of("max-unavailable", 1));
        model.runRound();
        model.runRound();

        toy.mayRefresh.add("snap-coherence/2");
        model.setConfig(Map.of("hold", false)); // a hook on snap-coherence/2 while the other two still refresh
        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("snap-coherence/2 started").hasMessageContaining("max-unavailable is 1");
    }

    @Test
    void aStartIsJudgedByTheMaxUnavailableInForceTheAppDatabagHoldsNotByTheConfigAlone() {
        Controlled toy = new Controlled();
        toy.window = Optional.of(2); // a lowered value the leader has not put in force yet
        SimulatedModel model = toy.model(Map.of("max-unavailable", 1), 3, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2)));
        model.liveUnits().forEach(u -> model.setRefreshRounds(u.name(), 6));
        publishNew(model);
        model.setConfig(Map.of("max-unavailable", 1, "on-failure", "halt"));
        model.runUntilQuiet(500); // the leader writes the plan and the window
        toy.mayRefresh.addAll(List.of("snap-coherence/0", "snap-coherence/1"));
        model.setConfig(Map.of("max-unavailable", 1, "hold", false)); // a hook everywhere: both refresh in it
        model.runRound();
        assertThat(model.unit("snap-coherence/0").busy() && model.unit("snap-coherence/1").busy()).isTrue();

        toy.mayRefresh.add("snap-coherence/2");
        model.setConfig(Map.of("max-unavailable", 1, "hold", true));
        assertThatThrownBy(() -> model.runUntilQuiet(500)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("snap-coherence/2 started").hasMessageContaining("max-unavailable is 2");
    }

    /**
     * A hook reads the model when it starts and acts later: a unit keeping to the value it read (1) starts after one
     * that started by the value the leader raised meanwhile (3), within the value in force then (seed 329382). It
     * is judged by the value in force as it starts, the higher of the two.
     */
    @Test
    void aStartByALowerValueAHookReadBesideOneByTheRaisedValueInForceIsNoI2() {
        Controlled toy = new Controlled();
        toy.window = Optional.of(1);
        SimulatedModel model = toy.model(Map.of("max-unavailable", 1), 3, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2)));
        model.liveUnits().forEach(u -> model.setRefreshRounds(u.name(), 6));
        publishNew(model);
        model.setConfig(Map.of("max-unavailable", 1, "on-failure", "halt"));
        model.runUntilQuiet(500); // the leader writes the plan and the window
        toy.mayRefresh.add("snap-coherence/1");
        model.slowNextHook("snap-coherence/1", 4);
        model.queueAction("snap-coherence/1", "look", Map.of());
        for (int i = 0; i < 30 && !model.unit("snap-coherence/1").busy(); i++) {
            model.runRound();
        }
        assertThat(model.unit("snap-coherence/1").busy()).isTrue();

        toy.window = Optional.of(3);
        toy.mayRefresh.add("snap-coherence/2");
        model.setConfig(Map.of("max-unavailable", 3, "on-failure", "halt")); // the leader raises the window
        model.runUntilQuiet(500);
        assertThat(model.unit("snap-coherence/1").machine().installedRevision("kubelet"))
                .contains(Rehearsal.NEW.get("kubelet"));
        assertThat(model.unit("snap-coherence/2").machine().installedRevision("kubelet"))
                .contains(Rehearsal.NEW.get("kubelet"));
    }

    /**
     * A revert is the charm's to make only with on-failure=revert; one it started under that value runs on in
     * snapd after the operator set halt, and is no I5.
     */
    @Test
    void aRevertStartedUnderOnFailureRevertMayEndAfterTheValueChangedButNoneMayStartUnderHaltI5() {
        assertThat(revertThenSetHalt("revert")).isEmpty();
        assertThat(revertThenSetHalt("halt")).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("I5: snap-coherence/0 reverted kubelet with on-failure=halt"));
    }

    /** The unit refreshed onto the plan; a revert of kubelet taking 3 rounds starts under {@code onFailure}. */
    private static Optional<InvariantViolation> revertThenSetHalt(String onFailure) {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("on-failure", onFailure), 1, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I5)));
        toy.mayRefresh.add("snap-coherence/0");
        publishNew(model);
        model.runUntilQuiet(500);
        assertThat(model.unit("snap-coherence/0").machine().installedRevision("kubelet"))
                .contains(Rehearsal.NEW.get("kubelet"));
        toy.mayRefresh.clear();
        model.setChangeRounds("snap-coherence/0", 3);
        try {
            model.runAction("snap-coherence/0", "revert", Map.of());
            model.setConfig(Map.of("on-failure", "halt"));
            model.runUntilQuiet(500);
            assertThat(model.unit("snap-coherence/0").machine().installedRevision("kubelet"))
                    .contains(Rehearsal.OLD.get("kubelet"));
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    /**
     * A plan is replaced by one with other targets only once every unit the leader sees has reached it: a worker
     * left behind breaks I7; a unit added that the leader has not seen join yet is covered by the next plan, and
     * units snapd's timer took past the plan (hold=false) had reached it.
     */
    @Test
    void aPlanReplacedBeforeAUnitInTheLeadersViewReachedItBreaksI7ButOneItHasNotSeenJoinDoesNot() {
        assertThat(replacePlan(false, false)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("I7: plan 1").contains("was replaced by 2"));
        assertThat(replacePlan(true, false)).isEmpty();
        assertThat(replacePlan(true, true)).isEmpty();
        assertThat(replacePlan(true, false, true)).isEmpty();
    }

    private static Optional<InvariantViolation> replacePlan(boolean workerReached, boolean newcomer) {
        return replacePlan(workerReached, newcomer, false);
    }

    /**
     * One control-plane unit refreshes onto plan 1, the worker too if {@code workerReached}; then, with a unit just
     * added if {@code newcomer}, and snapd's timer taking every unit to upstream's newer revisions if
     * {@code timerMoved}, the toy's leader writes plan 2 with other targets in its next hook.
     */
    private static Optional<InvariantViolation> replacePlan(boolean workerReached, boolean newcomer,
                                                            boolean timerMoved) {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of(), 1, 1);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I7)));
        toy.mayRefresh.add("snap-coherence/0");
        if (workerReached) {
            toy.mayRefresh.add("snap-coherence/1");
        }
        publishNew(model);
        model.runUntilQuiet(500);
        toy.mayRefresh.clear();
        if (timerMoved) {
            Rehearsal.NEW.forEach((snap, revision) -> model.store().publishUpstream(snap, Rehearsal.CHANNEL,
                    revision + 40));
            model.runSnapdTimer();
            assertThat(model.unit("snap-coherence/1").machine().installedRevision("kubelet"))
                    .contains(Rehearsal.NEW.get("kubelet") + 40);
        }
        if (newcomer) {
            SimUnit added = model.addUnit(Role.WORKER);
            assertThat(model.unit(model.leader()).peersSeen()).doesNotContain(added.name());
        }
        toy.planId = 2;
        toy.targetsAhead = 20;
        model.setConfig(Map.of("hold", false)); // config-changed on the leader before any -joined
        try {
            model.runRound();
            model.runRound();
            assertThat(Rehearsal.rollout(model).flatMap(RolloutState::plan).map(Plan::id)).contains(2L);
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    /**
     * A leader may refresh itself for a plan, complete it and write the next in one hook: its refresh is for the
     * plan it named, which is no longer active after that hook, so it does not stay unavailable for the next one.
     */
    @Test
    void aRefreshIsForThePlanThatNamesItNotTheOneWrittenInTheSameHookI2() {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("max-unavailable", 1), 2, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2)));
        publishNew(model);
        model.runUntilQuiet(500);
        String leader = model.leader();
        String other = leader.equals("snap-coherence/0") ? "snap-coherence/1" : "snap-coherence/0";
        toy.planId = 2;
        toy.targetsAhead = 20;
        toy.mayRefresh.add(leader); // in the hook that writes plan 2, it refreshes onto plan 1's targets
        model.setConfig(Map.of("hold", false));
        model.runUntilQuiet(500);
        assertThat(model.unit(leader).machine().installedRevision("kubelet")).contains(Rehearsal.NEW.get("kubelet"));

        toy.mayRefresh.add(other);
        model.setConfig(Map.of("hold", true));
        model.runUntilQuiet(500);
        assertThat(model.unit(other).machine().installedRevision("kubelet")).contains(Rehearsal.NEW.get("kubelet"));
    }

    @Test
    void aRolloutStandingWithoutAHaltThatNamesAUnitBreaksI9() {
        Controlled stalled = new Controlled();
        SimulatedModel model = stalled.model(Map.of(), 1, 1);
        publishNew(model);
        model.runUntilQuiet(500);
        Invariants i9 = new Invariants(EnumSet.of(Invariants.Id.I9));

        assertThatThrownBy(() -> i9.checkQuiescent(model)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("neither complete nor halted");

        Controlled halted = new Controlled();
        halted.halt = Optional.of(new io.snapcoherence.coherence.Halt("snap-coherence/1", "kubelet failed"));
        halted.appStatus = "halted at plan 1: snap-coherence/1 kubelet failed";
        SimulatedModel haltedModel = halted.model(Map.of(), 1, 1);
        publishNew(haltedModel);
        haltedModel.runUntilQuiet(500);
        i9.checkQuiescent(haltedModel);

        Controlled quietHalt = new Controlled();
        quietHalt.halt = halted.halt;
        SimulatedModel unnamed = quietHalt.model(Map.of(), 1, 1);
        publishNew(unnamed);
        unnamed.runUntilQuiet(500);
        assertThatThrownBy(() -> i9.checkQuiescent(unnamed)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("does not say so");
    }

    @Test
    void aResumeThatRefreshesInItsOwnHookMustCommitOutOfTheHaltI4() {
        assertThat(resumeRefreshingItself(false)).isEmpty();
        assertThat(resumeRefreshingItself(true)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("refreshed in a action resume that did not take the rollout out of its halt"));
    }

    /** A halted toy rollout; the leader's resume clears the halt and refreshes its machine in the same hook. */
    private static Optional<InvariantViolation> resumeRefreshingItself(boolean killedBeforeCommit) {
        Controlled toy = new Controlled();
        toy.halt = Optional.of(new io.snapcoherence.coherence.Halt("snap-coherence/1", "kubelet failed"));
        SimulatedModel model = toy.model(Map.of("max-unavailable", 2), 2, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I4)));
        publishNew(model);
        model.setConfig(Map.of("hold", false));
        model.runUntilQuiet(500);
        if (killedBeforeCommit) {
            model.killNextHookBeforeCommit(model.leader());
        }
        try {
            model.runAction(model.leader(), "resume", Map.of());
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    /**
     * A unit back on its revisions after a failed refresh that it reported reverted is available again; one that
     * reported it failed counts in its tier until a resume or a replacing plan; one left halfway is unavailable.
     */
    @Test
    void aUnitBackOnItsRevisionsAfterARevertedRefreshIsAvailableAgainButAFailedOneOrOneLeftHalfwayIsNotI2() {
        io.snapcoherence.coherence.Phase reverted = io.snapcoherence.coherence.Phase.REVERTED;
        assertThat(startAfterAFailedUnit(false, reverted)).isEmpty();
        assertThat(startAfterAFailedUnit(false, io.snapcoherence.coherence.Phase.FAILED))
                .hasValueSatisfying(v -> assertThat(v.invariant()).isEqualTo("I2"));
        assertThat(startAfterAFailedUnit(true, reverted))
                .hasValueSatisfying(v -> assertThat(v.invariant()).isEqualTo("I2"));
    }

    /**
     * Seed 207035: max-unavailable 1, two control-plane units. The one that is not leading fails its refresh and
     * reports it failed; it counts in its tier until the plan is replaced. It then runs a slow hook that touches no
     * snap, and the leader's replacing plan commits meanwhile; the leader starts. The failed unit's hook is not the
     * one that made it unavailable: it is through by the replacing plan, whatever hook it is in. Without the
     * replacing plan its failure still counts; a slow hook that refreshes keeps it unavailable until it ends.
     */
    @Test
    void aLaterHookThatTouchesNoSnapKeepsNoUnitUnavailableOnceItsPlanWasReplacedI2() {
        assertThat(startBesideAFailedUnitInASlowHook(true, false)).isEmpty();
        assertThat(startBesideAFailedUnitInASlowHook(false, false)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("started while 2 control-plane units are unavailable"));
        assertThat(startBesideAFailedUnitInASlowHook(true, true)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("started while 2 control-plane units are unavailable"));
    }

    private static Optional<InvariantViolation> startBesideAFailedUnitInASlowHook(boolean replaced,
                                                                                  boolean slowHookRefreshes) {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("max-unavailable", 1), 2, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2)));
        String leader = model.leader();
        String failing = leader.equals("snap-coherence/0") ? "snap-coherence/1" : "snap-coherence/0";
        publishNew(model);
        model.setConfig(Map.of("hold", false)); // the leader writes plan 1
        model.runUntilQuiet(500);
        model.unit(failing).machine().failRefresh("kube-apiserver", "error: download failed", true);
        toy.mayRefresh.add(failing);
        model.setConfig(Map.of("hold", true));
        model.runUntilQuiet(500);
        assertThat(toy.mayRefresh).as("its failure reported").doesNotContain(failing);
        if (slowHookRefreshes) {
            toy.mayRefresh.add(failing); // it tries again (kube-apiserver fails again) in its slow hook
            model.unit(failing).machine().failRefresh("kube-apiserver", "error: download failed", true);
        }
        if (replaced) {
            toy.planId = 2;
        }
        if (slowHookRefreshes) {
            model.setRefreshRounds(failing, 8);
        } else {
            model.slowNextHook(failing, 8);
        }
        model.setConfig(Map.of("hold", false));
        for (int round = 0; round < 4; round++) {
            model.runRound();
        }
        assertThat(model.unit(failing).busy()).as("inside its slow hook").isTrue();
        toy.mayRefresh.add(leader);
        model.setConfig(Map.of("hold", true));
        return violationUntilQuiet(model);
    }

    /**
     * max-unavailable 1: snap-coherence/0's refresh fails (at its first snap, or halfway) and it reports the phase
     * given; then /1 starts.
     */
    private static Optional<InvariantViolation> startAfterAFailedUnit(boolean halfway,
                                                                      io.snapcoherence.coherence.Phase reported) {
        Controlled toy = new Controlled();
        toy.failurePhase = reported;
        SimulatedModel model = toy.model(Map.of("max-unavailable", 1), 2, 0);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2)));
        // the toy refreshes in list order: kube-apiserver first, kubelet later
        model.unit("snap-coherence/0").machine().failRefresh(halfway ? "kubelet" : "kube-apiserver",
                "error: download failed", true);
        toy.mayRefresh.add("snap-coherence/0");
        publishNew(model);
        model.setConfig(Map.of("hold", false));
        model.runUntilQuiet(500);
        toy.mayRefresh.add("snap-coherence/1");
        model.setConfig(Map.of("hold", true));
        return violationUntilQuiet(model);
    }

    /**
     * max-unavailable 1, kubelet not managed: snap-coherence/0's hook refreshes, says so verified and commits rounds
     * later; /1 starts meanwhile. A kubelet whose services snapd's timer left stopped before the refresh is no part
     * of it (seed 2611): /0 is available once its status says verified, as it is once its hook commits. Services the
     * refresh stopped keep it unavailable, whatever its status says: a managed snap's, or those of a snap it
     * refreshed that is managed no more (dropped from {@code snaps} while its refresh ran).
     */
    @Test
    void aVerifiedUnitWhoseCommitIsPendingIsJudgedByTheServicesOfWhatItManagesAndRefreshedI2() {
        assertThat(startBesideAVerifiedUnitCommitting(Broken.UNMANAGED_BY_THE_TIMER)).isEmpty();
        for (Broken broken : List.of(Broken.MANAGED_BY_THE_REFRESH, Broken.UNMANAGED_BY_THE_REFRESH)) {
            assertThat(startBesideAVerifiedUnitCommitting(broken)).as(broken.name())
                    .hasValueSatisfying(v -> assertThat(v.getMessage())
                            .contains("snap-coherence/1 started while 2 worker units are unavailable"));
        }
    }

    /**
     * max-unavailable 1, hold=false: snap-coherence/0's hook brings it onto the plan and commits rounds later; before
     * it commits, snapd's own timer starts a change of its own (newer revisions upstream) that runs for rounds. The
     * charm's refresh is over and the unit on the targets as the charm left them (it counts done, "Done stays done"):
     * the timer's change is snapd's move, released by the operator, and keeps no window open; /1 starts beside it
     * (seed 176757). The unit's own refresh change still running keeps it unavailable.
     */
    @Test
    void aChangeOfSnapdsTimerOnAUnitTheCharmBroughtOntoThePlanKeepsNoWindowOpenI2() {
        assertThat(startBesideAUnitWhoseChangeRuns(true)).isEmpty();
        assertThat(startBesideAUnitWhoseChangeRuns(false)).hasValueSatisfying(v -> assertThat(v.getMessage())
                .contains("snap-coherence/1 started while 2 worker units are unavailable"));
    }

    private static Optional<InvariantViolation> startBesideAUnitWhoseChangeRuns(boolean timers) {
        Controlled toy = new Controlled();
        SimulatedModel model = toy.model(Map.of("max-unavailable", 1, "hold", false), 0, 2);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2))); // the toy takes the store's head: I2 alone
        publishNew(model);
        model.setConfig(Map.of("hold", false)); // a hook: the leader writes the plan
        model.runUntilQuiet(500);
        SimulatedMachine first = model.unit("snap-coherence/0").machine();
        toy.mayRefresh.add("snap-coherence/0");
        model.setRefreshRounds("snap-coherence/0", 6); // a hook that refreshes commits 6 rounds later
        model.setConfig(Map.of("hold", false));
        model.runRound();
        assertThat(model.unit("snap-coherence/0").busy()).as("its hook ran and its commit is pending").isTrue();
        first.list().forEach(snap -> assertThat(snap.revision()).isEqualTo(Rehearsal.NEW.get(snap.name())));
        first.changesTakeRounds(60);
        if (timers) {
            Rehearsal.NEW.forEach((snap, revision) -> model.store().publish(snap, Rehearsal.CHANNEL, revision + 100));
            SimulatedMachine second = model.unit("snap-coherence/1").machine();
            List<String> names = second.list().stream().map(InstalledSnap::name).toList();
            second.hold(names); // the timer moves /0 alone
            model.runSnapdTimer();
            second.unhold(names);
            assertThat(first.autoRefreshing("kubelet")).as("snapd's timer at it").isTrue();
        } else {
            first.startRefresh("kubelet", Rehearsal.CHANNEL, Rehearsal.OLD.get("kubelet"));
        }
        for (int round = 0; round < 30 && model.unit("snap-coherence/0").busy(); round++) {
            model.runRound(); // until /0's hook commits
        }
        assertThat(model.unit("snap-coherence/0").busy()).isFalse();
        assertThat(first.changeInProgress("kubelet")).as("the change still runs").isTrue();
        toy.mayRefresh.remove("snap-coherence/0");
        toy.mayRefresh.add("snap-coherence/1");
        model.setConfig(Map.of("hold", false)); // a hook on /1
        try {
            model.runRound();
            assertThat(model.unit("snap-coherence/1").machine().list()).as("/1 started")
                    .anyMatch(snap -> snap.revision() != Rehearsal.OLD.get(snap.name())
                            || model.unit("snap-coherence/1").machine().changeInProgress(snap.name()));
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    private enum Broken { UNMANAGED_BY_THE_TIMER, MANAGED_BY_THE_REFRESH, UNMANAGED_BY_THE_REFRESH }

    private static Optional<InvariantViolation> startBesideAVerifiedUnitCommitting(Broken broken) {
        Controlled toy = new Controlled();
        toy.saysVerified = true;
        SimulatedModel model = toy.model(Map.of("max-unavailable", 1, "snaps", "kube-proxy kubectl"), 0, 2);
        model.observe(new Invariants(EnumSet.of(Invariants.Id.I2)));
        publishNew(model);
        model.setConfig(Map.of("hold", false)); // a hook on every unit: the leader writes the plan
        model.runUntilQuiet(500);
        SimulatedMachine first = model.unit("snap-coherence/0").machine();
        switch (broken) {
            case UNMANAGED_BY_THE_TIMER -> {
                // kubelet, released to snapd's timer, moved by it, its daemon stopped: before the plan's refresh
                first.install("kubelet", Rehearsal.CHANNEL, Rehearsal.NEW.get("kubelet"));
                first.breakServices("kubelet");
            }
            case MANAGED_BY_THE_REFRESH -> first.breakServicesAfterRefresh("kube-proxy");
            case UNMANAGED_BY_THE_REFRESH -> first.breakServicesAfterRefresh("kubelet"); // the toy refreshes it too
        }
        toy.mayRefresh.add("snap-coherence/0");
        model.setRefreshRounds("snap-coherence/0", 6); // a hook that refreshes commits 6 rounds later
        model.setConfig(Map.of("hold", true));
        model.runRound();
        assertThat(model.unit("snap-coherence/0").busy()).as("its hook ran and its commit is pending").isTrue();
        assertThat(model.unit("snap-coherence/0").status().message()).isEqualTo("on plan 1 (attempt 1, verified)");

        toy.mayRefresh.add("snap-coherence/1");
        model.setConfig(Map.of("hold", false)); // a hook on /1
        try {
            model.runRound();
            return Optional.empty();
        } catch (InvariantViolation e) {
            return Optional.of(e);
        }
    }

    /** Holds every installed snap while the config says hold=true and releases them otherwise, as the charm does. */
    private static HookRunner holdsAsConfigured() {
        return (context, tools, machine) -> {
            List<String> names = machine.list().stream().map(InstalledSnap::name).toList();
            if (io.snapcoherence.charm.CharmConfig.parse(tools.configGet()).hold()) {
                machine.hold(names);
            } else {
                machine.unhold(names);
            }
            return 0;
        };
    }

    /**
     * Seed 344832: the config asks for a hold the machine does not have yet, and the unit's hook that read it was
     * killed before its first snapd request. Until its retry the machine is as the hook before left it: snapd's
     * timer may move the snap. The retry holds it.
     */
    @Test
    void aHookKilledBeforeItReachedSnapdHoldsNothingYetI5() {
        SimulatedModel model = model(store -> holdsAsConfigured(), Map.of("hold", false), 1, 0);
        SimulatedMachine machine = model.unit("snap-coherence/0").machine();
        publishNew(model);
        model.killNextHook("snap-coherence/0", 0);
        model.setConfig(Map.of("hold", true));
        model.runRound(); // config-changed, killed at its first request
        assertThat(model.trace()).anyMatch(line -> line.contains("config-changed killed"));
        assertThat(machine.isHeld("kubelet")).isFalse();

        model.runSnapdTimer();
        assertThat(machine.installedRevision("kubelet")).contains(Rehearsal.NEW.get("kubelet"));

        model.runUntilQuiet(500); // the retry holds every snap
        Rehearsal.NEW.forEach((snap, revision) -> model.store().publish(snap, Rehearsal.CHANNEL, revision + 100));
        model.runSnapdTimer();
        assertThat(machine.installedRevision("kubelet")).contains(Rehearsal.NEW.get("kubelet"));
    }

    /**
     * A hook killed before its first snapd request leaves the machine as the hook before left it: with hold=true
     * applied by then, a snap that hook did not hold is the charm's fault all the same.
     */
    @Test
    void aHookKilledUnderTheHoldAlreadyAppliedExcusesNothingI5() {
        SimulatedModel model = model(store -> (context, tools, machine) -> {
            machine.list(); // reads, holds nothing
            return 0;
        }, Map.of("hold", true), 1, 0);
        publishNew(model);
        model.killNextHook("snap-coherence/0", 0);
        model.setConfig(Map.of("max-unavailable", 2));
        model.runRound();
        assertThat(model.trace()).anyMatch(line -> line.contains("config-changed killed"));

        assertThatThrownBy(model::runSnapdTimer).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("although hold=true");
    }

    @Test
    void snapdsTimerIsJudgedByTheHoldTheUnitLastAppliedI5() {
        SimulatedModel model = model(new Toy(false, false, false), Map.of("hold", false), 1, 0);
        publishNew(model);
        model.setConfig(Map.of("hold", true)); // not applied yet: no hook has run since
        model.runSnapdTimer();
        assertThat(model.unit("snap-coherence/0").machine().installedRevision("kubelet"))
                .contains(Rehearsal.NEW.get("kubelet"));

        model.runUntilQuiet(500); // config-changed: hold=true applied (this toy holds nothing)
        Rehearsal.NEW.forEach((snap, revision) -> model.store().publish(snap, Rehearsal.CHANNEL, revision + 100));

        assertThatThrownBy(model::runSnapdTimer).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("although hold=true");
    }
}
