package io.snapcoherence.sim;

/**
 * One change of an installed snap's revision on a simulated machine: the ground truth the simulator's
 * invariants are checked against (not what the charm claims).
 */
public record RefreshEvent(String machine, String snap, String channel, int fromRevision, int toRevision,
                           Cause cause) {

    public enum Cause {
        /** A refresh change the charm started. */
        REFRESH,
        /** A revert change the charm started. */
        REVERT,
        /** snapd's own refresh timer. */
        AUTO,
        /** snapd undoing a change that failed after link-snap: back to the revision before it. */
        UNDO
    }
}
