package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.CheckRound;
import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.Offers;
import io.snapcoherence.coherence.SnapChannel;
import io.snapcoherence.coherence.StoreView;
import io.snapcoherence.juju.Event;
import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.Snaps;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * This unit's look at what a refresh of its managed snaps would get now, from the store its snapd uses
 * ({@code GET /v2/find?select=refresh}, what {@code snap refresh --list} shows: the store is asked exactly what a
 * refresh of this machine's installed snaps would get, for its architecture; a held snap is still listed), and what
 * the unit reports of it.
 *
 * <p>Only a usable view is ever reported: the node registered with the proxy of proxy-url (or, without one, any
 * node). It looks on every update-status (Juju runs it every 1 to 60 minutes, 5 by default, each unit on a timer of
 * its own, +/-20%: environs/config, worker/uniter/timer.go), on install, start, config-changed and upgrade-charm at
 * most once a {@link #EVERY} (a burst of those must not become a burst of store requests), and once per round when
 * the leader asks it ({@link CheckRound}). It reports what it saw when
 * asked (whether or not it differs; that it could not look, when it could not, and then what it sees as soon as it
 * can), and otherwise only when it differs from what the leader holds for a (snap, channel) of its architecture:
 * at once if the leader holds its view of what changed (or its last round asked it), else when it sees the same a
 * second time. So a change of the proxy is told by one or two units, and the leader asks a few more to cover the
 * rest, not every unit that looks before the leader has read the first report (each write costs every other unit
 * a hook). A store error is no view now, said in the unit's status; never a hook error.
 */
final class StoreCheck {
    /**
     * The least time between two looks of one unit but on update-status (whose interval Juju keeps), unless the
     * leader asks; counted from the last look that was not on update-status, or that saw something new.
     */
    static final Duration EVERY = Duration.ofMinutes(1);
    private static final Set<Event.LifecycleKind> LOOK_ON = Set.of(Event.LifecycleKind.INSTALL,
            Event.LifecycleKind.START, Event.LifecycleKind.CONFIG_CHANGED, Event.LifecycleKind.UPGRADE_CHARM,
            Event.LifecycleKind.UPDATE_STATUS);

    private final UnitStore store;
    private final Snaps snaps;
    private final Clock clock;

    StoreCheck(UnitStore store, Snaps snaps, Clock clock) {
        this.store = store;
        this.snaps = snaps;
        this.clock = clock;
    }

    /** The view this unit reports after this hook, and why it has none now, for its status. */
    record Outcome(Optional<StoreView> report, Optional<String> trouble) {
    }

    /**
     * Looks when due and decides what to report. {@code refreshAsked}: this is the leader running the refresh
     * action, which looks now and reports what it saw. {@code last}: the view this unit reported before;
     * {@code offers}: what the leader holds, as usable with this unit's proxy-url; {@code machine}: the managed snaps
     * as listed; {@code usable}: registered with the proxy (or none configured); {@code registeredStore}: the store
     * id proxy.store must still name after the look (empty without a proxy).
     */
    Outcome run(Event event, boolean refreshAsked, String unit, String arch, String proxy, boolean usable,
                Optional<String> registeredStore, MachineReading machine, List<String> managed,
                Optional<StoreView> last, Offers offers) {
        Memory memory = store.get(Memory.KEY).orElse(Memory.NONE);
        Instant now = clock.instant();
        CheckRound round = offers.check();
        boolean inRound = round.asked().contains(unit);
        // Asked in this round and not answered yet: looks now. Answered that it could not look: looks again when
        // it may, and answers once it can (the leader plans nothing for what only it covers until then).
        boolean asked = inRound && last.map(v -> v.round() < round.round()).orElse(true);
        boolean owes = inRound && last.filter(v -> v.round() == round.round() && v.answer() && !v.usable())
                .isPresent();
        boolean mayLook = memory.at().map(at -> !now.isBefore(at.plus(EVERY)) || at.isAfter(now)).orElse(true);
        // The leader running the refresh action looks at once: it is asked to check the proxy now.
        boolean updateStatus = event.lifecycle().equals(Optional.of(Event.LifecycleKind.UPDATE_STATUS));
        boolean lookNow = refreshAsked || updateStatus
                || mayLook && (owes || event.lifecycle().filter(LOOK_ON::contains).isPresent());
        if (!asked && !lookNow) {
            return new Outcome(last, memory.error());
        }
        if (!usable) {
            String why = "not registered with the proxy " + proxy;
            return new Outcome(asked ? Optional.of(StoreView.unavailable(now, round.round(), proxy, why)) : last,
                    Optional.empty());
        }
        Map<SnapChannel, Integer> serves;
        try {
            Look look = look(machine, managed, proxy.isEmpty() ? Optional.of("") : registeredStore);
            // snapd's sequence is read only when the view may be written (an answer, news): a steady look costs
            // no request more.
            boolean mayWrite = asked || owes || refreshAsked
                    || !differing(look.serves(), arch, proxy, last, offers).isEmpty();
            serves = !look.unlisted().isEmpty() && mayWrite ? withoutHidden(look) : look.serves();
        } catch (LookFailed e) {
            String why = e.getMessage();
            String trouble = "cannot check what " + (proxy.isEmpty() ? "the store" : "the proxy") + " serves: " + why;
            new Memory(Optional.of(now), Optional.of(trouble), Map.of()).rememberOver(memory, updateStatus, store);
            return asked ? new Outcome(Optional.of(StoreView.unavailable(now, round.round(), proxy, why)),
                    Optional.of(trouble)) : new Outcome(last, Optional.of(trouble));
        }
        new Memory(Optional.of(now), Optional.empty(), serves).rememberOver(memory, updateStatus, store);
        if (asked || owes) {
            return new Outcome(Optional.of(StoreView.answer(now, round.round(), proxy, serves)), Optional.empty());
        }
        // News is told at once by the unit whose view the leader holds for a (snap, channel) that changed, or one
        // the last round asked; by the others only when they see it a second time and the leader still holds
        // otherwise: by then one of those has told it, unless none could. So a change of the proxy costs a few
        // writes, not one for every unit that looks before the leader has read the first report.
        Set<SnapChannel> differing = differing(serves, arch, proxy, last, offers);
        boolean watches = inRound || differing.stream()
                .anyMatch(sc -> offers.offer(arch, sc).map(o -> o.unit().equals(unit)).orElse(false));
        boolean tell = refreshAsked || !differing.isEmpty() && (watches
                || differing.stream().anyMatch(sc -> serves.get(sc).equals(memory.seen().get(sc))));
        return new Outcome(tell ? Optional.of(StoreView.news(now, last.map(StoreView::round).orElse(0L), proxy,
                serves)) : last, Optional.empty());
    }

    /**
     * What a refresh of each managed snap would get: the candidate's revision when snapd lists the snap, else the
     * installed one. Left out: a snap with a change in progress (snapd compares with a revision it may still undo)
     * and one this charm reverted (snapd hides the reverted-from revision, {@link Reverted}); one snapd's sequence
     * shows reverted is taken out later ({@link #withoutHidden}), where the view may be written. With a proxy,
     * proxy.store must name its store before and after the look: Juju's machine agent may have cleared it
     * meanwhile, and then snapd asked upstream. Without a proxy ({@code expectedStore} empty text) proxy.store must
     * be unset after the look (one local read; a value cleared during the look gives at most one stray view, which
     * the next look corrects): a node left registered with a proxy (the model's snap-store-proxy, or an
     * operator's, which this charm did not set and therefore leaves) sees that proxy's
     * revisions, not the store's; counted as a view, it and the other nodes' views told each other as news without
     * end, a check round each time (seed 108521).
     */
    private Look look(MachineReading machine, List<String> managed, Optional<String> expectedStore) {
        List<RefreshCandidate> candidates;
        try {
            candidates = snaps.refreshCandidates();
            if (expectedStore.equals(Optional.of(""))) {
                registeredWithNoProxy();
            } else if (expectedStore.isPresent()) {
                Optional<String> after = snaps.getSystem(ProxyRegistration.PROXY_STORE).map(String::strip);
                if (!after.equals(expectedStore)) {
                    throw new LookFailed("proxy.store changed while snapd asked the store (now "
                            + after.filter(v -> !v.isEmpty()).orElse("unset") + ")");
                }
            }
        } catch (SnapException e) {
            throw new LookFailed(e.error().describe());
        }
        Map<String, Integer> byName = new TreeMap<>();
        candidates.forEach(c -> byName.putIfAbsent(c.name(), c.revision()));
        Map<String, InstalledRevision> listed = machine.listedManaged(managed);
        Map<String, Integer> revisions = new TreeMap<>();
        listed.forEach((snap, have) -> revisions.put(snap, have.revision()));
        Set<String> changing = new TreeSet<>();
        listed.keySet().stream().filter(snap -> machine.inProgress(snap).isPresent()).forEach(changing::add);
        Map<String, Integer> reverted = Reverted.stillOn(store, revisions, changing);
        Map<SnapChannel, Integer> serves = new TreeMap<>();
        Set<SnapChannel> unlisted = new TreeSet<>();
        listed.forEach((snap, have) -> {
            if (machine.inProgress(snap).isEmpty() && !reverted.containsKey(snap)) {
                SnapChannel key = new SnapChannel(snap, have.channel());
                serves.put(key, byName.getOrDefault(snap, have.revision()));
                if (!byName.containsKey(snap)) {
                    unlisted.add(key);
                }
            }
        });
        return new Look(serves, unlisted);
    }

    /** What a look saw, and which of it is the installed revision because snapd listed no candidate. */
    private record Look(Map<SnapChannel, Integer> serves, Set<SnapChannel> unlisted) {
    }

    /**
     * The view without the snaps reverted by anyone (this charm in a hook killed before its commit, which so
     * forgot it; an operator): their sequence holds revisions after the current one, which snapd hides from its
     * candidates, so with none listed the store may serve the installed revision or a hidden one (seeds 169936,
     * 165826).
     */
    private Map<SnapChannel, Integer> withoutHidden(Look look) {
        Map<String, List<Integer>> later;
        try {
            later = snaps.laterRevisions();
        } catch (SnapException e) {
            throw new LookFailed(e.error().describe());
        }
        Map<SnapChannel, Integer> serves = new TreeMap<>(look.serves());
        look.unlisted().stream().filter(sc -> !later.getOrDefault(sc.snap(), List.of()).isEmpty())
                .forEach(serves::remove);
        return serves;
    }

    /**
     * What this view tells the leader that it holds otherwise: each (snap, channel) of this architecture whose held
     * revision differs, unless this unit already reported that and the leader's entry is older than its report (the
     * leader has not read it yet). A (snap, channel) the leader holds nothing for is not reported unasked: the
     * leader asks a few units about it.
     */
    static Set<SnapChannel> differing(Map<SnapChannel, Integer> serves, String arch, String proxy,
                                      Optional<StoreView> last, Offers offers) {
        Set<SnapChannel> differing = new TreeSet<>();
        if (!offers.proxy().equals(proxy)) {
            return differing;
        }
        for (Map.Entry<SnapChannel, Integer> seen : serves.entrySet()) {
            Optional<Offers.Offer> held = offers.offer(arch, seen.getKey());
            if (held.isEmpty() || held.get().revision() == seen.getValue()) {
                continue;
            }
            boolean told = last.filter(v -> v.usable() && v.proxy().equals(proxy)
                    && seen.getValue().equals(v.serves().get(seen.getKey()))
                    && held.get().at().isBefore(v.at())).isPresent();
            if (!told) {
                differing.add(seen.getKey());
            }
        }
        return differing;
    }

    /** With proxy-url empty: a node whose proxy.store names a store asks that proxy, and its view is none. */
    private void registeredWithNoProxy() {
        Optional<String> proxyStore = snaps.getSystem(ProxyRegistration.PROXY_STORE).map(String::strip)
                .filter(v -> !v.isEmpty());
        if (proxyStore.isPresent()) {
            throw new LookFailed("proxy.store is " + proxyStore.get() + " while proxy-url is empty: snapd asks that"
                    + " proxy, not the store (unset proxy.store, or set proxy-url to that proxy)");
        }
    }

    /** A look that gave no usable view, and why. */
    private static final class LookFailed extends RuntimeException {
        LookFailed(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * When this unit last looked, why that look failed, if it did, and what it saw (unit store {@code store-check});
     * when unreadable, as if it never looked (it looks again: harmless).
     */
    record Memory(Optional<Instant> at, Optional<String> error, Map<SnapChannel, Integer> seen) {
        static final UnitStore.Key<Memory> KEY = new UnitStore.Key<>("store-check", Memory::decode, Memory::encode);
        static final Memory NONE = new Memory(Optional.empty(), Optional.empty(), Map.of());

        private static Memory decode(String text) {
            Map<String, Object> fields = Json.objectMap(text);
            Map<SnapChannel, Integer> seen = new TreeMap<>();
            if (fields.get("seen") instanceof Map<?, ?> map) {
                map.forEach((key, revision) -> {
                    String[] parts = ((String) key).split(" ", 2);
                    seen.put(new SnapChannel(parts[0], parts[1]), ((Number) revision).intValue());
                });
            }
            return new Memory(Optional.ofNullable((String) fields.get("at")).map(Instant::parse),
                    Optional.ofNullable((String) fields.get("error")).filter(e -> !e.isEmpty()), seen);
        }

        /**
         * Writes this memory over {@code before}: always after a look the once-a-minute limit counts from, on
         * update-status only when what was seen or why it failed changed (a steady update-status writes nothing).
         */
        void rememberOver(Memory before, boolean updateStatus, UnitStore store) {
            if (!updateStatus || !error.equals(before.error()) || !seen.equals(before.seen())) {
                store.put(KEY, this);
            }
        }

        private static String encode(Memory memory) {
            Map<String, Object> fields = new LinkedHashMap<>();
            memory.at.ifPresent(t -> fields.put("at", t.toString()));
            memory.error.ifPresent(e -> fields.put("error", e.length() > 400 ? e.substring(0, 397) + "..." : e));
            if (!memory.seen.isEmpty()) {
                Map<String, Object> saw = new LinkedHashMap<>();
                memory.seen.forEach((sc, revision) -> saw.put(sc.toString(), revision));
                fields.put("seen", saw);
            }
            return Json.write(fields);
        }
    }
}
