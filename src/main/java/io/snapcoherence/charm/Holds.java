package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.SystemInfo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Holds of the managed snaps from snapd's own refresh timer, so nothing refreshes outside a plan. The unit store
 * remembers what the charm holds and when it last asked snapd to; snapd is called when that set changes, or when
 * the hold is due for renewal, and a release frees only holds the charm set.
 *
 * <p>snapd ≥ 2.58 holds named snaps without limit ({@code POST /v2/snaps} action hold, time forever); the renewal
 * repeats that idempotent request once a month.
 *
 * <p>Before 2.58 there is only the system-wide {@code refresh.hold}, a point in time, and snapd never holds
 * beyond its last auto-refresh plus 95 days: the effective hold is the earlier of the two
 * (overlord/snapstate/autorefresh.go {@code EffectiveRefreshHold} and {@code maxPostponement}, 2.57.6), so setting
 * the value again does not extend it. When it lapses snapd clears the option, refreshes every snap it can and
 * counts its 95 days from then. The charm sets the value {@link #SYSTEM_HOLD} ahead, again once half of that has
 * passed or once the hold has lapsed, and says in the unit's status when the hold lapses. It releases with an
 * unset, never by setting an empty value, and only a value it set itself. A {@code refresh.hold} someone else set
 * and that still holds is left as it is: the operator's explicit choice wins over the charm's, restoring an old
 * value on release could revive a hold nobody wants any more, and the status says what holds and until when.
 */
final class Holds {
    static final UnitStore.Key<List<String>> HELD = new UnitStore.Key<>("held-snaps", Json::stringList, Json::write);
    static final UnitStore.Key<Instant> HELD_AT = new UnitStore.Key<>("held-at", Instant::parse, Instant::toString);
    /** The system-wide hold as the charm last saw it (snapd < 2.58): {set, lapses, operator}. */
    private static final UnitStore.Key<SystemHold> HELD_SYSTEM_WIDE = new UnitStore.Key<>("refresh-hold",
            Holds::decode, Holds::encode);
    static final String REFRESH_HOLD = "refresh.hold";
    /** How far ahead the charm sets refresh.hold (snapd < 2.58); snapd caps the effect anyway. */
    static final Duration SYSTEM_HOLD = Duration.ofDays(60);
    static final Duration RENEW_AFTER = SYSTEM_HOLD.dividedBy(2);
    /** snapd 2.57.6 overlord/snapstate/autorefresh.go: {@code maxPostponement = 95 * 24 * time.Hour}. */
    static final Duration MAX_POSTPONEMENT = Duration.ofDays(95);
    /**
     * After a lapse, snapd counts its 95 days again from its next auto-refresh (its timer runs a few times a day);
     * until then a hold set again is still capped in the past. Looked at again daily, not on every hook.
     */
    static final Duration LAPSED_RETRY = Duration.ofDays(1);

    private final HookTools tools;
    private final UnitStore store;
    private final Snaps snaps;
    private final Clock clock;

    /** What the charm knows of refresh.hold: the value it set, when snapd lets it lapse, a value it did not set. */
    private record SystemHold(String set, Optional<Instant> lapses, String operator) {
        static final SystemHold NONE = new SystemHold("", Optional.empty(), "");

        // Written out, not generated: a record's generated equals/hashCode bootstraps method handles on first use
        // (about 20 spun at run time, not in the class-data archive), and every hook compares the remembered hold
        // with NONE (docs/performance.md).
        @Override
        public boolean equals(Object o) {
            return o instanceof SystemHold other && Objects.equals(set, other.set)
                    && Objects.equals(lapses, other.lapses) && Objects.equals(operator, other.operator);
        }

        @Override
        public int hashCode() {
            return Objects.hash(set, lapses, operator);
        }
    }

    Holds(HookTools tools, UnitStore store, Snaps snaps, Clock clock) {
        this.tools = tools;
        this.store = store;
        this.snaps = snaps;
        this.clock = clock;
    }

    /**
     * Holds what should be held and releases the rest; {@code listed} is snapd's list of installed snaps this hook
     * read (its per-snap holds). Returns a note for the unit's status when the hold cannot
     * be relied on for long (snapd < 2.58).
     */
    Optional<String> apply(Set<String> wanted, List<InstalledSnap> listed) {
        Set<String> held = new TreeSet<>(store.get(HELD).orElse(List.of()));
        SystemHold system = store.get(HELD_SYSTEM_WIDE).orElse(SystemHold.NONE);
        Instant now = clock.instant();
        Set<String> target = new TreeSet<>(wanted);
        // Held per snap (2.58+: no system-wide hold remembered), yet snapd's listing shows a wanted snap without a
        // hold in force: a hook that released it was killed after snapd did and before its store write, which Juju
        // commits only when the hook exits 0. snapd is what holds; the store only remembers (seed 185957).
        boolean lost = system.equals(SystemHold.NONE) && listed.stream().anyMatch(snap -> target.contains(snap.name())
                && held.contains(snap.name()) && !snap.hold().map(now::isBefore).orElse(false));
        // Unknown hold time (unreadable, or held by an earlier version) or one in the future (the clock was set back):
        // renew now. A system-wide hold that has lapsed is set again.
        Optional<Instant> heldAt = store.get(HELD_AT);
        boolean renew = !target.isEmpty() && (lost || heldAt
                .map(at -> at.isAfter(now) || !now.isBefore(at.plus(RENEW_AFTER))).orElse(true)
                || system.lapses().map(lapse -> !now.isBefore(lapse) && heldAt.map(at -> at.isBefore(lapse)
                        || !now.isBefore(at.plus(LAPSED_RETRY))).orElse(true)).orElse(false));
        if (target.equals(held) && !renew) {
            return note(system, now);
        }
        SystemInfo info;
        SystemHold after;
        try {
            info = snaps.systemInfo();
            if (info.perSnapHolds()) {
                List<String> toRelease = held.stream().filter(s -> !target.contains(s)).toList();
                List<String> toHold = target.stream().filter(s -> renew || !held.contains(s)).toList();
                if (!toRelease.isEmpty()) {
                    snaps.unhold(toRelease);
                }
                if (!toHold.isEmpty()) {
                    snaps.hold(toHold);
                }
                releaseSystemHold(system); // set before snapd was upgraded to 2.58
                after = SystemHold.NONE;
            } else {
                after = holdSystemWide(target, system, info, now);
            }
        } catch (SnapException e) {
            tools.log(HookTools.LogLevel.WARNING, "holds unchanged, retrying next hook: " + e.error().describe());
            return note(system, now);
        }
        if (target.isEmpty()) {
            store.clear(HELD);
            store.clear(HELD_AT);
        } else {
            store.put(HELD, List.copyOf(target));
            store.put(HELD_AT, now);
        }
        if (after.equals(SystemHold.NONE)) {
            store.clear(HELD_SYSTEM_WIDE);
        } else {
            store.put(HELD_SYSTEM_WIDE, after);
        }
        return note(after, now);
    }

    /** snapd < 2.58: refresh.hold for every snap at once, unless someone else's hold is in force. */
    private SystemHold holdSystemWide(Set<String> target, SystemHold system, SystemInfo info, Instant now) {
        Optional<String> current = snaps.getSystem(REFRESH_HOLD).filter(v -> !v.isBlank());
        boolean ours = current.isPresent() && current.get().equals(system.set());
        boolean othersInForce = current.isPresent() && !ours
                && parse(current.get()).map(until -> until.isAfter(now)).orElse(true);
        if (target.isEmpty()) {
            if (ours) {
                snaps.unsetSystem(REFRESH_HOLD);
            }
            return SystemHold.NONE;
        }
        if (othersInForce) {
            Instant until = parse(current.get()).orElse(now);
            return new SystemHold("", Optional.of(info.refreshHold().orElse(effective(until, info))), current.get());
        }
        Instant until = now.plus(SYSTEM_HOLD).truncatedTo(ChronoUnit.SECONDS);
        String value = until.toString();
        snaps.setSystem(REFRESH_HOLD, value);
        // snapd's answer is the effective hold (daemon/api_general.go sysInfo: EffectiveRefreshHold), capped from
        // the last auto-refresh or, before the first one, from seeding, which the charm cannot see itself.
        return new SystemHold(value, Optional.of(snaps.systemInfo().refreshHold().orElse(effective(until, info))), "");
    }

    private void releaseSystemHold(SystemHold system) {
        if (!system.set().isEmpty()
                && snaps.getSystem(REFRESH_HOLD).filter(v -> v.equals(system.set())).isPresent()) {
            snaps.unsetSystem(REFRESH_HOLD);
        }
    }

    /**
     * EffectiveRefreshHold as far as the charm can tell (the earlier of the value and the last auto-refresh plus 95
     * days): only when snapd's own answer lacks the hold.
     */
    static Instant effective(Instant value, SystemInfo info) {
        return info.lastRefresh().map(last -> last.plus(MAX_POSTPONEMENT)).filter(limit -> limit.isBefore(value))
                .orElse(value);
    }

    private static Optional<String> note(SystemHold system, Instant now) {
        if (system.lapses().isEmpty()) {
            return Optional.empty();
        }
        String lapse = system.lapses().get().truncatedTo(ChronoUnit.SECONDS).toString();
        String state = system.lapses().get().isAfter(now) ? "lapses " + lapse : "lapsed " + lapse;
        String whose = system.operator().isEmpty() ? "" : " (refresh.hold=" + system.operator()
                + " set outside the charm, left as is)";
        return Optional.of("refresh hold " + state + whose + ": snapd before 2.58 holds no longer than 95 days "
                + "after its last refresh");
    }

    private static SystemHold decode(String text) {
        Map<String, String> fields = Json.stringMap(text);
        return new SystemHold(fields.getOrDefault("set", ""), parse(fields.getOrDefault("lapses", "")),
                fields.getOrDefault("operator", ""));
    }

    private static String encode(SystemHold hold) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("set", hold.set());
        fields.put("lapses", hold.lapses().map(Instant::toString).orElse(""));
        fields.put("operator", hold.operator());
        return Json.write(fields);
    }

    private static Optional<Instant> parse(String text) {
        try {
            return text.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
