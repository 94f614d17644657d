package io.snapcoherence.sim;

import java.util.List;
import java.util.Map;

/**
 * One thing that happened in the model, as the invariants see it: a hook run on a unit (started and, unless
 * slow, finished in the same step), the commit of a slow hook, or snapd's own timer on a machine.
 *
 * @param started   the hook ran its code in this step (refresh attempts and machine events happened now)
 * @param finished  the hook ended in this step: its writes are committed (or discarded when not {@code committed})
 * @param killed    the hook's process was killed while it ran (exit 137): it made the snapd requests it got to and
 *                  none after, so it may have died before it reached snapd's holds; not a hook killed after it ran
 *                  (before its commit)
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
                   boolean killed, int exitCode, boolean committed, List<ObservedMachine.Attempt> attempts,
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

    /**
     * A step that started and finished a committed hook (or snapd's own work) with no refresh attempts or events
     * and no data changed, viewed at once: {@code viewStep} the step before, {@code viewRound} its own round;
     * no peer view. {@code number}, {@code round}, {@code unit}, {@code hook}, {@code leader} and
     * {@code viewConfig} have no default.
     */
    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private Long number;
        private Long round;
        private String unit;
        private String hook;
        private boolean started = true;
        private boolean finished = true;
        private boolean killed;
        private int exitCode;
        private boolean committed = true;
        private List<ObservedMachine.Attempt> attempts = List.of();
        private List<RefreshEvent> events = List.of();
        private boolean unitDataChanged;
        private boolean appDataChanged;
        private String leader;
        private Map<String, String> appDataWritten = Map.of();
        private Long viewStep;
        private Long viewRound;
        private Map<String, Object> viewConfig;
        private PeerView peerView = PeerView.NONE;

        private Builder() {
        }

        public Builder number(long number) {
            this.number = number;
            return this;
        }

        public Builder round(long round) {
            this.round = round;
            return this;
        }

        public Builder unit(String unit) {
            this.unit = unit;
            return this;
        }

        public Builder hook(String hook) {
            this.hook = hook;
            return this;
        }

        public Builder started(boolean started) {
            this.started = started;
            return this;
        }

        public Builder finished(boolean finished) {
            this.finished = finished;
            return this;
        }

        public Builder killed(boolean killed) {
            this.killed = killed;
            return this;
        }

        public Builder exitCode(int exitCode) {
            this.exitCode = exitCode;
            return this;
        }

        public Builder committed(boolean committed) {
            this.committed = committed;
            return this;
        }

        public Builder attempts(List<ObservedMachine.Attempt> attempts) {
            this.attempts = attempts;
            return this;
        }

        public Builder events(List<RefreshEvent> events) {
            this.events = events;
            return this;
        }

        public Builder unitDataChanged(boolean unitDataChanged) {
            this.unitDataChanged = unitDataChanged;
            return this;
        }

        public Builder appDataChanged(boolean appDataChanged) {
            this.appDataChanged = appDataChanged;
            return this;
        }

        public Builder leader(String leader) {
            this.leader = leader;
            return this;
        }

        public Builder appDataWritten(Map<String, String> appDataWritten) {
            this.appDataWritten = appDataWritten;
            return this;
        }

        public Builder viewStep(long viewStep) {
            this.viewStep = viewStep;
            return this;
        }

        public Builder viewRound(long viewRound) {
            this.viewRound = viewRound;
            return this;
        }

        public Builder viewConfig(Map<String, Object> viewConfig) {
            this.viewConfig = viewConfig;
            return this;
        }

        public Builder peerView(PeerView peerView) {
            this.peerView = peerView;
            return this;
        }

        public Step build() {
            long n = required(number, "number");
            long r = required(round, "round");
            return new Step(n, r, required(unit, "unit"), required(hook, "hook"), started, finished, killed,
                    exitCode, committed, attempts, events, unitDataChanged, appDataChanged, required(leader, "leader"),
                    appDataWritten, viewStep == null ? n - 1 : viewStep, viewRound == null ? r : viewRound,
                    required(viewConfig, "viewConfig"), peerView);
        }

        private static <T> T required(T value, String name) {
            if (value == null) {
                throw new IllegalStateException("a step needs its " + name);
            }
            return value;
        }
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
