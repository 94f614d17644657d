package io.snapcoherence.coherence;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the leader accepted as the revision the proxy (the store, without proxy-url) serves each architecture for
 * each (snap, channel) units track: the newest view any unit reported for it, with when it looked and who it was
 * (app databag {@code offers}); and the leader's last check round (app databag {@code check}). Plans are made from
 * these and nothing else: the leader asks no store itself, so a leader that is not registered with the proxy plans
 * from what registered units saw.
 *
 * <p>{@code proxy} is the proxy-url every entry was seen through ("" without one). Views through another proxy are
 * never merged, and entries of another proxy are dropped when proxy-url changes: what a former proxy served says
 * nothing of this one.
 */
public record Offers(String proxy, Map<String, Map<SnapChannel, Offer>> byArch, CheckRound check) {

    /**
     * The most entries held, over every architecture: the app databag is copied to every unit, and its values are
     * held below Juju's 64 KiB. 32 snaps on two channels at once on two architectures fit.
     */
    public static final int MAX_ENTRIES = 128;

    /** One accepted view of one (snap, channel) on one architecture. */
    public record Offer(int revision, Instant at, String unit) {

        // Written out, not generated: see UnitReport.
        @Override
        public boolean equals(Object o) {
            return o instanceof Offer other && revision == other.revision
                    && java.util.Objects.equals(at, other.at) && java.util.Objects.equals(unit, other.unit);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(revision, at, unit);
        }
    }

    public static final Offers NONE = new Offers("", Map.of(), CheckRound.NONE);

    public Offers {
        Map<String, Map<SnapChannel, Offer>> copy = new TreeMap<>();
        byArch.forEach((arch, offers) -> {
            if (!offers.isEmpty()) {
                copy.put(arch, java.util.Collections.unmodifiableMap(new TreeMap<>(offers)));
            }
        });
        byArch = java.util.Collections.unmodifiableMap(copy);
    }

    // Written out, not generated: see UnitReport; a steady leader's hook compares offers (Planner.prunes).
    @Override
    public boolean equals(Object o) {
        return o instanceof Offers other && java.util.Objects.equals(proxy, other.proxy)
                && java.util.Objects.equals(byArch, other.byArch) && java.util.Objects.equals(check, other.check);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(proxy, byArch, check);
    }

    public Optional<Offer> offer(String arch, SnapChannel snapChannel) {
        return Optional.ofNullable(byArch.getOrDefault(arch, Map.of()).get(snapChannel));
    }

    public Optional<Integer> revision(String arch, String snap, String channel) {
        return offer(arch, new SnapChannel(snap, channel)).map(Offer::revision);
    }

    public int size() {
        return byArch.values().stream().mapToInt(Map::size).sum();
    }

    public Offers withCheck(CheckRound round) {
        return new Offers(proxy, byArch, round);
    }

    /** These offers as the leader configured with {@code proxyUrl} may use them: none when seen through another. */
    public Offers forProxy(String proxyUrl) {
        return proxy.equals(proxyUrl) ? this : new Offers(proxyUrl, Map.of(), check);
    }

    /**
     * The offers once merged with the views of {@code reports}: each (architecture, snap, channel) takes the newest
     * usable view seen through this proxy (of views seen at the same time, the last in unit order: whatever the
     * order of the hooks, every leader decides alike). A time ahead of the leader's clock counts as now, so a unit
     * whose clock runs ahead cannot keep its view in place for longer than it takes another unit to look again; an
     * answer to the current round counts from the round's time at the earliest, as the unit looked after it.
     * {@code changedBy} names the units whose view changed a revision (not merely the time it was seen); entries
     * beyond {@link #MAX_ENTRIES} are not taken, and {@code refused} counts them.
     */
    public Merged merge(Collection<UnitReport> reports, Instant now) {
        Map<String, Map<SnapChannel, Offer>> merged = new TreeMap<>();
        byArch.forEach((arch, offers) -> merged.put(arch, new TreeMap<>(offers)));
        int entries = size();
        Set<String> changedBy = new TreeSet<>(Units.ORDER);
        int refused = 0;
        List<UnitReport> ordered = new ArrayList<>(reports);
        ordered.sort(Units.BY_UNIT);
        for (UnitReport report : ordered) {
            Optional<StoreView> look = usableLook(report);
            if (report.arch().equals(UnitReport.UNKNOWN_ARCH) || look.isEmpty()) {
                continue;
            }
            StoreView view = look.get();
            Instant at = view.at().isAfter(now) ? now : view.at();
            if (view.answer() && view.round() == check.round() && at.isBefore(check.at())) {
                at = check.at(); // it looked after it read the round: later than the leader asked, whatever its clock
            }
            Map<SnapChannel, Offer> ofArch = merged.computeIfAbsent(report.arch(), a -> new TreeMap<>());
            for (Map.Entry<SnapChannel, Integer> seen : view.serves().entrySet()) {
                InstalledRevision runs = report.installed().get(seen.getKey().snap());
                if (runs == null || !runs.channel().equals(seen.getKey().channel())) {
                    // A view is taken for what its unit runs; one that unit no longer runs there (a snap dropped
                    // from the managed ones, a channel changed) is left out: pruned again after every merge, it
                    // would come back as news in every hook and start a check round each time.
                    continue;
                }
                Offer before = ofArch.get(seen.getKey());
                if (before == null && check.round() > 0 && at.isBefore(check.at())) {
                    // Nothing held, and seen before the last round: a view kept in a databag since (views are
                    // written only as answers or news) may be older than a change of the proxy that the views
                    // which told it have dropped since (their snap no longer managed). Taken, a kubectl put back
                    // in snaps was planned back to a revision the proxy had stopped serving (seed 262783). What
                    // the leader holds nothing for comes from a look since its last round: it asks.
                    continue;
                }
                if (before != null && (before.at().isAfter(at)
                        || before.at().equals(at) && before.revision() == seen.getValue())) {
                    continue; // older than what is held, or the same seen at the same time
                }
                if (before == null && entries >= MAX_ENTRIES) {
                    refused++;
                    continue;
                }
                if (before == null) {
                    entries++;
                }
                if (before == null || before.revision() != seen.getValue()) {
                    changedBy.add(report.unit());
                }
                ofArch.put(seen.getKey(), new Offer(seen.getValue(), at, report.unit()));
            }
        }
        return new Merged(new Offers(proxy, new TreeMap<>(merged), check), changedBy, refused);
    }

