package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.snapcoherence.coherence.Fixtures.CH;
import static io.snapcoherence.coherence.Fixtures.rev;
import static io.snapcoherence.coherence.Fixtures.u;
import static org.assertj.core.api.Assertions.assertThat;

/** Plans from what registered units saw the proxy serve: a target per architecture, check rounds. */
class PlannerTargetsTest {
    private static final Instant T = Instant.parse("2026-11-25T10:00:00Z");
    private static final String PROXY = "http://snap-proxy.internal";
    private static final SnapChannel KUBELET = new SnapChannel("kubelet", CH);
    private static final SnapChannel APISERVER = new SnapChannel("kube-apiserver", CH);
    private static final List<String> MANAGED = List.of("kube-apiserver", "kubelet");

    private static UnitReading unit(int n, Role role, String arch, Optional<StoreView> view, Object... snapRevision) {
        Map<String, InstalledRevision> installed = new java.util.TreeMap<>();
        for (int i = 0; i < snapRevision.length; i += 2) {
            installed.put((String) snapRevision[i], rev((Integer) snapRevision[i + 1]));
        }
        return new UnitReading.Reported(new UnitReport(u(n), role, installed, Optional.empty(), Optional.empty(),
                arch, view));
    }

    private static Offers offers(CheckRound check, Object... archSnapRevision) {
        Map<String, Map<SnapChannel, Offers.Offer>> byArch = new java.util.TreeMap<>();
        for (int i = 0; i < archSnapRevision.length; i += 3) {
            byArch.computeIfAbsent((String) archSnapRevision[i], a -> new java.util.TreeMap<>())
                    .put(new SnapChannel((String) archSnapRevision[i + 1], CH),
                            new Offers.Offer((Integer) archSnapRevision[i + 2], T.minusSeconds(600), u(0)));
        }
        return new Offers(PROXY, byArch, check);
    }

    private static PlannerDecision decide(List<UnitReading> peers, RolloutState state, Offers offers,
                                          Optional<LeaderRequest> request, Instant now) {
        return Planner.decide(PlannerInput.builder().peers(peers).state(state).offers(offers).managedSnaps(MANAGED)
                .request(request).leader(Optional.of(u(0))).left(Set.of()).build()
                .at(new Watch(now, Map.of(), Watch.SILENT_AFTER)));
    }

