package io.snapcoherence.coherence;

/**
 * How far the active plan got, as the leader counted it: units on the plan per tier. Published in the app databag
 * so that waiting units can show progress without reading every peer's databag on every hook.
 */
public record Tally(long controlPlaneDone, long controlPlaneTotal, long workersDone, long workersTotal) {

    /**
     * Units whose role the leader cannot read (silent, unreadable) count as control plane not done: they could
     * be. A worker refreshes only when the tally shows the control plane through, so a control-plane unit that
     * joins after a worker's grant stops that worker as soon as the leader has seen it join (I1), even before the
     * worker itself has seen it.
     */
    static Tally of(Census census, Plan plan) {
        long unknown = census.unreadable().size() + census.unreported().size();
        return new Tally(census.doneCount(Role.CONTROL_PLANE, plan), census.tier(Role.CONTROL_PLANE).size() + unknown,
                census.doneCount(Role.WORKER, plan), census.tier(Role.WORKER).size());
    }

    public boolean controlPlaneThrough() {
        return controlPlaneDone >= controlPlaneTotal;
    }

    /** {@code control plane 2/3 on plan 7} until the control plane is through, then the workers' count. */
    public String describe(long planId) {
        return counted() + " on plan " + planId;
    }

    /** {@code control plane 2/3 done} until the control plane is through, then the workers' count. */
    public String done() {
        return counted() + " done";
    }

    private String counted() {
        return controlPlaneDone < controlPlaneTotal
                ? "control plane " + controlPlaneDone + "/" + controlPlaneTotal
                : "workers " + workersDone + "/" + workersTotal;
    }
}
