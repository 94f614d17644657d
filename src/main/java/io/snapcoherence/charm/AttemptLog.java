package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Progress;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * This unit's last attempts at plans, for the {@code history} action: unit store {@code attempts}, a JSON list,
 * oldest first, of {@code {plan, attempt, since, started?, ended, phase, changes, reverts, error?}}: since when the
 * unit tried, when its first snapd change started, when it reported, how ({@code done}, {@code failed},
 * {@code reverted}, or {@code stopped} for an attempt that ended without a report), the id of snapd's change per
 * snap, and snapd's error for a failure (or why a stopped attempt ended unreported). Written once per attempt, in
 * the hook that reports it or forgets it (a retried hook writes the same attempt again, in its place).
 *
 * <p>Each unit keeps its own: the leader could see the attempts of the others only if every unit put them in its
 * databag, which every other unit reads (a write costs each of them a hook, and the bytes grow with the units). The
 * unit store is the unit's alone, survives leader changes, and costs nothing to the others. Bounded: the last
 * {@value #MAX_ATTEMPTS} attempts, snapd's error cut to {@value #MAX_ERROR} characters, and the whole value at most
 * {@value #MAX_BYTES} bytes (the oldest dropped first), against Juju's 64 KiB a value.
 */
final class AttemptLog {
    static final UnitStore.Key<List<Attempt>> KEY = new UnitStore.Key<>("attempts", AttemptLog::parse,
            AttemptLog::write);
    static final int MAX_ATTEMPTS = 20;
    static final int MAX_ERROR = 200;
    static final int MAX_BYTES = 32 * 1024;

    private AttemptLog() {
    }

    /** One attempt as logged. */
    record Attempt(long plan, int attempt, String since, Optional<String> started, String ended, String phase,
                   Map<String, String> changes, Map<String, String> reverts, Optional<String> error) {
    }

    /** Logs the attempt {@code memory} followed, ended now with {@code progress}. */
    static void ended(UnitStore store, RefreshMemory memory, Progress progress, Instant now) {
        log(store, memory, progress.phase().name().toLowerCase(java.util.Locale.ROOT), progress.failure()
                .map(f -> f.snap() + " " + f.revision() + ": " + cut(f.error())), now);
    }

    /**
     * Logs the attempt {@code memory} followed as {@code stopped}, for {@code why}: it is forgotten without a report
     * (a halt or pause before every refresh started, a plan replaced while its changes ran). An attempt that started
     * no change leaves nothing to log: it asked snapd for nothing.
     */
    static void stopped(UnitStore store, RefreshMemory memory, String why, Instant now) {
        if (memory.started().isPresent() || !memory.reverts().isEmpty()) {
            log(store, memory, "stopped", Optional.of(cut(why)), now);
        }
    }

    /** Why an attempt at another plan or attempt than {@code now} ended without a report. */
    static String replacedBy(RefreshMemory memory, Plan now) {
        return (now.id() == memory.plan() ? "attempt " + now.attempt() + " of plan " + now.id() : "plan " + now.id())
                + " replaced it before it reported";
    }

    private static String cut(String text) {
        return text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR - 3) + "...";
    }

    private static void log(UnitStore store, RefreshMemory memory, String phase, Optional<String> error,
                            Instant now) {
        List<Attempt> attempts = new ArrayList<>(store.get(KEY).orElse(List.of()));
        Map<String, String> changes = new java.util.TreeMap<>();
        Map<String, String> reverts = new java.util.TreeMap<>();
        String since = memory.since().toString();
        Optional<String> started = memory.started().map(Instant::toString);
        // A pause stops an attempt without ending it: after resume the same attempt goes on with a fresh memory of
        // what is left. Its entry keeps what the stopped part asked snapd for.
        for (Attempt earlier : attempts) {
            if (earlier.plan() == memory.plan() && earlier.attempt() == memory.attempt()
                    && earlier.phase().equals("stopped")) {
                changes.putAll(earlier.changes());
                reverts.putAll(earlier.reverts());
                since = earlier.since();
                started = earlier.started().or(() -> memory.started().map(Instant::toString));
            }
        }
        changes.putAll(memory.changes());
        reverts.putAll(memory.reverts());
        Attempt ended = new Attempt(memory.plan(), memory.attempt(), since, started, now.toString(), phase, changes,
                reverts, error);
        attempts.removeIf(a -> a.plan() == ended.plan() && a.attempt() == ended.attempt());
        attempts.add(ended);
        while (attempts.size() > MAX_ATTEMPTS) {
            attempts.remove(0);
        }
        String text = write(attempts);
        while (text.length() > MAX_BYTES && attempts.size() > 1) {
            attempts.remove(0);
            text = write(attempts);
        }
        store.put(KEY, attempts);
    }

    /** The logged attempts, oldest first; unreadable ones are an {@link IllegalArgumentException}. */
    static List<Attempt> read(UnitStore store) {
        return store.require(KEY).orElse(List.of());
    }

    private static List<Attempt> parse(String text) {
        List<Attempt> attempts = new ArrayList<>();
        if (!(Json.parse(text) instanceof List<?> list)) {
            throw new IllegalArgumentException(KEY.name() + " is not a JSON list: " + Json.abbreviate(text));
        }
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> node) || !(node.get("plan") instanceof Number plan)
                    || !(node.get("attempt") instanceof Number attempt) || !(node.get("since") instanceof String since)
                    || !(node.get("ended") instanceof String ended) || !(node.get("phase") instanceof String phase)) {
                throw new IllegalArgumentException("logged attempt without plan, attempt, since, ended or phase: "
                        + Json.abbreviate(String.valueOf(item)));
            }
            attempts.add(new Attempt(plan.longValue(), attempt.intValue(), since, text(node, "started"), ended, phase,
                    ids(node.get("changes")), ids(node.get("reverts")), text(node, "error")));
        }
        return attempts;
    }

    private static String write(List<Attempt> attempts) {
        List<Object> out = new ArrayList<>();
        for (Attempt a : attempts) {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("plan", a.plan());
            node.put("attempt", a.attempt());
            node.put("since", a.since());
            a.started().ifPresent(s -> node.put("started", s));
            node.put("ended", a.ended());
            node.put("phase", a.phase());
            node.put("changes", new LinkedHashMap<>(a.changes()));
            node.put("reverts", new LinkedHashMap<>(a.reverts()));
            a.error().ifPresent(e -> node.put("error", e));
            out.add(node);
        }
        return Json.write(out);
    }

    private static Optional<String> text(Map<?, ?> node, String key) {
        return node.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    private static Map<String, String> ids(Object node) {
        Map<String, String> ids = new java.util.TreeMap<>();
        if (node instanceof Map<?, ?> map) {
            map.forEach((snap, id) -> ids.put(String.valueOf(snap), String.valueOf(id)));
        }
        return ids;
    }
}
