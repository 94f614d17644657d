package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import io.snapcoherence.kube.NodeHealth.Answer;
import io.snapcoherence.kube.NodeHealth.Endpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Whether Kubernetes on this node is healthy enough for the unit to say done: after its refresh changes are
 * {@code Done} and its services active, the node endpoints of the plan's targets on the node ({@code /readyz} for
 * kube-apiserver, the kubelet's {@code /healthz}) must answer healthy. An API server takes a while to become ready
 * after a restart (etcd, informers, its post-start hooks), and a kubelet to load its config, so one bad answer is not
 * a failure: the unit asks again in later hooks and fails only after {@link #FAILED_CHECKS} failing checks spanning at
 * least {@link #SPAN}, or once the attempt's own time is up ({@code giveUpAt}: the refresh's 30 minutes, so a unit
 * never takes longer than a refresh can take, which the leader's silent-unit watch counts on). An answer the charm
 * could not get for its own reasons (certificates, credentials: {@link Answer.CannotCheck}) is not counted against
 * the node; the unit waits, saying so, and fails only when the attempt's time is up, never reporting done unchecked.
 */
public final class HealthGate {
    /** Failing checks (one per hook) before the gate fails. */
    public static final int FAILED_CHECKS = 3;
    /** The least time between the first and the last of those checks. */
    public static final Duration SPAN = Duration.ofMinutes(2);

    private HealthGate() {
    }

    /** One endpoint asked in this hook, for the target whose snap serves it. */
    public record Check(Target target, Endpoint endpoint, Answer answer) {
    }

    /**
     * What a unit remembers across hooks (unit store {@code health-gate}): the attempt, when its first failing check
     * was, how many failing checks in a row, and the last answer that was not healthy.
     */
    public record Memory(long plan, int attempt, Optional<Instant> firstFailed, int failedChecks, String lastAnswer) {
        public static Memory fresh(Plan plan) {
            return new Memory(plan.id(), plan.attempt(), Optional.empty(), 0, "");
        }

        public boolean isFor(Plan plan) {
            return this.plan == plan.id() && attempt == plan.attempt();
        }
    }

    /** The gate's word for this hook. */
    public sealed interface Verdict permits Passed, Waiting, Failed {
    }

    /** Every endpoint answered healthy (or there was none to ask): the unit may say done. */
    public record Passed() implements Verdict {
    }

    /** Not yet: remember {@code memory}; {@code answer} is what to show, {@code snap} the first snap concerned. */
    public record Waiting(Memory memory, String snap, String answer) implements Verdict {
    }

    /** This attempt failed on this node. */
    public record Failed(Failure failure) implements Verdict {
    }

    /**
     * The gate after this hook's {@code checks}. {@code before} is what the unit remembered (of any attempt: another
     * attempt's is ignored); {@code giveUpAt}, when present, is when the attempt's time is up.
     */
    public static Verdict decide(Plan plan, List<Check> checks, Optional<Memory> before, Instant now,
                                 Optional<Instant> giveUpAt) {
        Memory memory = before.filter(m -> m.isFor(plan)).orElseGet(() -> Memory.fresh(plan));
        Optional<Check> failing = checks.stream().filter(c -> c.answer().unhealthy()).findFirst();
        Optional<Check> unchecked = checks.stream().filter(c -> c.answer() instanceof Answer.CannotCheck).findFirst();
        if (failing.isEmpty() && unchecked.isEmpty()) {
            return new Passed();
        }
        boolean timeUp = giveUpAt.map(at -> !now.isBefore(at)).orElse(false);
        if (failing.isPresent()) {
            Check check = failing.get();
            String answer = check.answer().describe(check.endpoint());
            Instant first = memory.firstFailed().orElse(now);
            int count = memory.failedChecks() + 1;
            Memory next = new Memory(plan.id(), plan.attempt(), Optional.of(first), count, answer);
            boolean bounded = count >= FAILED_CHECKS && !Duration.between(first, now).minus(SPAN).isNegative();
            if (bounded || timeUp) {
                return new Failed(new Failure(check.target().snap(), check.target().revision(),
                        "node health check failed " + count + (count == 1 ? " time" : " times") + " since " + first
                                + ": " + answer));
            }
            return new Waiting(next, check.target().snap(), answer + " (failed check " + count + " of "
                    + FAILED_CHECKS + ", at least " + SPAN.toMinutes() + " min apart)");
        }
        Check check = unchecked.get();
        String answer = check.answer().describe(check.endpoint());
        if (timeUp) {
            return new Failed(new Failure(check.target().snap(), check.target().revision(),
                    "node health not checked in the attempt's time: " + answer + " (the charm's access, not "
                            + "necessarily the node)"));
        }
        return new Waiting(new Memory(plan.id(), plan.attempt(), memory.firstFailed(), memory.failedChecks(),
                answer), check.target().snap(), answer + " (not the node's fault: not counted)");
    }

    /**
     * The status of a unit the gate keeps from saying done: a running form of {@link StatusLine} ({@code maintenance:
     * checking health of kube-apiserver (plan 7, attempt 2): /readyz 500: [-]etcd failed ...}), which the leader
     * reads as not done.
     */
    public static Status checking(Plan plan, Waiting waiting, String next) {
        return StatusLine.running(plan, "checking health of " + waiting.snap(), waiting.answer() + "; " + next);
    }
}
