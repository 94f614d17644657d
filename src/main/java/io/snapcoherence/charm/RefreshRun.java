package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.Failure;
import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.Phase;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Progress;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.coherence.UnitAgent;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.Snaps;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One unit's refresh for a plan: {@code snap refresh --revision} per target, then verification, and with
 * {@code on-failure=revert} a revert of what this attempt refreshed. Every snap failure becomes the reported
 * outcome, never an exception.
 *
 * <p>A hook waits for snapd at most {@link #HOOK_WAIT} in all. A refresh that takes longer (a slow download) goes
 * on in snapd: the hook ends with the unit still refreshing, granted and not done, so the others keep counting it,
 * and the next hook asks again (snapd refuses a second change on the snap while the first runs, and a finished
 * one shows in {@code snap list}). What the attempt refreshed so far and since when are kept in the unit store,
 * for the revert and for {@link #GIVE_UP}.
 */
final class RefreshRun {
    /** How long one hook waits for snapd's refresh changes in all: a hook never blocks long. */
    static final Duration HOOK_WAIT = Duration.ofSeconds(40);
    /** With less than this left of {@link #HOOK_WAIT}, the next refresh starts in the next hook. */
    static final Duration MIN_WAIT = Duration.ofSeconds(5);
    /** A refresh snapd has not finished after this long is reported failed: the rollout halts and says why. */
    static final Duration GIVE_UP = Duration.ofMinutes(30);
    static final String STORE_KEY = "refresh-run";
    /** A revert is local (no download) but stops and starts services. */
    static final Duration REVERT_WAIT = Duration.ofSeconds(40);

    private final HookTools tools;
    private final Snaps snaps;
    private final CharmConfig config;
    private final Clock clock;

    RefreshRun(HookTools tools, Snaps snaps, CharmConfig config, Clock clock) {
        this.tools = tools;
        this.snaps = snaps;
        this.config = config;
        this.clock = clock;
    }

    /** How a run ended: with a report, or with snapd still at work. */
    sealed interface Result permits Finished, StillRunning {
        Optional<Map<String, InstalledRevision>> installed();
    }

    record Finished(Progress progress, Optional<Map<String, InstalledRevision>> installed) implements Result {
    }

    /** snapd is still at {@code targets} (the first started longest ago); nothing reported yet. */
    record StillRunning(List<Target> targets, Instant since, Optional<Map<String, InstalledRevision>> installed)
            implements Result {
        StillRunning {
            targets = List.copyOf(targets);
        }
    }

    /** What an attempt that spans hooks did so far (unit store {@value #STORE_KEY}). */
    private record Memory(long plan, int attempt, Instant since, Set<String> refreshed) {
    }

    /** One {@code snap refresh} per target, then verify; a failure is a report, never an exception. */
    Result run(Plan plan, List<Target> targets, List<Target> verify) {
        Instant start = clock.instant();
        Optional<Memory> remembered = recall(plan);
        Instant since = remembered.map(Memory::since).orElse(start);
        Set<String> refreshed = new LinkedHashSet<>(remembered.map(Memory::refreshed).orElse(Set.of()));
        Optional<Failure> failure = Optional.empty();
        List<Target> running = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            Duration left = HOOK_WAIT.minus(Duration.between(start, clock.instant()));
            if (left.compareTo(MIN_WAIT) < 0) {
                running.add(target); // not started: the next hook starts it
                continue;
            }
            // Keep MIN_WAIT for each target after this one: if this download is slow, the others still start in
            // this hook and snapd works on them side by side, instead of one hook per slow snap.
            Duration wait = left.minus(MIN_WAIT.multipliedBy(targets.size() - 1L - i));
            wait = wait.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : wait;
            tools.statusSet(UnitAgent.refreshing(plan, target));
            try {
                String id = snaps.startRefresh(target.snap(), target.channel(), target.revision());
                Change change = snaps.await(id, wait);
                if (change.failed()) {
                    failure = Optional.of(new Failure(target.snap(), target.revision(), change.error()
                            .orElse("snapd change " + id + " ended " + change.status())));
                    break;
                }
                refreshed.add(target.snap());
                if (!change.ready()) {
                    running.add(target); // snapd goes on; whether it got there is checked before a revert
                }
            } catch (SnapException e) {
                if (e.error() instanceof SnapError.NoUpdateAvailable) {
                    refreshed.add(target.snap()); // already on the revision asked for
                } else if (e.error() instanceof SnapError.Timeout || e.error() instanceof SnapError.ChangeConflict) {
                    refreshed.add(target.snap()); // snapd goes on; whether it got there is checked before a revert
                    running.add(target);
                } else {
                    failure = Optional.of(new Failure(target.snap(), target.revision(), e.error().describe()));
                    break;
                }
            }
        }
        if (failure.isEmpty() && !running.isEmpty()) {
            Target target = running.get(0);
            if (Duration.between(since, clock.instant()).compareTo(GIVE_UP) < 0) {
                remember(new Memory(plan.id(), plan.attempt(), since, refreshed));
                return new StillRunning(running, since, listManaged());
            }
            failure = Optional.of(new Failure(target.snap(), target.revision(), "snapd has not finished the refresh "
                    + GIVE_UP.toMinutes() + " minutes after it started (" + since + ")"));
        }
        forget();
        List<String> names = verify.stream().map(Target::snap).toList();
        Optional<List<InstalledSnap>> after = Optional.empty();
        try {
            after = Optional.of(snaps.list());
            if (failure.isEmpty()) {
                List<SnapService> services = snaps.services().stream()
                        .filter(service -> names.contains(service.snap())).toList();
                failure = UnitAgent.verify(verify, after.get(), services);
            }
        } catch (SnapException e) {
            failure = failure.or(() -> Optional.of(new Failure(verify.get(0).snap(), verify.get(0).revision(),
                    "cannot verify: " + e.error().describe())));
        }
        if (failure.isEmpty()) {
            return new Finished(Progress.done(plan), after.map(this::managed));
        }
        List<String> toRevert = onTarget(refreshed, verify, after);
        if (config.onFailure() == CharmConfig.OnFailure.REVERT && !toRevert.isEmpty()) {
            return revert(plan, failure.get(), toRevert);
        }
        return new Finished(Progress.failed(plan, Phase.FAILED, failure.get()), after.map(this::managed));
    }

    private Finished revert(Plan plan, Failure failure, List<String> refreshed) {
        List<String> problems = new ArrayList<>();
        for (String snap : refreshed) {
            try {
                Change change = snaps.await(snaps.startRevert(snap), REVERT_WAIT);
                if (!change.done()) {
                    problems.add(snap + ": " + change.error().orElse("revert " + change.status()));
                }
            } catch (SnapException e) {
                problems.add(snap + ": " + e.error().describe());
            }
        }
        Failure reported = problems.isEmpty() ? failure : new Failure(failure.snap(), failure.revision(),
                failure.error() + "; revert failed: " + String.join("; ", problems));
        return new Finished(Progress.failed(plan, Phase.REVERTED, reported), listManaged());
    }

    /**
     * Of the snaps this attempt asked snapd to refresh, those now on their target: only these are reverted. A
     * refresh that never got there must not be "reverted" to whatever revision came before it.
     */
    private static List<String> onTarget(Set<String> refreshed, List<Target> targets,
                                         Optional<List<InstalledSnap>> listed) {
        if (listed.isEmpty()) {
            return List.copyOf(refreshed); // cannot tell: revert what this attempt asked for, as snapd allows
        }
        Map<String, Integer> revisions = new LinkedHashMap<>();
        listed.get().forEach(s -> revisions.put(s.name(), s.revision()));
        return targets.stream().filter(t -> refreshed.contains(t.snap())
                && Integer.valueOf(t.revision()).equals(revisions.get(t.snap()))).map(Target::snap).toList();
    }

    private Optional<Map<String, InstalledRevision>> listManaged() {
        try {
            return Optional.of(managed(snaps.list()));
        } catch (SnapException e) {
            return Optional.empty();
        }
    }

    private Map<String, InstalledRevision> managed(List<InstalledSnap> listed) {
        return UnitAgent.managed(listed, config.snaps());
    }

    // ---- the unit store ------------------------------------------------------------------------------------

    private Optional<Memory> recall(Plan plan) {
        String text = tools.stateGet().getOrDefault(STORE_KEY, "");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            Map<String, Object> node = Json.objectMap(text);
            List<String> snapsRefreshed = new ArrayList<>();
            for (Object snap : (List<?>) node.get("refreshed")) {
                snapsRefreshed.add((String) snap);
            }
            Memory memory = new Memory(((Number) node.get("plan")).longValue(),
                    ((Number) node.get("attempt")).intValue(), Instant.parse((String) node.get("since")),
                    new LinkedHashSet<>(snapsRefreshed));
            return memory.plan() == plan.id() && memory.attempt() == plan.attempt() ? Optional.of(memory)
                    : Optional.empty();
        } catch (IllegalArgumentException | ClassCastException | NullPointerException | DateTimeParseException e) {
            tools.log(HookTools.LogLevel.WARNING, "unreadable " + STORE_KEY + ", starting afresh: " + e.getMessage());
            return Optional.empty();
        }
    }

    private void remember(Memory memory) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("plan", memory.plan());
        node.put("attempt", memory.attempt());
        node.put("since", memory.since().toString());
        node.put("refreshed", List.copyOf(memory.refreshed()));
        tools.stateSet(Map.of(STORE_KEY, Json.write(node)));
    }

    /** Clears the memory, also one of an earlier plan or attempt that {@link #recall} did not take. */
    private void forget() {
        if (!tools.stateGet().getOrDefault(STORE_KEY, "").isEmpty()) {
            tools.stateSet(Map.of(STORE_KEY, ""));
        }
    }
}
