package io.snapcoherence.coherence;

/**
 * How far the active plan got, as the leader counted it: units on the plan per tier. Published in the app databag
 * so that waiting units can show progress without reading every peer's databag on every hook.
 */
public record Tally(long controlPlaneDone, long controlPlaneTotal, long workersDone, long workersTotal) {

    static Tally of(Census census, Plan plan) {
        return new Tally(census.doneCount(Role.CONTROL_PLANE, plan), census.tier(Role.CONTROL_PLANE).size(),
                census.doneCount(Role.WORKER, plan), census.tier(Role.WORKER).size());
    }

    /** {@code control plane 2/3 on plan 7} until the control plane is through, then the workers' count. */
    public String describe(long planId) {
        return (controlPlaneDone < controlPlaneTotal
                ? "control plane " + controlPlaneDone + "/" + controlPlaneTotal
                : "workers " + workersDone + "/" + workersTotal) + " on plan " + planId;
    }
}