    /** Offers after a merge, the units whose view changed a revision, and how many new entries did not fit. */
    public record Merged(Offers offers, Set<String> changedBy, int refused) {
        public Merged {
            changedBy = Set.copyOf(changedBy);
        }
    }

    /**
     * Without the entries no unit in view tracks any more (a channel moved on, an architecture gone): what a proxy
     * served for a channel nobody runs says nothing of the next. Only over a view of every unit: a leader that has
     * not read some unit could drop what that unit runs (harmless, it is reported again, but a write for nothing).
     */
    public Offers prunedTo(Census census) {
        Map<String, Map<SnapChannel, Offer>> kept = new TreeMap<>();
        Map<String, Set<SnapChannel>> tracked = tracked(census.reports());
        byArch.forEach((arch, offers) -> {
            Set<SnapChannel> wanted = tracked.getOrDefault(arch, Set.of());
            Map<SnapChannel, Offer> still = new TreeMap<>();
            offers.forEach((sc, offer) -> {
                if (wanted.contains(sc)) {
                    still.put(sc, offer);
                }
            });
            kept.put(arch, still);
        });
        return new Offers(proxy, kept, check);
    }

    /** Per architecture, the (snap, channel)s the reports' units of that architecture have installed. */
    static Map<String, Set<SnapChannel>> tracked(Collection<UnitReport> reports) {
        Map<String, Set<SnapChannel>> tracked = new TreeMap<>();
        for (UnitReport report : reports) {
            if (report.arch().equals(UnitReport.UNKNOWN_ARCH)) {
                continue;
            }
            Set<SnapChannel> pairs = tracked.computeIfAbsent(report.arch(), a -> new TreeSet<>());
            report.installed().forEach((snap, have) -> pairs.add(new SnapChannel(snap, have.channel())));
        }
        return tracked;
    }

    /**
     * Per architecture, the managed (snap, channel)s some unit of it tracks and no entry holds: nothing is planned
     * for them until a usable view covers them.
     */
    public Map<String, Set<SnapChannel>> uncovered(Collection<UnitReport> reports, Collection<String> managed) {
        Map<String, Set<SnapChannel>> uncovered = new TreeMap<>();
        tracked(reports).forEach((arch, pairs) -> pairs.stream()
                .filter(sc -> managed.contains(sc.snap()) && offer(arch, sc).isEmpty())
                .forEach(sc -> uncovered.computeIfAbsent(arch, a -> new TreeSet<>()).add(sc)));
        return uncovered;
    }

