package io.snapcoherence.coherence;

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

/** How the leader merges what units saw the proxy serve, and whom it asks to look. */
class OffersTest {
    private static final Instant T = Instant.parse("2026-11-25T10:00:00Z");
    private static final String PROXY = "http://snap-proxy.internal";
    private static final SnapChannel KUBELET = new SnapChannel("kubelet", CH);

    private static UnitReport unit(int n, Role role, String arch, StoreView view, Object... snapRevision) {
        Map<String, InstalledRevision> installed = new java.util.TreeMap<>();
        for (int i = 0; i < snapRevision.length; i += 2) {
            installed.put((String) snapRevision[i], rev((Integer) snapRevision[i + 1]));
        }
        return new UnitReport(u(n), role, installed, Optional.empty(), Optional.empty(), arch,
                Optional.ofNullable(view));
    }

    private static StoreView news(Instant at, String proxy, int kubelet) {
        return StoreView.news(at, 0, proxy, Map.of(KUBELET, kubelet));
    }

    @Test
    void theNewestViewOfEachArchitectureWinsAndViewsThroughAnotherProxyAreNotTaken() {
        Offers offers = new Offers(PROXY, Map.of(), CheckRound.NONE);
        Offers.Merged merged = offers.merge(List.of(
                unit(1, Role.WORKER, "amd64", news(T, PROXY, 3154), "kubelet", 3104),
                unit(2, Role.WORKER, "amd64", news(T.plusSeconds(60), PROXY, 3160), "kubelet", 3104),
                unit(3, Role.WORKER, "arm64", news(T, PROXY, 4154), "kubelet", 4104),
                // through the upstream store (no proxy-url when it looked): never this proxy's
                unit(4, Role.WORKER, "arm64", news(T.plusSeconds(120), "", 4174), "kubelet", 4104)),
                T.plusSeconds(300));

        assertThat(merged.offers().revision("amd64", "kubelet", CH)).contains(3160);
        assertThat(merged.offers().offer("amd64", KUBELET).orElseThrow().unit()).isEqualTo(u(2));
        assertThat(merged.offers().revision("arm64", "kubelet", CH)).contains(4154);
        assertThat(merged.changedBy()).containsExactlyInAnyOrder(u(1), u(2), u(3));

        // The same views again change nothing.
        Offers.Merged again = merged.offers().merge(List.of(
                unit(2, Role.WORKER, "amd64", news(T.plusSeconds(60), PROXY, 3160), "kubelet", 3104)),
                T.plusSeconds(400));
        assertThat(again.offers()).isEqualTo(merged.offers());
        assertThat(again.changedBy()).isEmpty();
    }

