package io.snapcoherence.coherence;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** How the leader's plan history follows the rollout state, and its bounds. */
class PlanHistoryTest {
    private static final Instant T0 = Instant.parse("2026-11-30T06:00:00Z");

    private static Plan plan(long id, int attempt, boolean complete, Target... targets) {
        return new Plan(id, attempt, List.of(targets), complete);
    }

    private static RolloutState state(Plan plan, Optional<Halt> halt, boolean paused) {
        return new RolloutState(Optional.of(plan), List.of(), halt, paused);
    }

    private static PlanHistory.Entry only(String history, long id) {
        return PlanHistory.read(history).stream().filter(e -> e.id() == id).findFirst().orElseThrow();
    }

    @Test
    void aPlanGoesFromRunningThroughPauseHaltAndResumeToComplete() {
        Target kubelet = new Target("kubelet", "1.29/stable", "amd64", 3154);
        Target armKubelet = new Target("kubelet", "1.29/stable", "arm64", 4154);
        String h = PlanHistory.next("", state(plan(7, 1, false, kubelet, armKubelet), Optional.empty(), false), T0);
        assertThat(only(h, 7)).extracting(PlanHistory.Entry::outcome, PlanHistory.Entry::at,
                PlanHistory.Entry::targets).containsExactly("running", T0.toString(),
                "1.29/stable amd64: kubelet=3154; 1.29/stable arm64: kubelet=4154");

        h = PlanHistory.next(h, state(plan(7, 1, false, kubelet), Optional.empty(), true), T0.plusSeconds(60));
        assertThat(only(h, 7).outcome()).isEqualTo("paused");
        assertThat(only(h, 7).at()).isEqualTo(T0.toString());

        Halt halt = new Halt("snap-coherence/3", "kubelet 3154 failed (plan 7): boom");
        h = PlanHistory.next(h, state(plan(7, 1, false, kubelet), Optional.of(halt), false), T0.plusSeconds(120));
        assertThat(only(h, 7).describe()).isEqualTo("halted by snap-coherence/3: kubelet 3154 failed (plan 7): boom");
        assertThat(only(h, 7).end()).contains(T0.plusSeconds(120).toString());
        // Still halted in a later hook: the time it halted stays.
        h = PlanHistory.next(h, state(plan(7, 1, false, kubelet), Optional.of(halt), false), T0.plusSeconds(180));
        assertThat(only(h, 7).end()).contains(T0.plusSeconds(120).toString());

        h = PlanHistory.next(h, state(plan(7, 2, false, kubelet), Optional.empty(), false), T0.plusSeconds(240));
        assertThat(only(h, 7).end()).isEmpty();
        assertThat(only(h, 7).describe()).isEqualTo("running (attempt 2; halted before by snap-coherence/3: "
                + "kubelet 3154 failed (plan 7): boom)");

        h = PlanHistory.next(h, state(plan(7, 2, true, kubelet), Optional.empty(), false), T0.plusSeconds(300));
        String done = h;
        h = PlanHistory.next(h, state(plan(7, 2, true, kubelet), Optional.empty(), false), T0.plusSeconds(900));
        assertThat(h).as("nothing changes in a later hook: no write").isEqualTo(done);
        assertThat(only(h, 7).end()).contains(T0.plusSeconds(300).toString());
        assertThat(only(h, 7).outcome()).isEqualTo("complete");
    }

    @Test
    void aLaterPlanSupersedesAnUnfinishedOne() {
        Target t = new Target("kubelet", "1.29/stable", "amd64", 3154);
        Halt halt = new Halt("snap-coherence/3", "kubelet 3154 failed (plan 7): boom");
        String h = PlanHistory.next("", state(plan(7, 1, false, t), Optional.of(halt), false), T0);
        h = PlanHistory.next(h, state(plan(8, 1, false, t), Optional.empty(), false), T0.plusSeconds(60));

        assertThat(only(h, 7).describe()).isEqualTo("superseded by plan 8 (halted by snap-coherence/3: kubelet 3154"
                + " failed (plan 7): boom)");
        assertThat(only(h, 7).end()).contains(T0.toString());
        assertThat(only(h, 8).outcome()).isEqualTo("running");
    }

    @Test
    void theHistoryKeepsTheLastTwentyPlansWithinSixteenKiB() {
        List<Target> many = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
            many.add(new Target("a-snap-name-of-forty-characters-long-" + String.format("%03d", i),
                    "1.29/stable/hotfix-branch", i % 2 == 0 ? "amd64" : "arm64", 100_000 + i));
        }
        String reason = "x".repeat(Failure.MAX_ERROR);
        String h = "";
        for (long id = 1; id <= 30; id++) {
            h = PlanHistory.next(h, state(new Plan(id, 1, many, false), Optional.of(new Halt(
                    "snap-coherence/12345", reason)), false), T0.plusSeconds(id));
        }

        List<PlanHistory.Entry> entries = PlanHistory.read(h);
        assertThat(h.length()).isLessThanOrEqualTo(PlanHistory.MAX_BYTES);
        assertThat(entries).extracting(PlanHistory.Entry::id).last().isEqualTo(30L);
        assertThat(entries.size()).isLessThanOrEqualTo(PlanHistory.MAX_PLANS);
        assertThat(entries).allMatch(e -> e.targets().length() <= PlanHistory.MAX_TARGETS_TEXT
                && e.targets().endsWith("(128 targets in all)") && e.why().orElseThrow().length() <= PlanHistory.MAX_WHY);
        // Six snaps on two architectures, as in a Charmed Kubernetes model: bytes per plan.
        List<Target> six = new ArrayList<>();
        for (String arch : List.of("amd64", "arm64")) {
            for (String snap : List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
                    "kubelet", "kubectl")) {
                six.add(new Target(snap, "1.29/stable", arch, 3150));
            }
        }
        String small = "";
        for (long id = 1; id <= 30; id++) {
            small = PlanHistory.next(small, state(new Plan(id, 1, six, true), Optional.empty(), false),
                    T0.plusSeconds(id));
        }
        assertThat(PlanHistory.read(small)).hasSize(PlanHistory.MAX_PLANS);
        assertThat(small.length() / PlanHistory.MAX_PLANS).as("bytes per plan").isBetween(300, 450);
    }

    @Test
    void anUnreadableHistoryStartsAfresh() {
        Target t = new Target("kubelet", "1.29/stable", "amd64", 3154);
        String h = PlanHistory.next("{not json", state(plan(3, 1, false, t), Optional.empty(), false), T0);
        assertThat(PlanHistory.read(h)).extracting(PlanHistory.Entry::id).containsExactly(3L);
    }
}