    /**
     * Whom a check round asks: for each architecture ({@code onlyArchs}, when given: those), units until every
     * managed (snap, channel) its units track is covered, each time the unit that covers most of what is left, the
     * leader only for what no other unit covers (it answers only in a later hook of its own: its own write does not
     * wake it), a unit that has not answered the last round, or whose last answer said it could not look, only for
     * what no other unit nor the leader covers, and each unit for what its last look through this proxy left out
     * only when no unit that could see it tracks it. On a tie: a unit whose last view was usable through this proxy
     * (it was registered), then in unit
     * order turned by the round number (a unit that could not answer is not the first asked again). What the
     * leader has looked at in this very hook needs no asking.
     */
    public List<String> toAsk(Collection<UnitReport> reports, Collection<String> managed, long round,
                              Optional<String> leader, Instant now, Optional<Set<String>> onlyArchs) {
        Map<String, List<UnitReport>> byArchReports = new TreeMap<>();
        for (UnitReport report : reports) {
            if (!report.arch().equals(UnitReport.UNKNOWN_ARCH)
                    && onlyArchs.map(archs -> archs.contains(report.arch())).orElse(true)) {
                byArchReports.computeIfAbsent(report.arch(), a -> new ArrayList<>()).add(report);
            }
        }
        Set<String> asked = new LinkedHashSet<>();
        for (List<UnitReport> ofArch : byArchReports.values()) {
            List<UnitReport> candidates = new ArrayList<>(ofArch);
            candidates.sort(Units.BY_UNIT);
            if (!candidates.isEmpty()) {
                java.util.Collections.rotate(candidates, (int) -(round % candidates.size()));
            }
            candidates.sort((a, b) -> {
                int byRank = Integer.compare(rank(a, leader), rank(b, leader));
                return byRank != 0 ? byRank : Boolean.compare(usableLook(a).isEmpty(), usableLook(b).isEmpty());
            });
            Set<SnapChannel> left = new TreeSet<>();
            ofArch.forEach(r -> r.installed().forEach((snap, have) -> {
                if (managed.contains(snap)) {
                    left.add(new SnapChannel(snap, have.channel()));
                }
            }));
            // The leader's own view taken in this very hook is as fresh as an answer: it is not asked.
            for (UnitReport r : ofArch) {
                if (leader.equals(Optional.of(r.unit()))) {
                    usableLook(r).filter(v -> !v.at().isBefore(now))
                            .ifPresent(v -> left.removeAll(v.serves().keySet()));
                }
            }
            // Greedy cover: the unit that covers most of what is left, the first in that order on a tie; the leader
            // only for what no other unit covers, a unit that did not answer the last round only for what neither
            // another unit nor the leader covers. First only for what each unit can see: what its last look through
            // this proxy left out (a snap it reverted, snapd hiding the revision it went back from; one with a change
            // in progress) it would leave out again, so it is asked about that only when no unit that can see it
            // tracks it (seed 468610: the reverted control-plane unit, covering most, was the only unit asked).
            cover(candidates, left, asked, leader, true);
            // what the units already asked track is asked of them, seen or not
            ofArch.stream().filter(r -> asked.contains(r.unit()))
                    .forEach(r -> left.removeAll(covered(r, left, false)));
            cover(candidates, left, asked, leader, false);
        }
        return List.copyOf(asked);
    }

    /**
     * Adds to {@code asked} units from {@code candidates} (in order of preference) until nothing of {@code left} is
     * covered that a candidate could answer for, each time the one covering most; with {@code sightedOnly} a unit
     * covers only what its last look through this proxy did not leave out.
     */
    private void cover(List<UnitReport> candidates, Set<SnapChannel> left, Set<String> asked,
                       Optional<String> leader, boolean sightedOnly) {
        while (!left.isEmpty() && asked.size() < CheckRound.MAX_ASKED) {
            UnitReport best = null;
            long most = 0;
            for (UnitReport candidate : candidates) {
                if (best != null && rank(candidate, leader) > rank(best, leader)) {
                    continue;
                }
                long covers = covered(candidate, left, sightedOnly).size();
                if (covers > most) {
                    best = candidate;
                    most = covers;
                }
            }
            if (best == null) {
                return;
            }
            asked.add(best.unit());
            left.removeAll(covered(best, left, sightedOnly));
        }
    }

    /** What of {@code left} the unit tracks, and with {@code sightedOnly}, can see. */
    private Set<SnapChannel> covered(UnitReport report, Set<SnapChannel> left, boolean sightedOnly) {
        Optional<StoreView> look = usableLook(report);
        Set<SnapChannel> covered = new TreeSet<>();
        report.installed().forEach((snap, have) -> {
            SnapChannel pair = new SnapChannel(snap, have.channel());
            if (left.contains(pair) && (!sightedOnly || look.map(v -> v.serves().containsKey(pair)).orElse(true))) {
                covered.add(pair);
            }
        });
        return covered;
    }

    /**
     * The report's last look when it is usable and through this proxy: only such a look says what the proxy serves
     * (a unit without one is asked after the others).
     */
    private Optional<StoreView> usableLook(UnitReport report) {
        return report.view().filter(v -> v.usable() && v.proxy().equals(proxy));
    }

    /**
     * Who is asked first: other units (0), the leader (1: it answers only in a later hook of its own), a unit asked
     * in the last round that has not answered it (2: its machine may be down, and, covering most, it would be the
     * only one asked again and again while no plan is made; seed 108523), and likewise a unit whose last answer
     * through this proxy-url said it could not look (2: a control-plane unit left registered with a proxy while
     * proxy-url is empty answers so every round, and, covering most, was the only one of its architecture asked,
     * every 10 minutes, while the workers of that architecture, the leader among them, could look; seed 212241).
     */
    private int rank(UnitReport report, Optional<String> leader) {
        if (check.round() > 0 && check.asked().contains(report.unit()) && !check.answeredBy(report)) {
            return 2;
        }
        if (report.view().filter(v -> !v.usable() && v.proxy().equals(proxy)).isPresent()) {
            return 2;
        }
        return leader.equals(Optional.of(report.unit())) ? 1 : 0;
    }
}