    /**
     * A unit's view names what it ran when it looked; a snap it no longer runs (dropped from the managed snaps, its
     * unit on a dead machine whose report stays) is no news: it would be pruned after every merge and taken again,
     * and the leader would start a check round in every hook and never plan.
     */
    @Test
    void aViewOfASnapItsUnitNoLongerRunsIsNotTaken() {
        SnapChannel kubectl = new SnapChannel("kubectl", CH);
        StoreView stale = StoreView.news(T, 0, PROXY, Map.of(KUBELET, 3154, kubectl, 3155));
        Offers held = new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, T, u(1)))),
                CheckRound.NONE);

        Offers.Merged merged = held.merge(List.of(unit(1, Role.WORKER, "amd64", stale, "kubelet", 3104)),
                T.plusSeconds(300));

        assertThat(merged.changedBy()).isEmpty();
        assertThat(merged.offers().offer("amd64", kubectl)).isEmpty();
        assertThat(merged.offers()).isEqualTo(held);
    }

    /**
     * A (snap, channel) the leader holds nothing for is taken only from a look since its last round: a view kept
     * in a databag from before may predate a change of the proxy whose telling views are gone (seed 262783:
     * kubectl dropped from snaps and put back, the leader's own answer to round 1 brought back a revision the
     * proxy had stopped serving).
     */
    @Test
    void whatTheLeaderHoldsNothingForIsTakenOnlyFromALookSinceItsLastRound() {
        SnapChannel kubectl = new SnapChannel("kubectl", CH);
        CheckRound third = new CheckRound(3, T.plusSeconds(240), List.of(u(1)));
        Offers held = new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, third.at(), u(1)))),
                third);
        StoreView first = StoreView.answer(T.plusSeconds(20), 1, PROXY, Map.of(KUBELET, 3104, kubectl, 3105));
        Offers.Merged merged = held.merge(List.of(unit(0, Role.CONTROL_PLANE, "amd64", first, "kubelet", 3154,
                "kubectl", 3155)), T.plusSeconds(740));
        assertThat(merged.offers().offer("amd64", kubectl)).isEmpty();
        assertThat(merged.offers()).isEqualTo(held);

        // A look since the round is taken.
        StoreView now = StoreView.news(T.plusSeconds(700), 3, PROXY, Map.of(KUBELET, 3154, kubectl, 3155));
        merged = held.merge(List.of(unit(0, Role.CONTROL_PLANE, "amd64", now, "kubelet", 3154, "kubectl", 3155)),
                T.plusSeconds(740));
        assertThat(merged.offers().revision("amd64", "kubectl", CH)).contains(3155);
    }

    @Test
    void aClockAheadCountsAsTheLeadersNowAndAnAnswerAsNoOlderThanTheRound() {
        Offers offers = new Offers(PROXY, Map.of(), new CheckRound(4, T, List.of(u(1))));
        // u(2)'s clock runs an hour ahead: its view counts as seen now, so u(1) looking a minute later wins.
        Offers ahead = offers.merge(List.of(unit(2, Role.WORKER, "amd64", news(T.plus(Duration.ofHours(1)), PROXY,
                3154), "kubelet", 3104)), T).offers();
        assertThat(ahead.offer("amd64", KUBELET).orElseThrow().at()).isEqualTo(T);
        // u(1)'s clock runs behind: it answers round 4, which it read after the leader asked.
        StoreView answer = StoreView.answer(T.minusSeconds(5), 4, PROXY, Map.of(KUBELET, 3160));
        Offers answered = ahead.merge(List.of(unit(1, Role.WORKER, "amd64", answer, "kubelet", 3104)),
                T.plusSeconds(60)).offers();
        assertThat(answered.revision("amd64", "kubelet", CH)).contains(3160);
        assertThat(answered.offer("amd64", KUBELET).orElseThrow().at()).isEqualTo(T);
    }

    @Test
    void anotherProxyUrlDropsWhatWasSeenThroughTheFormerOne() {
        Offers before = new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, T, u(1)))),
                CheckRound.NONE);
        assertThat(before.forProxy(PROXY)).isSameAs(before);
        Offers after = before.forProxy("http://other-proxy.internal");
        assertThat(after.byArch()).isEmpty();
        assertThat(after.proxy()).isEqualTo("http://other-proxy.internal");
    }

    @Test
    void noMoreEntriesThanTheAppDatabagHoldsAreTaken() {
        Map<SnapChannel, Integer> many = new java.util.TreeMap<>();
        for (int i = 0; i < StoreView.MAX_ENTRIES; i++) {
            many.put(new SnapChannel("snap" + i, CH), i + 1);
        }
        Map<String, InstalledRevision> runs = new java.util.TreeMap<>();
        many.keySet().forEach(sc -> runs.put(sc.snap(), new InstalledRevision(CH, 0)));
        List<UnitReport> reports = java.util.stream.Stream.of("amd64", "arm64", "s390x")
                .map(arch -> new UnitReport(u(List.of("amd64", "arm64", "s390x").indexOf(arch) + 1), Role.WORKER,
                        runs, Optional.empty(), Optional.empty(), arch,
                        Optional.of(StoreView.news(T, 0, PROXY, many))))
                .toList();
        Offers.Merged merged = new Offers(PROXY, Map.of(), CheckRound.NONE).merge(reports, T);
        assertThat(merged.offers().size()).isEqualTo(Offers.MAX_ENTRIES);
        assertThat(merged.refused()).isEqualTo(3 * StoreView.MAX_ENTRIES - Offers.MAX_ENTRIES);
    }

    @Test
    void whatNoUnitTracksAnyMoreIsDropped() {
        Offers offers = new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, T, u(1)),
                new SnapChannel("kubelet", "1.28/stable"), new Offers.Offer(2900, T, u(1))),
                "arm64", Map.of(KUBELET, new Offers.Offer(4154, T, u(3)))), CheckRound.NONE);
        Census census = Census.of(List.of(new UnitReading.Reported(unit(1, Role.WORKER, "amd64", null, "kubelet",
                3104))));
        Offers pruned = offers.prunedTo(census);
        assertThat(pruned.byArch()).containsOnlyKeys("amd64");
        assertThat(pruned.byArch().get("amd64")).containsOnlyKeys(KUBELET);
    }

    @Test
    void aRoundAsksAFewUnitsCoveringEveryChannelOfEveryArchitectureTheLeaderLast() {
        List<UnitReport> reports = List.of(
                unit(0, Role.CONTROL_PLANE, "amd64", null, "kube-apiserver", 100, "kubelet", 200),
                unit(1, Role.CONTROL_PLANE, "amd64", null, "kube-apiserver", 100, "kubelet", 200),
                unit(2, Role.WORKER, "amd64", null, "kubelet", 200),
                unit(3, Role.WORKER, "arm64", null, "kubelet", 1200),
                unit(4, Role.WORKER, "arm64", null, "kubelet", 1200));
        Offers offers = new Offers(PROXY, Map.of(), CheckRound.NONE);
        List<String> managed = List.of("kube-apiserver", "kubelet");
        List<String> round1 = offers.toAsk(reports, managed, 1, Optional.of(u(0)), T, Optional.empty());
        assertThat(round1).hasSize(2);
        assertThat(round1).doesNotContain(u(0));
        assertThat(round1.stream().filter(n -> n.equals(u(1)))).hasSize(1); // the one other unit with kube-apiserver
        assertThat(round1).containsAnyOf(u(3), u(4));
        // The next round turns the order: a unit that could not answer is not always the one asked.
        assertThat(offers.toAsk(reports, managed, 2, Optional.of(u(0)), T, Optional.empty())).containsAnyOf(u(3), u(4))
                .isNotEqualTo(round1);
        // A leader that has just looked itself is not asked about what it saw.
        UnitReport lookedNow = unit(0, Role.CONTROL_PLANE, "amd64", StoreView.news(T, 0, PROXY,
                Map.of(new SnapChannel("kube-apiserver", CH), 101, KUBELET, 201)), "kube-apiserver", 100,
                "kubelet", 200);
        List<UnitReport> withLeaderLooked = List.of(lookedNow, reports.get(1), reports.get(2), reports.get(3),
                reports.get(4));
        assertThat(offers.toAsk(withLeaderLooked, managed, 1, Optional.of(u(0)), T, Optional.empty())).hasSize(1)
                .containsAnyOf(u(3), u(4));
        // Asked about one architecture only: only its units.
        assertThat(offers.toAsk(reports, managed, 1, Optional.of(u(0)), T, Optional.of(Set.of("arm64"))))
                .hasSize(1).containsAnyOf(u(3), u(4));
    }

    @Test
    void aUnitThatDidNotAnswerTheLastRoundIsAskedAgainOnlyForWhatNobodyElseCovers() {
        // u(1) covers the most (a control-plane unit: both snaps) but its machine is down: it never answered round
        // 3. Asked first again, it would be the only one asked, round after round, and no plan ever made (seed
        // 108523). The worker and the leader cover what it covers between them.
        List<UnitReport> reports = List.of(
                unit(0, Role.CONTROL_PLANE, "amd64", null, "kube-apiserver", 100, "kubelet", 200),
                unit(1, Role.CONTROL_PLANE, "amd64", null, "kube-apiserver", 100, "kubelet", 200),
                unit(2, Role.WORKER, "amd64", null, "kubelet", 200));
        List<String> managed = List.of("kube-apiserver", "kubelet");
        Offers silent = new Offers(PROXY, Map.of(), new CheckRound(3, T, List.of(u(1))));
        for (long round = 4; round <= 6; round++) {
            assertThat(silent.toAsk(reports, managed, round, Optional.of(u(0)), T.plusSeconds(600), Optional.empty()))
                    .as("round " + round).containsExactly(u(2), u(0));
        }
        // Once nobody else covers it (here kube-apiserver), it is asked again, after the leader.
        List<UnitReport> alone = List.of(reports.get(1), reports.get(2));
        assertThat(silent.toAsk(alone, managed, 4, Optional.of(u(2)), T.plusSeconds(600), Optional.empty()))
                .containsExactly(u(2), u(1));
    }

    @Test
    void aUnitWhoseLastAnswerSaidItCouldNotLookIsAskedAgainOnlyForWhatNobodyElseCovers() {
        // Seed 212241: with proxy-url empty, u(3), the one control-plane unit of arm64, is left registered with the
        // proxy (its registering hook was killed before its commit) and answers every round that it cannot look.
        // Covering most, it was the only unit of arm64 asked, every 10 minutes, and the leader, an arm64 worker
        // that could look, never was: nothing told what the store serves arm64 and the worker stayed where it was.
        StoreView couldNot = StoreView.unavailable(T, 5, "", "proxy.store is snap-proxy-store while proxy-url is "
                + "empty: snapd asks that proxy, not the store (unset proxy.store, or set proxy-url to that proxy)");
        List<UnitReport> reports = List.of(
                unit(1, Role.WORKER, "arm64", StoreView.answer(T.minusSeconds(600), 3, PROXY,
                        Map.of(KUBELET, 4154)), "kubelet", 4154),
                unit(2, Role.WORKER, "amd64", StoreView.answer(T, 5, "", Map.of(KUBELET, 3174)), "kubelet", 3154),
                unit(3, Role.CONTROL_PLANE, "arm64", couldNot, "kube-apiserver", 4100, "kubelet", 4154));
        List<String> managed = List.of("kube-apiserver", "kubelet");
        Offers answered = new Offers("", Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3174, T, u(2)))),
                new CheckRound(5, T, List.of(u(3))));
        for (long round = 6; round <= 8; round++) {
            assertThat(answered.toAsk(reports, managed, round, Optional.of(u(1)), T.plusSeconds(600),
                    Optional.of(Set.of("arm64")))).as("round " + round).containsExactly(u(1), u(3));
        }
        // A unit that could not look through another proxy-url (before it changed) is asked as any other.
        Offers otherProxy = new Offers(PROXY, Map.of(), new CheckRound(5, T, List.of(u(3))));
        assertThat(otherProxy.toAsk(reports, managed, 6, Optional.of(u(1)), T.plusSeconds(600),
                Optional.of(Set.of("arm64")))).containsExactly(u(3));
    }

    @Test
    void aUnitWhoseLastAnswerLeftOutWhatItTracksIsAskedAboutItOnlyWhenNobodyElseTracksIt() {
        // Seed 468610: u(1), a control-plane unit, reverted kubectl (snapd hides the revision it went back from, so
        // its look leaves kubectl out). Tracking every snap, it was the only unit asked, every 10 minutes, and it
        // answered without kubectl each time; the workers that run kubectl on the same channel never were, nothing
        // told what the proxy serves kubectl, and u(1) stayed on the revision it went back to.
        SnapChannel apiserver = new SnapChannel("kube-apiserver", CH);
        StoreView withoutKubectl = StoreView.answer(T, 4, PROXY, Map.of(apiserver, 3150));
        UnitReport blind = unit(1, Role.CONTROL_PLANE, "amd64", withoutKubectl, "kube-apiserver", 3150,
                "kubectl", 3105);
        List<UnitReport> reports = List.of(
                unit(0, Role.CONTROL_PLANE, "amd64", null, "kube-apiserver", 3150, "kubectl", 3155),
                blind,
                unit(2, Role.WORKER, "amd64", null, "kubectl", 3155));
        List<String> managed = List.of("kube-apiserver", "kubectl");
        Offers offers = new Offers(PROXY, Map.of("amd64", Map.of(apiserver, new Offers.Offer(3150, T, u(1)))),
                new CheckRound(4, T, List.of(u(1))));
        for (long round = 5; round <= 7; round++) {
            assertThat(offers.toAsk(reports, managed, round, Optional.of(u(0)), T.plusSeconds(600),
                    Optional.of(Set.of("amd64")))).as("round " + round).contains(u(2)).doesNotContain(u(0));
        }
        // A view through another proxy-url says nothing of what this one hides: such a unit is asked as any other.
        UnitReport otherProxy = unit(1, Role.CONTROL_PLANE, "amd64", StoreView.answer(T, 4, "",
                Map.of(apiserver, 3150)), "kube-apiserver", 3150, "kubectl", 3105);
        assertThat(offers.toAsk(List.of(reports.get(0), otherProxy, reports.get(2)), managed, 5, Optional.of(u(0)),
                T.plusSeconds(600), Optional.of(Set.of("amd64")))).containsExactly(u(1));
        // With nobody else tracking it, the unit is asked again: its change may be over, its revert undone by hand.
        UnitReport onlyKubectl = unit(1, Role.CONTROL_PLANE, "amd64", StoreView.answer(T, 4, PROXY, Map.of()),
                "kubectl", 3105);
        assertThat(offers.toAsk(List.of(onlyKubectl), managed, 5, Optional.of(u(9)), T.plusSeconds(600),
                Optional.of(Set.of("amd64")))).containsExactly(u(1));
    }

    @Test
    void offersAreEqualByValueAsThePlannerComparesThemAndDifferInEachPart() {
        CheckRound round = new CheckRound(3, T, List.of(u(1)));
        Offers offers = new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, T, u(1)))), round);
        Offers same = new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, T, u(1)))),
                new CheckRound(3, T, List.of(u(1))));
        assertThat(same).isEqualTo(offers).hasSameHashCodeAs(offers);
        assertThat(new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3155, T, u(1)))), round))
                .isNotEqualTo(offers);
        assertThat(new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, T, u(2)))), round))
                .isNotEqualTo(offers);
        assertThat(new Offers(PROXY, Map.of("amd64", Map.of(KUBELET, new Offers.Offer(3154, T.plusSeconds(1),
                u(1)))), round)).isNotEqualTo(offers);
        assertThat(new Offers(PROXY, offers.byArch(), new CheckRound(4, T, List.of(u(1))))).isNotEqualTo(offers);
        assertThat(new Offers(PROXY, offers.byArch(), new CheckRound(3, T, List.of(u(2))))).isNotEqualTo(offers);
        assertThat(new Offers("", offers.byArch(), round)).isNotEqualTo(offers);
    }
}