    @Test
    void aMixedClusterGetsATargetPerArchitectureAndEachWorkerItsOwn() {
        var peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100, "kubelet",
                        200),
                unit(1, Role.WORKER, "amd64", Optional.empty(), "kubelet", 200),
                unit(2, Role.WORKER, "arm64", Optional.empty(), "kubelet", 1200));
        PlannerDecision d = decide(peers, RolloutState.EMPTY, offers(CheckRound.NONE, "amd64", "kube-apiserver", 100,
                "amd64", "kubelet", 201, "arm64", "kubelet", 1201), Optional.empty(), T);

        Plan plan = d.state().plan().orElseThrow();
        assertThat(plan.targets()).containsExactly(new Target("kubelet", CH, "amd64", 201),
                new Target("kubelet", CH, "arm64", 1201));
        var arm64 = Map.of("kubelet", rev(1200));
        assertThat(plan.pendingOn("arm64", arm64)).containsExactly(new Target("kubelet", CH, "arm64", 1201));
        assertThat(plan.pendingOn("amd64", Map.of("kubelet", rev(200))))
                .containsExactly(new Target("kubelet", CH, "amd64", 201));
        // On its own architecture's revision, an arm64 unit is done; on amd64's number it is not.
        assertThat(plan.reachedBy("arm64", Map.of("kubelet", rev(1201)))).isTrue();
        assertThat(plan.reachedBy("arm64", Map.of("kubelet", rev(201)))).isFalse();
    }

    @Test
    void unitsOfAnArchitectureNoUsableViewCoversAreNotPlannedForAndTheStatusSaysWhy() {
        var peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100, "kubelet",
                        200),
                unit(1, Role.WORKER, "arm64", Optional.of(StoreView.unavailable(T, 3, PROXY,
                        "not registered with the proxy " + PROXY)), "kubelet", 1200));
        // u(1) was asked in round 3 and could not look: the round is over, nothing to wait for.
        PlannerDecision d = decide(peers, RolloutState.EMPTY, offers(new CheckRound(3, T.minusSeconds(30),
                List.of(u(1))), "amd64", "kube-apiserver", 101, "amd64", "kubelet", 201), Optional.empty(), T);

        assertThat(d.state().plan().orElseThrow().targets()).containsExactly(
                new Target("kube-apiserver", CH, "amd64", 101), new Target("kubelet", CH, "amd64", 201));
        assertThat(d.appStatus().message()).endsWith("; no registered unit of arm64 has reported what the proxy "
                + "serves yet");
        // It owes an answer, and is not asked again before CheckRound.RETRY.
        assertThat(d.offers().check().round()).isEqualTo(3);
        PlannerDecision later = decide(peers, d.state(), d.offers(), Optional.empty(), T.plus(CheckRound.RETRY));
        assertThat(later.offers().check().round()).isEqualTo(4);
        assertThat(later.offers().check().asked()).containsExactly(u(1));
    }

    @Test
    void aUnitOfThePreviousVersionIsNotPlannedForAndIsDoneOnlyOnEveryArchitecturesTarget() {
        var old = new UnitReading.Reported(new UnitReport(u(1), Role.WORKER, Map.of("kubelet", rev(200)),
                Optional.empty()));
        var peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100), old);
        PlannerDecision d = decide(peers, RolloutState.EMPTY, offers(CheckRound.NONE, "amd64", "kubelet", 201),
                Optional.empty(), T);
        assertThat(d.differences()).isEmpty();

        Plan both = new Plan(1, 1, List.of(new Target("kubelet", CH, "amd64", 201),
                new Target("kubelet", CH, "arm64", 1201)), false);
        UnitReport report = ((UnitReading.Reported) old).report();
        assertThat(report.done(both)).isFalse();
        assertThat(report.done(new Plan(1, 1, List.of(new Target("kubelet", CH, "amd64", 200),
                new Target("kubelet", CH, "arm64", 200)), false))).isTrue();
    }

    @Test
    void aReportedChangeStartsARoundAndThePlanWaitsForTheAnswers() {
        var cp0 = unit(0, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100, "kubelet", 200);
        var cp3 = unit(3, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100, "kubelet", 200);
        // u(1) saw kubelet 201 on its update-status: news.
        var w1 = unit(1, Role.WORKER, "amd64", Optional.of(StoreView.news(T.minusSeconds(5), 0, PROXY,
                Map.of(KUBELET, 201))), "kubelet", 200);
        var w2 = unit(2, Role.WORKER, "amd64", Optional.empty(), "kubelet", 200);
        Offers held = offers(CheckRound.NONE, "amd64", "kube-apiserver", 100, "amd64", "kubelet", 200);
        PlannerDecision d = decide(List.of(cp0, w1, w2, cp3), RolloutState.EMPTY, held, Optional.empty(), T);

        assertThat(d.offers().revision("amd64", "kubelet", CH)).contains(201);
        assertThat(d.state().plan()).isEmpty();
        // One unit covers both channels; not the leader, which would answer only in a later hook of its own.
        assertThat(d.offers().check()).isEqualTo(new CheckRound(1, T, List.of(u(3))));
        assertThat(d.appStatus()).isEqualTo(Status.waiting("updates available: kubelet 201 (1.29/stable, amd64); "
                + "no plan while units are checking what the proxy serves (round 1, asked " + T + ")"));

        // u(3) answers: kube-apiserver moved too. One plan covers both, and no new round starts.
        var answered = unit(3, Role.CONTROL_PLANE, "amd64", Optional.of(StoreView.answer(T.plusSeconds(10), 1, PROXY,
                Map.of(APISERVER, 101, KUBELET, 201))), "kube-apiserver", 100, "kubelet", 200);
        PlannerDecision planned = decide(List.of(cp0, w1, w2, answered), d.state(), d.offers(), Optional.empty(),
                T.plusSeconds(20));
        assertThat(planned.offers().check().round()).isEqualTo(1);
        assertThat(planned.state().plan().orElseThrow().targets()).containsExactly(
                new Target("kube-apiserver", CH, "amd64", 101), new Target("kubelet", CH, "amd64", 201));
    }

    @Test
    void aRoundWhoseAnswersDoNotComeSettlesAfterTwoMinutes() {
        var peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100),
                unit(1, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100));
        Offers asking = offers(new CheckRound(7, T, List.of(u(1))), "amd64", "kube-apiserver", 101);
        assertThat(decide(peers, RolloutState.EMPTY, asking, Optional.empty(), T.plusSeconds(119)).state().plan())
                .isEmpty();
        assertThat(decide(peers, RolloutState.EMPTY, asking, Optional.empty(), T.plus(CheckRound.SETTLE))
                .state().plan()).isPresent();
    }

    @Test
    void aRefreshOnAHaltedPlanReplacesItOnlyFromViewsTakenSinceItWasAsked() {
        var target = new Target("kubelet", CH, "amd64", 201);
        var halted = new RolloutState(Optional.of(new Plan(4, 1, List.of(target), false)), List.of(u(1)),
                Optional.of(new Halt(u(1), "kubelet 201 failed")), false);
        var peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100),
                unit(1, Role.WORKER, "amd64", Optional.empty(), "kubelet", 200));
        Offers before = offers(CheckRound.NONE, "amd64", "kube-apiserver", 100, "amd64", "kubelet", 201);
        PlannerDecision asked = decide(peers, halted, before, Optional.of(new LeaderRequest.Refresh(Set.of())), T);
        assertThat(asked.state().refresh()).contains(new RefreshRequest(T, Optional.of(4L)));
        assertThat(asked.state().halt()).isPresent();

        // The asked units could not look (the store is down): the round is over, yet nothing is replaced from
        // what was seen before the operator fixed the proxy.
        var couldNot = peers.stream().map(r -> asked.offers().check().asked().contains(r.unit())
                ? new UnitReading.Reported(((UnitReading.Reported) r).report().on("amd64",
                Optional.of(StoreView.unavailable(T.plusSeconds(5), 1, PROXY, "store unreachable")))) : r).toList();
        PlannerDecision waiting = decide(couldNot, asked.state(), asked.offers(), Optional.empty(),
                T.plusSeconds(10));
        assertThat(waiting.state().plan().orElseThrow().id()).isEqualTo(4);
        assertThat(waiting.appStatus().message()).contains("a refresh replaces it with what the proxy serves, "
                + "waiting while no unit has told what the proxy serves");

        // Once they can look, they answer (the fixed kubelet 202): the halted plan is replaced.
        List<UnitReading> fixed = couldNot.stream().<UnitReading>map(r -> new UnitReading.Reported(
                ((UnitReading.Reported) r).report().on(
                "amd64", Optional.of(StoreView.answer(T.plusSeconds(60), 1, PROXY, r.unit().equals(u(1))
                        ? Map.of(KUBELET, 202) : Map.of(APISERVER, 100)))))).toList();
        PlannerDecision replaced = decide(fixed, waiting.state(), waiting.offers(), Optional.empty(),
                T.plusSeconds(70));
        assertThat(replaced.superseded()).contains(4L);
        assertThat(replaced.state().plan().orElseThrow().targets()).containsExactly(
                new Target("kubelet", CH, "amd64", 202));

        // A resume meanwhile retries the halted plan instead, and nothing is replaced after.
        PlannerDecision resumed = decide(couldNot, asked.state(), asked.offers(),
                Optional.of(new LeaderRequest.Resume()), T.plusSeconds(10));
        assertThat(resumed.state().refresh().flatMap(RefreshRequest::replaces)).isEmpty();
        assertThat(resumed.state().plan().orElseThrow().attempt()).isEqualTo(2);
    }

    @Test
    void anArchitectureNoUnitWasAskedAboutIsAskedAboutAtOnce() {
        var peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.empty(), "kube-apiserver", 100),
                unit(5, Role.WORKER, "arm64", Optional.empty(), "kubelet", 1200));
        // Round 2 asked about amd64 only, a minute ago, and was answered; an arm64 unit has joined since.
        peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.of(StoreView.answer(T.minusSeconds(50), 2, PROXY,
                Map.of(APISERVER, 100))), "kube-apiserver", 100), peers.get(1));
        Offers held = offers(new CheckRound(2, T.minusSeconds(60), List.of(u(0))), "amd64", "kube-apiserver", 100);
        PlannerDecision d = decide(peers, RolloutState.EMPTY, held, Optional.empty(), T);
        assertThat(d.offers().check()).isEqualTo(new CheckRound(3, T, List.of(u(5))));
    }

    @Test
    void aLeaderThatIsLeavingMergesNothingAndAsksNobody() {
        var peers = List.of(unit(0, Role.CONTROL_PLANE, "amd64", Optional.of(StoreView.news(T, 0, PROXY,
                Map.of(APISERVER, 101))), "kube-apiserver", 100));
        Offers held = offers(CheckRound.NONE, "amd64", "kube-apiserver", 100);
        PlannerDecision d = Planner.decide(PlannerInput.builder().peers(peers).offers(held).managedSnaps(MANAGED)
                .leader(Optional.of(u(0))).left(Set.of()).build().at(new Watch(T, Map.of(), Watch.SILENT_AFTER))
                .leaderLeaving(Optional.empty()));
        assertThat(d.offers()).isEqualTo(held);
        assertThat(d.state().plan()).isEmpty();
    }

    @Test
    void twoMinutesIsTheSettleTimeAndTenTheRetry() {
        assertThat(CheckRound.SETTLE).isEqualTo(Duration.ofMinutes(2));
        assertThat(CheckRound.RETRY).isEqualTo(Duration.ofMinutes(10));
    }
}
