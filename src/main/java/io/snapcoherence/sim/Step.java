package io.snapcoherence.sim;

import java.util.List;
import java.util.Map;

/**
 * One thing that happened in the model, as the invariants see it: a hook run on a unit (started and, unless
 * slow, finished in the same step), the commit of a slow hook, or snapd's own timer on a machine.
 *
 * @param started   the hook ran its code in this step (refresh attempts and machine events happened now)
 * @param finished  the hook ended in this step: its writes are committed (or discarded when not {@code committed})
 * @param appDataWritten the app databag as this leader's hook wrote it, committed or not (a slow hook commits
 *                  later, a killed one never): its refreshes ran under that plan; empty when not the leader
 * @param viewStep  the number of the last step before this hook took its view of the model (what it read: a hook
 *                  that takes time acts on a view older than its step); this step's own number minus one for
 *                  snapd's steps and hooks that act at once
 * @param viewRound the round in which the hook took its view
 * @param viewConfig the charm config the hook read
 * @param peerView  what the hook read (or would read) of the peer relation, for a step with refresh attempts;
 *                  {@link PeerView#NONE} otherwise
 */
public record Step(long number, long round, String unit, String hook, boolean started, boolean finished,
                   int exitCode, boolean committed, List<ObservedMachine.Attempt> attempts,
                   List<RefreshEvent> events, boolean unitDataChanged, boolean appDataChanged, String leader,
                   Map<String, String> appDataWritten, long viewStep, long viewRound,
                   Map<String, Object> viewConfig, PeerView peerView) {

    /** What snapd did on its own (its refresh timer, a change the CLI stopped waiting for): no hook ran. */
    static final String SNAPD_TIMER = "snapd refresh timer";
    static final String SNAPD_CHANGE_DONE = "snapd change done";

    public Step {
        attempts = List.copyOf(attempts);
        events = List.copyOf(events);
        appDataWritten = Map.copyOf(appDataWritten);
        viewConfig = Map.copyOf(viewConfig);
    }

    /** Whether a hook ran in this step (not snapd on its own). */
    public boolean hookRan() {
        return !hook.equals(SNAPD_TIMER) && !hook.equals(SNAPD_CHANGE_DONE);
    }

    public String describe() {
        StringBuilder line = new StringBuilder();
        line.append('#').append(number).append(" r").append(round).append(' ').append(unit).append(' ').append(hook);
        if (finished) {
            line.append(committed ? " ok" : " FAILED(exit " + exitCode + ")");
        } else {
            line.append(" (slow: still running)");
        }
        if (unitDataChanged) {
            line.append(" +unit-data");
        }
        if (appDataChanged) {
            line.append(" +app-data");
        }
        for (ObservedMachine.Attempt attempt : attempts) {
            line.append(attempt.requested() ? " refresh " : " change of ").append(attempt.snap())
                    .append(switch (attempt.result()) {
                        case FAILED -> " refused";
                        case NOT_NOW -> " not-now";
                        case BUSY -> " busy";
                        case CHANGE_FAILED -> " failed";
                        case STARTED -> "";
                    });
        }
        for (RefreshEvent event : events) {
            line.append(" [").append(event.snap()).append(' ').append(event.fromRevision()).append("->")
                    .append(event.toRevision()).append(' ').append(event.cause()).append(']');
        }
        return line.toString();
    }
}
