package io.snapcoherence.sim;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's and the tests' hand on the model: actions queued on a unit ({@code juju run}; the agent runs them
 * before other hooks, even in error: worker/uniter/actions/resolver.go) and their results, a databag written as
 * another charm version would, and the faults injected into a unit's next hooks and its refreshes.
 */
final class Operator {
    private final SimulatedModel model;
    private final Controller controller;
    final Map<String, SimulatedModel.ActionResult> actionResults = new HashMap<>();
    int nextAction;

    Operator(SimulatedModel model, Controller controller) {
        this.model = model;
        this.controller = controller;
    }

    /** Queues an action for the unit (its agent runs it before other hooks, even in error); returns its id. */
    public String queueAction(String unitName, String action, Map<String, Object> params) {
        SimUnit unit = controller.unit(unitName);
        String id = String.valueOf(++nextAction);
        unit.actions.addLast(HookEvent.action(action, id, params));
        model.note("queue action " + action + " on " + unitName);
        return id;
    }

    /** Runs an action to completion (the model keeps running meanwhile) and returns what it reported. */
    public SimulatedModel.ActionResult runAction(String unitName, String action, Map<String, Object> params) {
        String id = queueAction(unitName, action, params);
        for (int i = 0; i < 10_000 && !actionResults.containsKey(id); i++) {
            model.runRound();
        }
        SimulatedModel.ActionResult result = actionResults.get(id);
        if (result == null) {
            throw new IllegalStateException("action " + action + " on " + unitName + " never ran");
        }
        return result;
    }

    /** What an action queued earlier returned, once it ran. */
    public Optional<SimulatedModel.ActionResult> actionResult(String id) {
        return Optional.ofNullable(actionResults.get(id));
    }

    /** Writes a unit databag as another charm version would (bypassing the charm), with the usual fan-out. */
    public void overwriteUnitData(String unitName, Map<String, String> data) {
        model.note("overwrite data of " + unitName + " with " + data);
        controller.commitUnitData(controller.unit(unitName), Map.copyOf(data));
    }

    /** Next hook on the unit dies after {@code snapCalls} snap calls (0: before its first); its writes are lost. */
    public void killNextHook(String unitName, int snapCalls) {
        controller.unit(unitName).killAfterCalls = snapCalls;
    }

    /**
     * Next hook on the unit runs to its end (its machine changes made) and dies before its changes commit: the unit
     * agent restarts (its relation cache starts empty) and retries the hook.
     */
    public void killNextHookBeforeCommit(String unitName) {
        controller.unit(unitName).killBeforeCommit = true;
    }

    /** Next hook on the unit reads the model now, and acts and commits {@code rounds} rounds later. */
    public void slowNextHook(String unitName, int rounds) {
        controller.unit(unitName).slowNextHook = rounds;
    }

    /** Hooks on the unit that refresh snaps take this many rounds (0: within the unit's turn). */
    public void setRefreshRounds(String unitName, int rounds) {
        controller.unit(unitName).refreshRounds = rounds;
    }

    /** The unit's refreshes outlive the CLI call by {@code rounds} rounds (see SimulatedMachine). */
    public void setChangeRounds(String unitName, int rounds) {
        controller.unit(unitName).machine().changesTakeRounds(rounds);
    }
}
