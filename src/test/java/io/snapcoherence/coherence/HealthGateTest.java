package io.snapcoherence.coherence;

import io.snapcoherence.kube.NodeHealth.Answer;
import io.snapcoherence.kube.NodeHealth.Endpoint;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The node health gate's rule: bounded retries across hooks, and what counts against the node. */
class HealthGateTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private static final Target KUBELET = new Target("kubelet", "1.29/stable", "amd64", 201);
    private static final Target APISERVER = new Target("kube-apiserver", "1.29/stable", "amd64", 101);
    private static final Plan PLAN = new Plan(7, 2, List.of(APISERVER, KUBELET), false);
    private static final Answer ETCD = new Answer.Unhealthy(500, List.of("etcd"));

    private static HealthGate.Check kubelet(Answer answer) {
        return new HealthGate.Check(KUBELET, Endpoint.KUBELET, answer);
    }

    private static HealthGate.Check apiserver(Answer answer) {
        return new HealthGate.Check(APISERVER, Endpoint.API_SERVER, answer);
    }

    /** Runs the gate once per entry at the given minutes after T0, carrying its memory; returns the last verdict. */
    private static HealthGate.Verdict hooks(Optional<Instant> giveUpAt, Object... minutesAndChecks) {
        Optional<HealthGate.Memory> memory = Optional.empty();
        HealthGate.Verdict verdict = new HealthGate.Passed();
        for (int i = 0; i < minutesAndChecks.length; i += 2) {
            Instant now = T0.plus(Duration.ofSeconds((long) (((Number) minutesAndChecks[i]).doubleValue() * 60)));
            verdict = HealthGate.decide(PLAN, List.of((HealthGate.Check) minutesAndChecks[i + 1]), memory, now,
                    giveUpAt);
            if (verdict instanceof HealthGate.Waiting w) {
                memory = Optional.of(w.memory());
            }
        }
        return verdict;
    }

    @Test
    void healthyPassesAndNothingToCheckPasses() {
        assertThat(HealthGate.decide(PLAN, List.of(kubelet(new Answer.Healthy()), apiserver(new Answer.Healthy())),
                Optional.empty(), T0, Optional.empty())).isEqualTo(new HealthGate.Passed());
        assertThat(HealthGate.decide(PLAN, List.of(), Optional.empty(), T0, Optional.empty()))
                .isEqualTo(new HealthGate.Passed());
    }

    @Test
    void oneUnhealthyEndpointAmongHealthyOnesKeepsTheUnitFromDone() {
        HealthGate.Verdict v = HealthGate.decide(PLAN, List.of(kubelet(new Answer.Healthy()), apiserver(ETCD)),
                Optional.empty(), T0, Optional.empty());
        assertThat(v).isInstanceOf(HealthGate.Waiting.class);
        HealthGate.Waiting w = (HealthGate.Waiting) v;
        assertThat(w.snap()).isEqualTo("kube-apiserver");
        assertThat(w.memory()).isEqualTo(new HealthGate.Memory(7, 2, Optional.of(T0), 1, "/readyz 500: [-]etcd failed"));
        assertThat(HealthGate.checking(PLAN, w, "checked again on the next hook")).isEqualTo(
                io.snapcoherence.juju.Status.maintenance("checking health of kube-apiserver (plan 7, attempt 2): "
                        + "/readyz 500: [-]etcd failed (failed check 1 of 3, at least 2 min apart); checked again on "
                        + "the next hook"));
    }

    @Test
    void failsAfterThreeFailingChecksSpanningTwoMinutesNotSooner() {
        // Three checks within a minute: not yet (an API server restarting answers 500 for a while).
        assertThat(hooks(Optional.empty(), 0, apiserver(ETCD), 0.5, apiserver(ETCD), 1, apiserver(ETCD)))
                .isInstanceOf(HealthGate.Waiting.class);
        // Two checks five minutes apart: not yet either.
        assertThat(hooks(Optional.empty(), 0, apiserver(ETCD), 5, apiserver(ETCD)))
                .isInstanceOf(HealthGate.Waiting.class);
        HealthGate.Verdict v = hooks(Optional.empty(), 0, apiserver(ETCD), 1, apiserver(ETCD), 2,
                apiserver(new Answer.NoAnswer(Duration.ofSeconds(5))));
        assertThat(v).isEqualTo(new HealthGate.Failed(new Failure("kube-apiserver", 101,
                "node health check failed 3 times since 2026-11-25T10:00:00Z: /readyz no answer within 5.0 s")));
    }

    @Test
    void aHealthyAnswerPassesWhateverCameBefore() {
        assertThat(hooks(Optional.empty(), 0, kubelet(new Answer.Refused("connection refused")), 1,
                kubelet(new Answer.Refused("connection refused")), 2, kubelet(new Answer.Healthy())))
                .isEqualTo(new HealthGate.Passed());
    }

    @Test
    void theAttemptsTimeEndsTheGateAtItsFirstFailingCheck() {
        Optional<Instant> giveUp = Optional.of(T0.plus(Duration.ofMinutes(1)));
        assertThat(hooks(giveUp, 0, kubelet(ETCD))).isInstanceOf(HealthGate.Waiting.class);
        assertThat(hooks(giveUp, 0, kubelet(ETCD), 1, kubelet(ETCD))).isInstanceOf(HealthGate.Failed.class);
    }

    @Test
    void whatTheCharmCannotCheckIsNotCountedAgainstTheNodeButEndsWithTheAttemptsTime() {
        Answer tls = new Answer.CannotCheck("TLS: PKIX path building failed");
        HealthGate.Verdict v = hooks(Optional.empty(), 0, apiserver(tls), 1, apiserver(tls), 2, apiserver(tls),
                3, apiserver(tls));
        assertThat(v).isInstanceOf(HealthGate.Waiting.class);
        assertThat(((HealthGate.Waiting) v).memory().failedChecks()).isZero();
        assertThat(((HealthGate.Waiting) v).answer()).isEqualTo(
                "cannot check /readyz: TLS: PKIX path building failed (not the node's fault: not counted)");
        // Two failing checks, then the charm's access fails: the count stays, no failure from it.
        assertThat(hooks(Optional.empty(), 0, apiserver(ETCD), 1, apiserver(ETCD), 3, apiserver(tls)))
                .isInstanceOf(HealthGate.Waiting.class);
        HealthGate.Verdict late = hooks(Optional.of(T0.plus(Duration.ofMinutes(30))), 0, apiserver(tls), 31,
                apiserver(tls));
        assertThat(late).isInstanceOf(HealthGate.Failed.class);
        assertThat(((HealthGate.Failed) late).failure().error()).isEqualTo("node health not checked in the "
                + "attempt's time: cannot check /readyz: TLS: PKIX path building failed (the charm's access, not "
                + "necessarily the node)");
    }

    @Test
    void anotherAttemptsMemoryIsNotCarriedOver() {
        HealthGate.Memory earlier = new HealthGate.Memory(7, 1, Optional.of(T0), 2, "/readyz 500");
        HealthGate.Verdict v = HealthGate.decide(PLAN, List.of(apiserver(ETCD)), Optional.of(earlier),
                T0.plus(Duration.ofMinutes(10)), Optional.empty());
        assertThat(v).isInstanceOf(HealthGate.Waiting.class);
        assertThat(((HealthGate.Waiting) v).memory().failedChecks()).isEqualTo(1);
    }

    @Test
    void theGatesStatusIsNotDoneToTheLeader() {
        HealthGate.Waiting w = (HealthGate.Waiting) HealthGate.decide(PLAN, List.of(kubelet(ETCD)), Optional.empty(),
                T0, Optional.empty());
        Optional<StatusLine> line = StatusLine.parse(io.snapcoherence.juju.WorkloadStatus.of(
                HealthGate.checking(PLAN, w, "checked again on the next hook")));
        assertThat(line).contains(new StatusLine.Refreshing(7, 2));
    }
}
