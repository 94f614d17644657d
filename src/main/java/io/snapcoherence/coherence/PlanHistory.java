package io.snapcoherence.coherence;

import io.snapcoherence.Json;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last plans, for the {@code history} action: app databag key {@value #KEY}, a JSON list, oldest first, of
 * {@code {id, attempt, at, end?, outcome, unit?, why?, next?, targets}}. {@code outcome} is {@code running},
 * {@code paused}, {@code halted} (by {@code unit}, because {@code why}), {@code complete} or {@code superseded}
 * (by plan {@code next}: a plan the leader replaced, or one that a later plan followed before it completed);
 * {@code at} is when the leader first wrote the plan, {@code end} when it completed, was superseded or halted (a
 * resume clears a halt's end; {@code unit} and {@code why} then stay, as the last halt). {@code targets} is one
 * line per plan: {@code 1.29/stable amd64: kube-proxy=3153 kubelet=3154; 1.29/stable arm64: ...}.
 *
 * <p>It lives in the app databag because only the leader knows when a plan started, ended or was replaced, and a
 * new leader must go on from it. It is rewritten only in a leader hook that writes the app databag anyway (a plan,
 * halt, pause or completion is a change of {@code plan}, {@code halt} or {@code paused}): it adds bytes to those
 * writes, never a write of its own. Bounded: the last {@value #MAX_PLANS} plans, a plan's targets at most
 * {@value #MAX_TARGETS_TEXT} characters, a halt's reason {@value #MAX_WHY}, and the whole value at most
 * {@value #MAX_BYTES} bytes (the oldest plans are dropped first).
 */
public final class PlanHistory {
    public static final String KEY = "history";
    public static final int MAX_PLANS = 20;
    public static final int MAX_TARGETS_TEXT = 600;
    public static final int MAX_WHY = 200;
    public static final int MAX_BYTES = 16 * 1024;

    public static final String RUNNING = "running";
    public static final String PAUSED = "paused";
    public static final String HALTED = "halted";
    public static final String COMPLETE = "complete";
    public static final String SUPERSEDED = "superseded";

    private PlanHistory() {
    }

    /** One plan as the history keeps it. */
    public record Entry(long id, int attempt, String at, Optional<String> end, String outcome, Optional<String> unit,
                        Optional<String> why, Optional<Long> next, String targets) {

        /** {@code complete}, {@code halted by snap-coherence/3: ...}, {@code superseded by plan 8}, ... */
        public String describe() {
            String halt = unit.map(u -> "by " + u + why.map(w -> ": " + w).orElse("")).orElse("");
            return switch (outcome) {
                case HALTED -> HALTED + " " + halt;
                case SUPERSEDED -> SUPERSEDED + next.map(n -> " by plan " + n).orElse("")
                        + (unit.isPresent() ? " (halted " + halt + ")" : "");
                default -> outcome + (attempt > 1 && unit.isPresent() ? " (attempt " + attempt + "; halted before "
                        + halt + ")" : attempt > 1 ? " (attempt " + attempt + ")" : "");
            };
        }
    }

    /**
     * The history after a leader hook that leaves the rollout in {@code state}: its plan added or updated, earlier
     * plans still unfinished marked superseded by it. {@code previous} is the databag's value; an unreadable one is
     * started afresh (the history informs, nothing is decided from it).
     */
    public static String next(String previous, RolloutState state, Instant now) {
        List<Entry> entries = new ArrayList<>(readQuietly(previous));
        if (state.plan().isEmpty()) {
            return previous;
        }
        Plan plan = state.plan().get();
        String at = now.toString();
        int index = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).id() == plan.id()) {
                index = i;
            }
        }
        Entry entry = index >= 0 ? entries.get(index) : new Entry(plan.id(), plan.attempt(), at, Optional.empty(),
                RUNNING, Optional.empty(), Optional.empty(), Optional.empty(), targets(plan.targets()));
        Optional<String> unit = entry.unit();
        Optional<String> why = entry.why();
        Optional<String> end = Optional.empty();
        String outcome;
        if (plan.complete()) {
            outcome = COMPLETE;
            end = entry.end().filter(e -> entry.outcome().equals(COMPLETE)).or(() -> Optional.of(at));
        } else if (state.halt().isPresent()) {
            outcome = HALTED;
            Halt halt = state.halt().get();
            unit = Optional.of(halt.unit());
            why = Optional.of(cut(halt.reason(), MAX_WHY));
            end = entry.end().filter(e -> entry.outcome().equals(HALTED)).or(() -> Optional.of(at));
        } else {
            outcome = state.paused() ? PAUSED : RUNNING;
        }
        Entry updated = new Entry(plan.id(), plan.attempt(), entry.at(), end, outcome, unit, why, Optional.empty(),
                entry.targets());
        if (index >= 0) {
            entries.set(index, updated);
        } else {
            entries.add(updated);
        }
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.id() < plan.id() && !e.outcome().equals(COMPLETE) && !e.outcome().equals(SUPERSEDED)) {
                entries.set(i, new Entry(e.id(), e.attempt(), e.at(), e.end().or(() -> Optional.of(at)), SUPERSEDED,
                        e.unit(), e.why(), Optional.of(plan.id()), e.targets()));
            }
        }
        entries.sort((a, b) -> Long.compare(a.id(), b.id()));
        while (entries.size() > MAX_PLANS) {
            entries.remove(0);
        }
        String text = write(entries);
        while (text.length() > MAX_BYTES && entries.size() > 1) {
            entries.remove(0);
            text = write(entries);
        }
        return text;
    }

    /** The entries of a history value, oldest first; an unreadable value is an {@link IllegalArgumentException}. */
    public static List<Entry> read(String text) {
        List<Entry> entries = new ArrayList<>();
        if (text.isBlank()) {
            return entries;
        }
        if (!(Json.parse(text) instanceof List<?> list)) {
            throw new IllegalArgumentException("history is not a JSON list: " + Json.abbreviate(text));
        }
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> node) || !(node.get("id") instanceof Number id)
                    || !(node.get("attempt") instanceof Number attempt) || !(node.get("at") instanceof String at)
                    || !(node.get("outcome") instanceof String outcome)
                    || !(node.get("targets") instanceof String targets)) {
                throw new IllegalArgumentException("history entry without id, attempt, at, outcome or targets: "
                        + Json.abbreviate(String.valueOf(item)));
            }
            entries.add(new Entry(id.longValue(), attempt.intValue(), at, text(node, "end"), outcome,
                    text(node, "unit"), text(node, "why"),
                    node.get("next") instanceof Number next ? Optional.of(next.longValue()) : Optional.empty(),
                    targets));
        }
        return entries;
    }

    private static List<Entry> readQuietly(String text) {
        try {
            return read(text);
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    private static Optional<String> text(Map<?, ?> node, String key) {
        return node.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    static String write(List<Entry> entries) {
        List<Object> out = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("id", e.id());
            node.put("attempt", e.attempt());
            node.put("at", e.at());
            e.end().ifPresent(end -> node.put("end", end));
            node.put("outcome", e.outcome());
            e.unit().ifPresent(unit -> node.put("unit", unit));
            e.why().ifPresent(why -> node.put("why", why));
            e.next().ifPresent(next -> node.put("next", next));
            node.put("targets", e.targets());
            out.add(node);
        }
        return Json.write(out);
    }

    /** {@code 1.29/stable amd64: kube-proxy=3153 kubelet=3154; 1.29/stable arm64: kubelet=4154}, cut to size. */
    static String targets(List<Target> targets) {
        Map<String, StringBuilder> groups = new LinkedHashMap<>();
        targets.stream().sorted().forEach(t -> groups.computeIfAbsent(t.channel() + t.namedArch().map(a -> " " + a)
                .orElse(""), g -> new StringBuilder()).append(' ').append(t.snap()).append('=').append(t.revision()));
        StringBuilder line = new StringBuilder();
        groups.forEach((group, snaps) -> line.append(line.length() == 0 ? "" : "; ").append(group).append(':')
                .append(snaps));
        String all = line.toString();
        if (all.length() <= MAX_TARGETS_TEXT) {
            return all;
        }
        String suffix = " ... (" + targets.size() + " targets in all)";
        String head = all.substring(0, MAX_TARGETS_TEXT - suffix.length());
        return head.substring(0, Math.max(0, head.lastIndexOf(' '))) + suffix;
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 3) + "...";
    }
}
