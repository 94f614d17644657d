package io.snapcoherence.coherence;

import io.snapcoherence.Json;
import io.snapcoherence.juju.Status;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The soak (config {@code soak}): after the first control-plane unit of a plan (the canary) is done, the rollout
 * waits before any other control-plane unit starts; after the whole control plane is done, it waits again before
 * the first worker starts. The leader that sees a stage reached writes the soak's absolute end time once into the
 * app databag ({@link Entry}); every later leader honours that time, so a leader change neither skips nor restarts
 * it. A soak ends only when the leader has read, from every unit it names, a check of its services made at or
 * after its end ({@link Check}, unit databag {@code soak-check}): the leader cannot look at another machine, and
 * each unit in the soak re-verifies its own services in every hook meanwhile, reporting a failure (which halts)
 * when they broke. Health gates on Kubernetes endpoints belong in that same per-unit check.
 *
 * <p>Pure: {@link #decide} takes the plan, the units' reports, the stored entry and the time, and returns what the
 * leader does about grants.
 */
public final class Soak {

    private Soak() {
    }

    /** The app databag key of the entry, and the unit databag key of a unit's check. */
    public static final String KEY = "soak";
    public static final String CHECK_KEY = "soak-check";

    /** Longest soak the config takes: a day; longer is a typo more often than a wish. */
    public static final Duration MAX = Duration.ofHours(24);

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    /** Which wait: after the canary, or after the whole control plane. */
    public enum Stage {
        CANARY("canary"), CONTROL_PLANE("control-plane");

        private final String word;

        Stage(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }

        static Optional<Stage> of(String word) {
            for (Stage stage : values()) {
                if (stage.word.equals(word)) {
                    return Optional.of(stage);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * What the app databag holds: the soak of {@code stage} of plan {@code plan} (started in {@code attempt}),
     * whose canary is {@code unit}, ending at {@code until} by the clock of the leader that started it;
     * {@code ended} once the leader read every check it waited for.
     */
    public record Entry(long plan, int attempt, Stage stage, String unit, Instant until, boolean ended) {

        Entry endedNow() {
            return new Entry(plan, attempt, stage, unit, until, true);
        }

        public String encode() {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("plan", plan);
            node.put("attempt", attempt);
            node.put("stage", stage.word());
            node.put("unit", unit);
            node.put("until", until.toString());
            node.put("ended", ended);
            return Json.write(node);
        }

        /** The entry an app databag value holds; empty text: none. Throws {@link IllegalArgumentException}. */
        public static Optional<Entry> decode(String text) {
            if (text == null || text.isEmpty()) {
                return Optional.empty();
            }
            Map<String, Object> node = object(text, KEY);
            Stage stage = Stage.of(String.valueOf(node.get("stage")))
                    .orElseThrow(() -> new IllegalArgumentException("soak.stage is " + Json.write(node.get("stage"))));
            if (!(node.get("unit") instanceof String unit) || unit.isEmpty() || unit.length() > 100) {
                throw new IllegalArgumentException("soak.unit is not a unit name");
            }
            if (!(node.get("ended") instanceof Boolean ended)) {
                throw new IllegalArgumentException("soak.ended is not true or false");
            }
            return Optional.of(new Entry(positive(node, "plan"), (int) positive(node, "attempt"), stage, unit,
                    instant(node, "until"), ended));
        }
    }

    /** A unit's report that its services were checked healthy at {@code at}, in that soak of that plan's attempt. */
    public record Check(long plan, int attempt, Stage stage, Instant at) {

        public String encode() {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("plan", plan);
            node.put("attempt", attempt);
            node.put("stage", stage.word());
            node.put("at", at.toString());
            return Json.write(node);
        }

        public static Check decode(String text) {
            Map<String, Object> node = object(text, CHECK_KEY);
            Stage stage = Stage.of(String.valueOf(node.get("stage"))).orElseThrow(
                    () -> new IllegalArgumentException(CHECK_KEY + ".stage is " + Json.write(node.get("stage"))));
            return new Check(positive(node, "plan"), (int) positive(node, "attempt"), stage, instant(node, "at"));
        }

        /** Whether this check is one the soak waits for: of its plan, attempt and stage, made at or after its end. */
        public boolean counts(Entry entry) {
            return plan == entry.plan() && attempt == entry.attempt() && stage == entry.stage()
                    && !at.isBefore(entry.until());
        }
    }

    /** What the leader does about grants this hook, and the entry the app databag holds after it. */
    public sealed interface Verdict {
        Optional<Entry> entry();

        /** Grants go on as without a soak. */
        record Go(Optional<Entry> entry) implements Verdict {
        }

        /**
         * The control plane gets its canary only: at most one control-plane unit granted and not done, and when
         * {@code canary} is named (a soak to start again after a resume), that one.
         */
        record CanaryOnly(Optional<Entry> entry, Optional<String> canary) implements Verdict {
        }

        /**
         * Nothing new is granted: soaking until the entry's time, then until every unit it names checked;
         * {@code silent}: a named unit has sent no check long after the end (the rollout halts on it).
         */
        record Soaking(Optional<Entry> entry, List<String> unchecked, Optional<Halt> silent) implements Verdict {
        }
    }

    /**
     * What the soak asks of the leader's grants for the active plan. {@code soakFor} zero: off (a soak running is
     * no longer waited for). The canary is the entry's unit, or else the first control-plane unit in the grants
     * (grants are appended, never re-sorted, so a new leader finds the same one).
     */
    public static Verdict decide(Duration soakFor, Plan plan, Census census, List<String> grants,
                                 Optional<Entry> stored, Instant now) {
        // An entry of another plan is dropped: a new plan starts its own soaks.
        Optional<Entry> entry = stored.filter(e -> e.plan() == plan.id());
        if (soakFor.isZero()) {
            return new Verdict.Go(entry);
        }
        boolean controlPlaneDone = census.controlPlaneOn(plan);
        if (entry.isPresent() && !entry.get().ended() && entry.get().attempt() != plan.attempt()) {
            // A resume came while soaking: the soak starts again, from now, once its stage is reached again (the
            // canary, or a control-plane unit, whose check failed must verify again first), and until then only
            // what leads back to it is granted: the same canary, or the rest of the control plane.
            // A canary whose data cannot be read now (damaged, another version's) has not verified again: the soak
            // waits for its report, which its next write repairs; restarted on it, the soak would wait for a check
            // from a canary nobody grants (seed 173854).
            Entry before = entry.get();
            if (before.stage() == Stage.CANARY && census.gone(before.unit())) {
                // One that left the relation before its soak ended is no canary: nothing of the plan soaked, so
                // the entry is dropped and the next control-plane unit goes alone and soaks. Restarted on the unit
                // that left, the soak waited for no check and then let the rest of the control plane go together
                // onto the revision the canary had failed with (wide seed 178268). Out of view is not gone: a
                // leader elected a moment after it joined sees few peers, and took the canary it had not joined
                // yet for one that left: the next control-plane unit started while the canary, in the relation
                // all along, had not verified again (wide seed 186105). Until it is seen, or known gone (left, or
                // silent long enough that resume frees its grant: rule 7), only the canary is granted.
                return decide(soakFor, plan, census, grants, Optional.empty(), now);
            }
            // The canary verified again only by a report or status of this attempt: the leader's copy of its done
            // from before the failure would restart the soak while it refreshes (wide seed 180251).
            boolean reached = before.stage() == Stage.CANARY
                    ? census.report(before.unit()).map(r -> census.doneInAttempt(r, plan)).orElse(false)
                    : controlPlaneDone;
            if (!reached) {
                return before.stage() == Stage.CANARY ? new Verdict.CanaryOnly(entry, Optional.of(before.unit()))
                        : new Verdict.Go(entry);
            }
            Entry again = new Entry(plan.id(), plan.attempt(), before.stage(), before.unit(), now.plus(soakFor),
                    false);
            return new Verdict.Soaking(Optional.of(again), unchecked(again, census, plan), Optional.empty());
        }
        if (entry.isPresent() && !entry.get().ended()) {
            Entry soaking = entry.get();
            List<String> unchecked = unchecked(soaking, census, plan);
            if (!now.isBefore(soaking.until()) && unchecked.isEmpty()) {
                return afterEnd(soakFor, plan, census, Optional.of(soaking.endedNow()), now);
            }
            // A unit whose machine is down never checks: as for a silent granted unit (Watch), the rollout halts
            // on it once it is silent longer than a hook can take to come, and the operator decides.
            Optional<Halt> silent = unchecked.stream().findFirst()
                    .filter(u -> !now.isBefore(soaking.until().plus(Watch.SILENT_AFTER)))
                    .map(u -> new Halt(u, "sent no check of its services " + Watch.SILENT_AFTER.toMinutes()
                            + " min after the soak's end (" + clock(soaking.until()) + "): if its machine is down, "
                            + "run juju remove-unit --force on the principal unit it runs on (juju status lists it "
                            + "there)"));
            return new Verdict.Soaking(entry, unchecked, silent);
        }
        if (entry.isPresent()) {
            return afterEnd(soakFor, plan, census, entry, now);
        }
        // No soak yet in this plan: the canary goes alone; once it is done, its soak starts.
        Optional<String> canary = grants.stream().filter(u -> census.report(u)
                .map(r -> r.role() == Role.CONTROL_PLANE).orElse(false)).findFirst();
        if (canary.isEmpty()) {
            // Nothing of the control plane granted: either nothing to do there (no soak in this plan) or the
            // canary is about to be granted.
            return controlPlaneDone ? new Verdict.Go(Optional.empty())
                    : new Verdict.CanaryOnly(Optional.empty(), Optional.empty());
        }
        // Granted, the canary is done only by its done report or status: a copy of its report from before its grant
        // may show the targets while it has not refreshed yet (Census.done, seed 248268).
        boolean canaryDone = census.report(canary.get()).map(r -> census.done(r, plan)).orElse(false);
        if (!canaryDone) {
            return new Verdict.CanaryOnly(Optional.empty(), Optional.empty());
        }
        Entry start = new Entry(plan.id(), plan.attempt(), Stage.CANARY, canary.get(), now.plus(soakFor), false);
        return new Verdict.Soaking(Optional.of(start), unchecked(start, census, plan), Optional.empty());
    }

    /**
     * After an ended soak: the control plane's own soak starts once every control-plane unit is done (not when the
     * canary is the only one: its soak was that); before that the rest of the control plane goes on.
     */
    private static Verdict afterEnd(Duration soakFor, Plan plan, Census census, Optional<Entry> ended, Instant now) {
        Entry entry = ended.orElseThrow();
        if (entry.stage() == Stage.CANARY && census.controlPlaneOn(plan)
                && census.tier(Role.CONTROL_PLANE).stream().anyMatch(r -> !r.unit().equals(entry.unit()))) {
            Entry start = new Entry(plan.id(), plan.attempt(), Stage.CONTROL_PLANE, entry.unit(), now.plus(soakFor),
                    false);
            return new Verdict.Soaking(Optional.of(start), unchecked(start, census, plan), Optional.empty());
        }
        return new Verdict.Go(ended);
    }

    /**
     * The units in view a soak names whose check at or after its end the leader has not read (a unit whose data
     * cannot be read has sent none). A unit that left the relation cannot check and is not waited for: its machine is out of the cluster. Nor is a control-plane
     * unit that joined during the control plane's soak and is not on the plan: it checks only once done, and is
     * granted (the control plane is the tier again) once the soak ended, without a soak of its own.
     */
    static List<String> unchecked(Entry entry, Census census, Plan plan) {
        List<String> named = new ArrayList<>();
        if (entry.stage() == Stage.CANARY) {
            // In the relation, its data readable or not: a damaged report is no check.
            if (census.knows(entry.unit())) {
                named.add(entry.unit());
            }
        } else {
            census.tier(Role.CONTROL_PLANE).stream().filter(r -> census.done(r, plan))
                    .forEach(r -> named.add(r.unit()));
        }
        return named.stream().filter(u -> census.report(u).flatMap(UnitReport::soakCheck)
                .map(c -> !c.counts(entry)).orElse(true)).toList();
    }

    /**
     * The grants after {@link Planner#grant} under {@link Verdict.CanaryOnly}: new control-plane grants only while
     * no control-plane unit (or unit of unknown role) is granted and not done; with a named canary, that one alone,
     * whatever the order.
     */
    public static List<String> canaryOnly(Verdict.CanaryOnly verdict, List<String> before, List<String> after,
                                          Census census, Plan plan) {
        List<String> kept = new ArrayList<>(before);
        if (verdict.canary().isPresent()) {
            String canary = verdict.canary().get();
            // Granted until it verified for this attempt (Census.doneInAttempt): counted through on a report of the
            // attempt before, it would never be granted to verify, and the soak would never start again. Granted
            // too while out of the leader's view (not known gone): it may be in the relation, not joined by this
            // leader yet, and then verifies again on the grant; if it is gone, its grant is watched like any other
            // out of view, named in the app status and, after 45 minutes, halted on, and the resume that frees it
            // drops the canary (rule 7; wide seed 186105).
            if (!kept.contains(canary) && census.report(canary).map(r -> !census.doneInAttempt(r, plan))
                    .orElse(!census.knows(canary))) {
                kept.add(canary);
            }
            after.stream().filter(u -> !kept.contains(u) && census.report(u)
                    .map(r -> r.role() == Role.WORKER).orElse(false)).forEach(kept::add);
            return List.copyOf(kept);
        }
        // A granted unit whose report cannot be read (not yet, or damaged) may be the canary, refreshing.
        long busy = before.stream().filter(u -> census.report(u).map(r -> r.role() == Role.CONTROL_PLANE
                && !census.done(r, plan)).orElse(true)).count();
        for (String unit : after) {
            if (kept.contains(unit)) {
                continue;
            }
            boolean controlPlane = census.report(unit).map(r -> r.role() == Role.CONTROL_PLANE).orElse(true);
            if (!controlPlane || busy == 0) {
                kept.add(unit);
                busy += controlPlane ? 1 : 0;
            }
        }
        return List.copyOf(kept);
    }

    /**
     * Whether a unit is named by a soak running now and so re-checks its services in this hook: the canary in
     * its soak, every control-plane unit in the control plane's.
     */
    public static boolean names(Optional<Entry> entry, Plan plan, String unit, Role role) {
        return entry.filter(e -> !e.ended() && e.plan() == plan.id() && e.attempt() == plan.attempt())
                .map(e -> e.stage() == Stage.CANARY ? e.unit().equals(unit) : role == Role.CONTROL_PLANE)
                .orElse(false);
    }

    /** The check a unit named by the soak reports after finding its services healthy at {@code now}, if due. */
    public static Optional<Check> checkDue(Entry entry, Instant now) {
        return now.isBefore(entry.until()) ? Optional.empty()
                : Optional.of(new Check(entry.plan(), entry.attempt(), entry.stage(), now));
    }

    /**
     * The app status part of a soak running: what soaks where until when, and, past the time, whose check it
     * waits for. {@code what}: the plan's first target, as the operator knows the snap.
     */
    public static String describe(Verdict.Soaking soaking, Plan plan, Instant now) {
        Entry entry = soaking.entry().orElseThrow();
        String what = plan.targets().isEmpty() ? "plan " + plan.id()
                : plan.targets().get(0).snap() + " " + plan.targets().get(0).revision();
        String where = entry.stage() == Stage.CANARY ? entry.unit() : "the control plane";
        String line = "soaking " + what + " on " + where + " until " + CLOCK.format(entry.until());
        if (now.isBefore(entry.until()) || soaking.unchecked().isEmpty()) {
            return line;
        }
        return line + "; ended, waiting for a check of its services from " + String.join(", ",
                soaking.unchecked().subList(0, Math.min(3, soaking.unchecked().size())))
                + (soaking.unchecked().size() > 3 ? " and " + (soaking.unchecked().size() - 3) + " more" : "");
    }

    /** A time as status lines show it. */
    public static String clock(Instant at) {
        return CLOCK.format(at);
    }

    /** A waiting unit's status while a soak runs: what it waits for and until when. */
    public static Status waitingStatus(Entry entry, Plan plan) {
        String what = entry.stage() == Stage.CANARY ? "control plane canary soaking" : "control plane soaking";
        return Status.waiting(what + " until " + CLOCK.format(entry.until()) + " (plan " + plan.id() + ")");
    }

    /** The config value: {@code 0}, or a whole number of seconds, minutes or hours ({@code 90s}, {@code 30m}). */
    public static Duration parse(String value) {
        String text = value.strip();
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        if (!text.matches("[1-9][0-9]{0,5}[smh]")) {
            throw new IllegalArgumentException("soak \"" + value + "\" is not a duration (0, 90s, 30m, 2h)");
        }
        long amount = Long.parseLong(text.substring(0, text.length() - 1));
        Duration duration = switch (text.charAt(text.length() - 1)) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
        if (duration.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("soak \"" + value + "\" is longer than " + MAX.toHours() + "h");
        }
        return duration;
    }

    private static Map<String, Object> object(String text, String what) {
        try {
            return Json.objectMap(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(what + " is not a JSON object: " + e.getMessage());
        }
    }

    private static long positive(Map<String, Object> node, String field) {
        if (node.get(field) instanceof Number n && n.doubleValue() >= 1 && n.doubleValue() == Math.rint(n.doubleValue())
                && n.doubleValue() < Integer.MAX_VALUE) {
            return n.longValue();
        }
        throw new IllegalArgumentException(field + " is not a positive whole number");
    }

    private static Instant instant(Map<String, Object> node, String field) {
        try {
            return Instant.parse(String.valueOf(node.get(field)));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + " is not a time");
        }
    }
}
