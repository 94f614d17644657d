package io.snapcoherence.sim;

import java.util.List;

/**
 * snapd on every machine, apart from the hooks: its own auto-refresh timer (overlord/snapstate/autorefresh.go;
 * {@link SimulatedMachine#autoRefreshTick}) and the changes it carries on after the CLI stopped waiting for them
 * (overlord/state TaskRunner; {@link SimulatedMachine#advanceChanges}). What it does is a step of the model of
 * its own, seen by the observers like a hook.
 */
final class SnapdTimer {
    private final SimulatedModel model;
    private final Controller controller;

    SnapdTimer(SimulatedModel model, Controller controller) {
        this.model = model;
        this.controller = controller;
    }

    /** snapd's own refresh timer fires on every running unit's machine; returns whether anything changed. */
    public boolean runSnapdTimer() {
        boolean changed = false;
        for (SimUnit unit : controller.units.values()) {
            if (unit.gone() || unit.machineDown) {
                continue;
            }
            model.stepEvents.clear();
            long runningBefore = unit.machine().autoRefreshesRunning();
            unit.machine().autoRefreshTick();
            // A change that takes rounds moves no revision yet, but observers must see when it began: snapd
            // decides what to leave out (held snaps) then, not when it ends.
            boolean begun = unit.machine().autoRefreshesRunning() > runningBefore;
            if (!model.stepEvents.isEmpty() || begun) {
                changed |= !model.stepEvents.isEmpty();
                model.stepEventsSeen += model.stepEvents.size();
                model.emit(Step.builder().number(++model.steps).round(model.round).unit(unit.name()).hook(Step.SNAPD_TIMER)
                        .events(model.stepEvents).leader(controller.leader).viewConfig(controller.config).build());
            }
        }
        return changed;
    }

    /**
     * snapd goes on with the changes the CLI stopped waiting for ({@link SimulatedMachine#changesTakeRounds}) on
     * machines that are up; a change still running, or one finishing, is activity: the model is not quiet while
     * snapd works.
     */
    boolean runSnapdChanges() {
        boolean working = false;
        for (SimUnit unit : controller.units.values()) {
            if (unit.gone() || unit.machineDown || !unit.machine().changesRunning()) {
                continue;
            }
            working = true;
            model.stepEvents.clear();
            unit.machine().advanceChanges();
            if (!model.stepEvents.isEmpty()) {
                model.stepEventsSeen += model.stepEvents.size();
                model.emit(Step.builder().number(++model.steps).round(model.round).unit(unit.name()).hook(Step.SNAPD_CHANGE_DONE)
                        .events(List.copyOf(model.stepEvents)).leader(controller.leader).viewConfig(controller.config).build());
            }
        }
        return working;
    }
}
