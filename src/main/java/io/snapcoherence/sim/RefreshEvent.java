package io.snapcoherence.sim;

/**
 * One change of an installed snap's revision on a simulated machine: the ground truth the simulator's
 * invariants are checked against (not what the charm claims).
 */
public record RefreshEvent(String machine, String snap, String channel, int fromRevision, int toRevision,
                           Cause cause) {

    public enum Cause {
        /** {@code snap refresh} called by the charm. */
        REFRESH,
        /** {@code snap revert} called by the charm. */
        REVERT,
        /** snapd's own refresh timer. */
        AUTO
    }
}
