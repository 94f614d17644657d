package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import io.snapcoherence.juju.WorkloadStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The unit status as a wire format: what the charm writes reads back as written; anything else is no news. */
class StatusLineTest {
    private static final Plan PLAN = new Plan(7, 2, List.of(new Target("kubelet", "1.29/stable", "amd64", 201)),
            false);

    private static Optional<StatusLine> read(Status status) {
        return StatusLine.parse(WorkloadStatus.of(status));
    }

    @Test
    void eachFormTheCharmWritesReadsBackWithItsPlanAndAttempt() {
        assertThat(read(StatusLine.done(PLAN))).contains(new StatusLine.Done(7, 2));
        assertThat(StatusLine.done(PLAN).toString()).isEqualTo("active: on plan 7 (attempt 2, verified)");
        // Notes the charm appends after "; " (the hold's lapse, the store check) keep it readable.
        assertThat(read(Status.active(StatusLine.done(PLAN).message() + "; refresh hold lapses 2027-02-28T10:00:00Z")))
                .contains(new StatusLine.Done(7, 2));
        Failure failure = new Failure("kubelet", 201, "cannot perform the following tasks: - (plan 9, attempt 9): x");
        assertThat(StatusLine.failed(PLAN, failure).toString())
                .isEqualTo("blocked: kubelet 201 failed (plan 7, attempt 2): cannot perform the following tasks: "
                        + "- (plan 9, attempt 9): x");
        assertThat(read(StatusLine.failed(PLAN, failure))).contains(new StatusLine.Failed(7, 2, failure));
        assertThat(read(UnitAgent.stillRefreshing(PLAN, PLAN.targets(), java.time.Instant.EPOCH, false)))
                .contains(new StatusLine.Refreshing(7, 2));
        assertThat(read(UnitAgent.refreshing(PLAN, PLAN.targets().get(0)))).contains(new StatusLine.Refreshing(7, 2));
        // A unit not granted, off the targets: it names the plan, not the attempt (every attempt has its targets).
        assertThat(StatusLine.queued(PLAN, Optional.of("workers 9/12 done")).toString())
                .isEqualTo("waiting: queued for plan 7 (workers 9/12 done)");
        assertThat(read(StatusLine.queued(PLAN, Optional.of("workers 9/12 done")))).contains(new StatusLine.Queued(7));
        assertThat(read(StatusLine.queued(PLAN, Optional.empty()))).contains(new StatusLine.Queued(7));
        assertThat(new StatusLine.Queued(7).about(PLAN)).isTrue();
        assertThat(new StatusLine.Queued(7).about(new Plan(7, 5, PLAN.targets(), false))).isTrue();
        assertThat(new StatusLine.Queued(6).about(PLAN)).isFalse();
        assertThat(new StatusLine.Done(7, 2).about(PLAN)).isTrue();
        assertThat(new StatusLine.Done(7, 1).about(PLAN)).isFalse();
        assertThat(new StatusLine.Done(6, 2).about(PLAN)).isFalse();
    }

    @Test
    void anythingElseIsNoNews() {
        List<WorkloadStatus> noNews = List.of(
                new WorkloadStatus("active", "on plan 7"), // the previous version's
                new WorkloadStatus("maintenance", "on plan 7 (attempt 2, verified)"), // wrong kind
                new WorkloadStatus("error", "hook failed: \"update-status\""),
                new WorkloadStatus("waiting", "agent initialising"),
                new WorkloadStatus("active", "on plan 07 (attempt 2, verified)"),
                new WorkloadStatus("active", "on plan 7 (attempt 0, verified)"),
                new WorkloadStatus("active", "on plan 99999999999999999999 (attempt 2, verified)"),
                new WorkloadStatus("active", "on plan 7 (attempt 2, verified)x"),
                new WorkloadStatus("active", " on plan 7 (attempt 2, verified)"),
                new WorkloadStatus("active", "up to date; on plan 7 (attempt 2, verified)"),
                new WorkloadStatus("blocked", "kubelet 201 failed (plan 7): the previous version's"),
                new WorkloadStatus("blocked", "kubelet 201 failed (plan 7, attempt 2): "),
                new WorkloadStatus("blocked", "kubelet 99999999999 failed (plan 7, attempt 2): x"),
                new WorkloadStatus("maintenance", "refreshing kubelet 201 (plan 7): snapd still at it"),
                new WorkloadStatus("waiting", "workers 9/12 on plan 7"), // the previous version's
                new WorkloadStatus("active", "queued for plan 7"), // wrong kind
                new WorkloadStatus("waiting", "queued for plan 07"),
                new WorkloadStatus("waiting", "queued for plan 7x"),
                new WorkloadStatus("waiting", "queued for plan 7; workers 9/12 done"),
                new WorkloadStatus("waiting", "granted for plan 7 in line: 1 unit ahead not done yet"),
                new WorkloadStatus("unknown", ""));
        assertThat(noNews).allSatisfy(status -> assertThat(StatusLine.parse(status)).as(status.toString()).isEmpty());
    }
}
