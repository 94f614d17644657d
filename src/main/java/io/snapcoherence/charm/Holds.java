package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.Snaps;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Holds of the managed snaps from snapd's own refresh timer, so nothing refreshes outside a plan. The unit store
 * remembers what the charm holds and when it last asked snapd to; snapd is called when that set changes, or when
 * the hold is due for renewal, and a release frees only holds the charm set.
 *
 * <p>Renewal: snapd before 2.58 has only the system-wide {@code refresh.hold}, a point in time
 * ({@link #SYSTEM_HOLD} ahead; 2.57 caps it at 90 days), so a hold set once would lapse and snapd's timer
 * would refresh outside any plan. The hold is set again once half of it has passed. With per-snap holds (forever)
 * the renewal repeats an idempotent hold request, once a month.
 */
final class Holds {
    static final String HELD_KEY = "held-snaps";
    static final String HELD_AT_KEY = "held-at";
    /**
     * snapd before 2.58 has no per-snap hold, only the system-wide {@code refresh.hold} time, and 2.57 caps a hold
     * at 90 days after the last refresh. 60 days stays well inside that cap, and every hook that holds renews it.
     */
    static final Duration SYSTEM_HOLD = Duration.ofDays(60);
    static final Duration RENEW_AFTER = SYSTEM_HOLD.dividedBy(2);
    private static final String REFRESH_HOLD = "refresh.hold";

    private final HookTools tools;
    private final Snaps snaps;
    private final Clock clock;

    Holds(HookTools tools, Snaps snaps, Clock clock) {
        this.tools = tools;
        this.snaps = snaps;
        this.clock = clock;
    }

    /** Holds what should be held and releases the rest; the unit store remembers what the charm holds. */
    void apply(Set<String> wanted) {
        Map<String, String> store = tools.stateGet();
        Set<String> held = new TreeSet<>();
        try {
            held.addAll(Json.stringList(store.getOrDefault(HELD_KEY, "")));
        } catch (IllegalArgumentException e) {
            tools.log(HookTools.LogLevel.WARNING, "unreadable " + HELD_KEY + ", treating as none: " + e.getMessage());
        }
        Instant now = clock.instant();
        Set<String> target = new TreeSet<>(wanted);
        // Unknown hold time (unreadable, or held by a charm version that did not record it) or one in the future
        // (the clock was set back): renew now.
        boolean renew = !target.isEmpty() && heldAt(store)
                .map(at -> at.isAfter(now) || !now.isBefore(at.plus(RENEW_AFTER))).orElse(true);
        if (target.equals(held) && !renew) {
            return;
        }
        List<String> toHold = target.stream().filter(s -> renew || !held.contains(s)).toList();
        List<String> toRelease = held.stream().filter(s -> !target.contains(s)).toList();
        try {
            boolean perSnap = snaps.systemInfo().perSnapHolds();
            if (!toRelease.isEmpty()) {
                if (perSnap) {
                    snaps.unhold(toRelease);
                } else {
                    snaps.unsetSystem(REFRESH_HOLD);
                }
            }
            // Without per-snap holds a release clears snapd's system-wide hold: hold the whole set again then.
            List<String> hold = toRelease.isEmpty() ? toHold : List.copyOf(target);
            if (!hold.isEmpty()) {
                if (perSnap) {
                    snaps.hold(hold);
                } else {
                    snaps.setSystem(REFRESH_HOLD, DateTimeFormatter.ISO_INSTANT.format(
                            now.plus(SYSTEM_HOLD).truncatedTo(ChronoUnit.SECONDS)));
                }
            }
        } catch (SnapException e) {
            tools.log(HookTools.LogLevel.WARNING, "holds unchanged, retrying next hook: " + e.error().describe());
            return;
        }
        // Any hold call above set the system-wide hold afresh (snapd < 2.58): its clock starts now.
        tools.stateSet(Map.of(HELD_KEY, target.isEmpty() ? "" : Json.write(List.copyOf(target)),
                HELD_AT_KEY, target.isEmpty() ? "" : now.toString()));
    }

    private Optional<Instant> heldAt(Map<String, String> store) {
        String text = store.getOrDefault(HELD_AT_KEY, "");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            tools.log(HookTools.LogLevel.WARNING, "unreadable " + HELD_AT_KEY + ", renewing the hold: " + text);
            return Optional.empty();
        }
    }
}
