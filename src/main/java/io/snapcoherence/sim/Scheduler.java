package io.snapcoherence.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.snapcoherence.sim.SimulatedModel.ROUND_TIME;

/**
 * Which unit agent runs next. Juju's agents run concurrently, each on its own machine; the model stands for their
 * interleaving with rounds: a round walks every unit once in an order drawn from the seeded random, moves the
 * {@link SimClock} by {@link SimulatedModel#ROUND_TIME}, ticks each agent's update-status timer on its own phase
 * (worker/uniter/remotestate's update-status timer, the model's {@code update-status-hook-interval}), lets
 * snapd work and an expired lease be claimed, and lets {@link SimulatedModel.Chaos} disturb the model before each
 * turn. It also tells when the model has gone quiet.
 */
final class Scheduler {
    private final SimulatedModel model;
    private final Controller controller;
    private final UnitAgents agents;
    private final SnapdTimer snapd;
    SimulatedModel.Chaos chaos = (model, random) -> { };
    long lastActivityRound;

    Scheduler(SimulatedModel model, Controller controller, UnitAgents agents, SnapdTimer snapd) {
        this.model = model;
        this.controller = controller;
        this.agents = agents;
        this.snapd = snapd;
    }

    /** One round; returns whether any unit did something other than update-status. */
    public boolean runRound() {
        model.round++;
        model.clock.advance(ROUND_TIME);
        boolean activity = false;
        List<SimUnit> order = new ArrayList<>(controller.units.values());
        Collections.shuffle(order, model.random);
        for (SimUnit unit : order) {
            if (unit.alive() && model.settings.updateStatusEvery() > 0
                    && (model.round + unit.updateStatusOffset) % model.settings.updateStatusEvery() == 0) {
                unit.updateStatusTicks++;
            }
        }
        if (model.settings.snapdTimerEvery() > 0 && model.round % model.settings.snapdTimerEvery() == 0) {
            activity |= snapd.runSnapdTimer();
        }
        activity |= snapd.runSnapdChanges();
        if (controller.leaseFreeFrom >= 0 && model.round >= controller.leaseFreeFrom) {
            activity |= controller.claimFreeLease();
        }
        for (SimUnit unit : order) {
            if (unit.gone()) {
                continue;
            }
            chaos.beforeTurn(model, model.random);
            if (!unit.gone()) {
                activity |= agents.turn(unit);
            }
        }
        if (activity) {
            lastActivityRound = model.round;
        }
        return activity;
    }

    /** Something outside the hooks changed (a fault, an outage): the model is not quiet this round. */
    public void touch() {
        lastActivityRound = model.round;
    }

    /**
     * Runs until nothing but update-status has happened for {@code quietRounds} rounds (at least one
     * update-status period, so a leader that re-checks the store on update-status had its chance), no hook is in
     * flight and no action is queued, or until {@code maxRounds}. Returns whether the model became quiet.
     */
    public boolean runUntilQuiet(long maxRounds) {
        long quietRounds = Math.max(3, model.settings.updateStatusEvery() + 1L);
        long start = model.round;
        lastActivityRound = model.round;
        while (model.round - start < maxRounds) {
            runRound();
            if (model.round - lastActivityRound >= quietRounds && controller.units.values().stream()
                    .noneMatch(u -> u.busy() || (!u.actions.isEmpty() && !u.gone() && !u.machineDown))) {
                return true;
            }
        }
        return false;
    }
}
