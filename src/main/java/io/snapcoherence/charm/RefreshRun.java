package io.snapcoherence.charm;

import io.snapcoherence.coherence.Failure;
import io.snapcoherence.coherence.HealthGate;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One unit's refresh for a plan, as snapd changes: a refresh change per target, followed until snapd says
 * {@code Done}, then verification (installed revision, enabled services active), and with {@code on-failure=revert}
 * a revert change per snap this attempt refreshed. Every snapd problem becomes a report or a wait, never an
 * exception.
 *
 * <p>A unit is refreshing until each of its changes is ready. Starting a change returns at once (the changes of
 * several snaps run side by side in snapd); a hook then waits for them at most {@link #HOOK_WAIT} in all, and a
 * change that takes longer goes on in snapd while the unit stays granted and not done, and its next hook follows
 * it by the id kept in the unit store ({@link RefreshMemory}). A change that ends in {@code Error} (or
 * {@code Undone}, {@code Hold}) is a failure reported with snapd's own error text, as is a refresh snapd refuses
 * outright (a revision it cannot get). A change snapd has not finished {@link #GIVE_UP} after it started is a
 * failure too. Anything that means "not now" (a conflicting change, the store or snapd unreachable, no answer in
 * time, an answer that cannot be read) is no failure: the unit waits and tries again on its next hook.
 */
final class RefreshRun {
    /** How long one hook waits for snapd's changes in all: a hook never blocks long. */
    static final Duration HOOK_WAIT = Duration.ofSeconds(40);
    /** A change snapd has not finished this long after the attempt's first one started is reported failed. */
    static final Duration GIVE_UP = Duration.ofMinutes(30);
    /**
     * The kinds of the changes this charm starts (daemon/api_snaps.go: {@code inst.Action + "-snap"}). A change of
     * such a kind found running on a snap this attempt must change is taken for the one a killed hook started and
     * followed; any other change of the snap (snapd's auto-refresh, the principal's {@code snap set}) is waited for.
     */
    static final Set<String> OWN_KINDS = Set.of("refresh-snap", "revert-snap");
    /** Longest snapd error text kept in a report: snapd lists one line per failed task. */
    static final int MAX_ERROR = 600;

    private final HookTools tools;
    private final UnitStore store;
    private final Snaps snaps;
    private final HealthCheck health;
    private final CharmConfig config;
    private final Clock clock;
    /** The latest state of each change read in this hook. */
    private final Map<String, Change> seen = new LinkedHashMap<>();

    RefreshRun(HookTools tools, UnitStore store, Snaps snaps, io.snapcoherence.kube.NodeHealth health, CharmConfig config,
               Clock clock) {
        this.health = new HealthCheck(health, store, config, clock);
        this.tools = tools;
        this.store = store;
        this.snaps = snaps;
        this.config = config;
        this.clock = clock;
    }

    /** How a hook's part of the run ended: with a report, with snapd still at work, or waiting for a condition. */
    sealed interface Result permits Finished, StillRunning, Gating, NotNow {
    }

    /** Reported: done, failed or reverted; {@code installed} as listed once every change was ready. */
    record Finished(Progress progress, Optional<Map<String, InstalledRevision>> installed) implements Result {
    }

    /** snapd is still at the changes of {@code targets} (reverts when {@code reverting}); nothing reported yet. */
    record StillRunning(List<Target> targets, Instant since, boolean reverting) implements Result {
        StillRunning {
            targets = List.copyOf(targets);
        }
    }

    /**
     * Every change {@code Done} and verified, and the node's health gate not passed yet ({@link HealthCheck}):
     * {@code targets} are the plan's targets on this node, which count at their last reported revisions meanwhile.
     */
    record Gating(List<Target> targets, io.snapcoherence.juju.Status status) implements Result {
        Gating {
            targets = List.copyOf(targets);
        }
    }

    /** Nothing running that this unit follows, and a condition that is not a failure keeps it from going on. */
    record NotNow(String reason, Instant since) implements Result {
    }

    /**
     * Runs this hook's part of the attempt. {@code refresh} are the targets not yet reached (as the unit reports its
     * machine), {@code verify} every target of the plan on this machine; with {@code followOnly} no change is
     * started (a halt or pause came while this unit's changes ran: they finish, nothing new begins).
     */
    Result run(Plan plan, List<Target> refresh, List<Target> verify, MachineReading reading, boolean followOnly) {
        Instant start = clock.instant();
        Instant deadline = start.plus(HOOK_WAIT);
        Optional<RefreshMemory> recalled = RefreshMemory.recall(store);
        recalled.filter(m -> !m.isFor(plan)).ifPresent(earlier -> AttemptLog.stopped(store, earlier,
                AttemptLog.replacedBy(earlier, plan), start));
        RefreshMemory memory = recalled.filter(m -> m.isFor(plan)).orElseGet(() -> RefreshMemory.fresh(plan, start));
        Optional<String> notNow = Optional.empty();
        Optional<Failure> failure = memory.failure();

        boolean announced = false;
        if (failure.isEmpty()) {
            for (Target target : verify) {
                String snap = target.snap();
                if (memory.changes().containsKey(snap)) {
                    continue;
                }
                Optional<Change> running = reading.inProgress(snap);
                if (running.isPresent()) {
                    if (OWN_KINDS.contains(running.get().kind())) {
                        memory = memory.withChange(snap, running.get().id(), start);
                    } else {
                        notNow = notNow.or(() -> Optional.of(busy(snap, running.get())));
                    }
                    continue;
                }
                if (followOnly || !refresh.contains(target)) {
                    continue; // on target with nothing running: verified below
                }
                if (target.channel().contains(MachineReading.SHORTENED)) {
                    failure = Optional.of(new Failure(snap, target.revision(), "refusing to pass the shortened channel \""
                            + target.channel() + "\" back to snapd"));
                    break;
                }
                if (!announced) {
                    tools.statusSet(UnitAgent.refreshing(plan, target));
                    announced = true;
                }
                try {
                    memory = memory.withChange(snap, snaps.startRefresh(snap, target.channel(), target.revision()),
                            start);
                } catch (SnapException e) {
                    if (e.error() instanceof SnapError.ChangeConflict conflict) {
                        Optional<Change> found = findOwn(snap);
                        if (found.isPresent()) {
                            memory = memory.withChange(snap, found.get().id(), start);
                        } else {
                            notNow = notNow.or(() -> Optional.of(conflict.describe()));
                        }
                    } else if (e.error() instanceof SnapError.NoUpdateAvailable) {
                        continue; // nothing for snapd to do: verification says whether it is on target
                    } else if (notNow(e.error())) {
                        // The store, snapd or its answer is unusable now, for every snap alike: asking again for the
                        // next target would only wait again (snapd retries an unreachable store for about 32 s).
                        notNow = notNow.or(() -> Optional.of(e.error().describe()));
                        break;
                    } else {
                        failure = Optional.of(new Failure(snap, target.revision(), e.error().describe()));
                        break;
                    }
                }
            }
        }

        // Follow this attempt's refresh changes, within what is left of the hook's wait.
        List<Target> running = new ArrayList<>();
        for (Target target : verify) {
            Optional<String> id = Optional.ofNullable(memory.changes().get(target.snap()));
            if (id.isEmpty()) {
                continue;
            }
            Optional<Change> change;
            try {
                change = awaited(id.get(), reading, deadline);
            } catch (SnapException e) {
                notNow = notNow.or(() -> Optional.of(e.error().describe()));
                running.add(target);
                continue;
            }
            if (change.isEmpty()) {
                // snapd no longer knows the change (pruned, or its state reset): its outcome is unknown, so the
                // next hook looks at the machine afresh rather than verifying now.
                memory = memory.withoutChange(target.snap());
                notNow = notNow.or(() -> Optional.of("snapd no longer knows change " + id.get() + " of "
                        + target.snap()));
            } else if (!change.get().ready()) {
                running.add(target);
            } else if (!change.get().done() && failure.isEmpty()) {
                failure = Optional.of(new Failure(target.snap(), target.revision(), changeError(change.get())));
            }
        }
        if (!running.isEmpty()) {
            Optional<Instant> started = memory.started();
            boolean givenUp = started.map(at -> !Duration.between(at, clock.instant()).minus(GIVE_UP).isNegative())
                    .orElse(false);
            if (givenUp && failure.isEmpty()) {
                Target first = running.get(0);
                failure = Optional.of(new Failure(first.snap(), first.revision(), "snapd has not finished the refresh "
                        + GIVE_UP.toMinutes() + " minutes after it started (" + started.get() + ")"));
            }
            if (failure.isEmpty() || (config.onFailure() == CharmConfig.OnFailure.REVERT && !givenUp)) {
                // Still working: with on-failure=revert the changes still running must end before anything is
                // reverted, and a failure seen meanwhile is remembered for then.
                failure.map(memory::withFailure).orElse(memory).remember(store);
                return new StillRunning(running, memory.started().orElse(memory.since()), false);
            }
        }
        if (failure.isPresent()) {
            Set<String> stillRunning = new java.util.HashSet<>();
            running.forEach(t -> stillRunning.add(t.snap()));
            return failed(plan, memory.withFailure(failure.get()), deadline, reading, stillRunning);
        }
        if (notNow.isPresent()) {
            memory.remember(store);
            return new NotNow(notNow.get(), memory.since());
        }
        return verified(plan, verify, memory, deadline, reading, followOnly, refresh);
    }

    /** Every change ready and none failed: verify, unless this run only followed and targets are left. */
    private Result verified(Plan plan, List<Target> verify, RefreshMemory memory, Instant deadline,
                            MachineReading reading, boolean followOnly, List<Target> refresh) {
        List<InstalledSnap> after;
        List<SnapService> services;
        try {
            after = snaps.list();
            services = snaps.services();
        } catch (SnapException e) {
            // Nothing is reported from a machine read halfway.
            memory.remember(store);
            return new NotNow(e.error().describe(), memory.since());
        }
        Map<String, InstalledRevision> installed = UnitAgent.managed(after, config.snaps());
        if (followOnly && refresh.stream().anyMatch(t -> !memory.changes().containsKey(t.snap()))) {
            // A halt or pause stopped this attempt before every target started: nothing more to follow, nothing
            // to report; the unit waits with the others.
            AttemptLog.stopped(store, memory, "the rollout stopped (halt or pause) before every refresh started",
                    clock.instant());
            RefreshMemory.forget(store);
            return new NotNow("rollout stopped before every refresh started", memory.since());
        }
        Set<String> names = new java.util.HashSet<>();
        verify.forEach(t -> names.add(t.snap()));
        List<SnapService> ofTargets = services.stream().filter(s -> names.contains(s.snap())).toList();
        Optional<Failure> failure = UnitAgent.verify(verify, after, ofTargets);
        if (failure.isPresent()) {
            return failed(plan, memory.withFailure(failure.get()), deadline, reading, Set.of());
        }
        // Every target of the plan this node runs at its target revision, managed or not any more: Kubernetes on
        // the node has the last word on them. Not only what this attempt refreshed: a refresh whose hook was killed
        // before its commit leaves the machine on the target and no memory of it (seed 191899); the attempt before a
        // resume, or snapd's timer with hold=false, may have brought a snap onto its target unchecked (seed 199179).
        // Not only what config snaps manages now: a snap dropped from it while its refresh ran is still a change of
        // this plan on this node (seed 188), also after a resume, when the new attempt has no memory of that change
        // (seeds 225422, wide 167573). A revision is one snap's build for one architecture, so a target whose
        // revision the machine lists is one of its architecture. None of it is verified until the node answers
        // healthy for it.
        List<Target> changed = new ArrayList<>(verify);
        plan.targets().stream().filter(t -> !names.contains(t.snap())
                && after.stream().anyMatch(s -> s.name().equals(t.snap()) && s.revision() == t.revision()))
                .forEach(changed::add);
        HealthGate.Verdict gate = health.run(plan, changed, services, deadline,
                Optional.of(memory.started().orElse(memory.since()).plus(GIVE_UP)));
        if (gate instanceof HealthGate.Failed unhealthy) {
            return failed(plan, memory.withFailure(unhealthy.failure()), deadline, reading, Set.of());
        }
        if (gate instanceof HealthGate.Waiting waiting) {
            memory.remember(store);
            return new Gating(changed, HealthGate.checking(plan, waiting, "checked again on the next hook"));
        }
        // The done covers the snaps config manages and every target verified here (a snap dropped from snaps while
        // its refresh ran was refreshed and verified for the plan all the same): nothing else (Progress.covers).
        Set<String> covered = new java.util.TreeSet<>(config.snaps());
        changed.forEach(t -> covered.add(t.snap()));
        Progress done = Progress.done(plan, covered);
        AttemptLog.ended(store, memory, done, clock.instant());
        RefreshMemory.forget(store);
        return new Finished(done, Optional.of(installed));
    }

    /**
     * A failure of this attempt. With {@code on-failure=revert}, each snap whose refresh change this attempt made
     * and that is now on its target is reverted, as a change followed like the refreshes (a refresh that never got
     * there is not "reverted" to whatever came before it; one that snapd undid is back already).
     */
    private Result failed(Plan plan, RefreshMemory memory, Instant deadline, MachineReading reading,
                          Set<String> stillRunning) {
        Failure failure = memory.failure().orElseThrow();
        Optional<List<InstalledSnap>> listed = listQuietly();
        // Reverts this attempt started are followed to their end and remembered whatever on-failure says now: an
        // operator who sets it to halt while they run stops new reverts, not snapd's, and a machine on a revision
        // it reverted to must leave that snap out of its view (Reverted; seed 162402: forgotten, the unit told the
        // revision it went back to as what the store serves, and the leader planned from it).
        boolean revertsStarted = !memory.reverts().isEmpty();
        boolean revertsAsked = config.onFailure() == CharmConfig.OnFailure.REVERT;
        if (!revertsAsked && !revertsStarted || !stillRunning.isEmpty()) {
            // Reported now, so the rollout halts without waiting for this unit's other changes; those still
            // running count at their last reported revision until snapd has finished them.
            Reverted.remember(store, wentBack(plan, memory, listed, reading, deadline, stillRunning));
            Progress failed = Progress.failed(plan, Phase.FAILED, failure);
            AttemptLog.ended(store, memory, failed, clock.instant());
            RefreshMemory.forget(store);
            return new Finished(failed, listed.map(l -> {
                Map<String, InstalledRevision> installed = new java.util.TreeMap<>(managed(l));
                stillRunning.forEach(snap -> Optional.ofNullable(reading.settled().get(snap))
                        .ifPresent(rev -> installed.put(snap, rev)));
                return installed;
            }));
        }
        List<String> problems = new ArrayList<>();
        List<Target> reverting = new ArrayList<>();
        boolean reverted = !memory.reverts().isEmpty();
        for (Map.Entry<String, String> change : memory.changes().entrySet()) {
            String snap = change.getKey();
            Optional<Target> planned = plan.targets().stream().filter(t -> t.snap().equals(snap)).findFirst();
            if (planned.isEmpty()) {
                continue;
            }
            int target = planned.get().revision();
            if (!memory.reverts().containsKey(snap)) {
                if (!revertsAsked) {
                    continue;
                }
                boolean onTarget = listed.map(l -> l.stream().anyMatch(s -> s.name().equals(snap)
                        && s.revision() == target)).orElse(false);
                boolean refreshedNow;
                try {
                    refreshedNow = awaited(change.getValue(), reading, deadline).map(Change::done).orElse(false);
                } catch (SnapException e) {
                    refreshedNow = false;
                }
                if (!onTarget || !refreshedNow) {
                    continue;
                }
                try {
                    memory = memory.withRevert(snap, snaps.startRevert(snap));
                    reverted = true;
                } catch (SnapException e) {
                    problems.add(snap + ": " + e.error().describe());
                    continue;
                }
            }
            String id = memory.reverts().get(snap);
            try {
                Optional<Change> revert = awaited(id, reading, deadline);
                if (revert.isPresent() && !revert.get().ready()) {
                    reverting.add(planned.get());
                } else if (revert.isPresent() && !revert.get().done()) {
                    problems.add(snap + ": " + changeError(revert.get()));
                }
            } catch (SnapException e) {
                reverting.add(planned.get());
            }
        }
        if (!reverting.isEmpty()) {
            Optional<Instant> started = memory.started();
            boolean givenUp = started.map(at -> !Duration.between(at, clock.instant()).minus(GIVE_UP).isNegative())
                    .orElse(false);
            if (!givenUp) {
                memory.remember(store);
                return new StillRunning(reverting, memory.started().orElse(memory.since()), true);
            }
            reverting.forEach(t -> problems.add(t.snap() + ": revert not finished after " + GIVE_UP.toMinutes()
                    + " minutes"));
        }
        RefreshMemory.forget(store);
        Failure reported = problems.isEmpty() ? failure : new Failure(failure.snap(), failure.revision(),
                failure.error() + "; revert failed: " + String.join("; ", problems));
        Optional<Map<String, InstalledRevision>> after = listQuietly().map(this::managed);
        // snapd now hides the reverted-from revisions from this machine's refresh candidates (Reverted).
        Map<String, Integer> revertedTo = new java.util.TreeMap<>();
        memory.reverts().keySet().forEach(snap -> after.map(a -> a.get(snap))
                .ifPresent(rev -> revertedTo.put(snap, rev.revision())));
        if (memory.reverts().isEmpty()) {
            revertedTo.putAll(wentBack(plan, memory, listed, reading, deadline, Set.of()));
        }
        Reverted.remember(store, revertedTo);
        Progress failed = Progress.failed(plan, reverted ? Phase.REVERTED : Phase.FAILED, reported);
        AttemptLog.ended(store, memory, failed, clock.instant());
        return new Finished(failed, after);
    }

    /**
     * Snaps whose refresh change of this attempt ended {@code Done} and that are off their target now, with no change
     * of theirs in progress: they went back after the refresh, by a revert (this charm's, started in a hook killed
     * before its commit, which lost the revert's id, or one by hand). snapd blocks the revision a revert went back
     * from either way, so the machine must leave them out of its view like the charm's own reverts (seed 2383: a
     * lost revert told the revision it went back to as what the store serves, a check round each time, for good).
     */
    private Map<String, Integer> wentBack(Plan plan, RefreshMemory memory, Optional<List<InstalledSnap>> listed,
                                          MachineReading reading, Instant deadline, Set<String> stillRunning) {
        Map<String, Integer> back = new java.util.TreeMap<>();
        if (listed.isEmpty()) {
            return back;
        }
        for (Map.Entry<String, String> change : memory.changes().entrySet()) {
            String snap = change.getKey();
            if (stillRunning.contains(snap) || memory.reverts().containsKey(snap)) {
                continue;
            }
            Optional<Integer> target = plan.targets().stream().filter(t -> t.snap().equals(snap))
                    .map(Target::revision).findFirst();
            Optional<Integer> now = listed.get().stream().filter(i -> i.name().equals(snap))
                    .map(InstalledSnap::revision).findFirst();
            if (target.isEmpty() || now.isEmpty() || plan.targets().stream()
                    .anyMatch(t -> t.snap().equals(snap) && t.revision() == now.get())) {
                continue;
            }
            boolean refreshed;
            try {
                refreshed = awaited(change.getValue(), reading, deadline).map(Change::done).orElse(false);
            } catch (SnapException e) {
                refreshed = false;
            }
            if (refreshed && reading.inProgress(snap).isEmpty()) {
                back.put(snap, now.get());
            }
        }
        return back;
    }

    /** The change as read this hook, or awaited within what is left of the hook's wait when not ready. */
    private Optional<Change> awaited(String id, MachineReading reading, Instant deadline) {
        Optional<Change> change = Optional.ofNullable(seen.get(id)).or(() -> reading.followed(id))
                .or(() -> MachineReading.follow(snaps, id));
        if (change.isPresent() && !change.get().ready()) {
            Duration left = Duration.between(clock.instant(), deadline);
            if (!left.isNegative() && !left.isZero()) {
                change = Optional.of(snaps.await(id, left));
            }
        }
        change.ifPresent(c -> seen.put(id, c));
        return change;
    }

    /** A change of this charm's kinds running on the snap (a killed hook's, whose id was lost). */
    private Optional<Change> findOwn(String snap) {
        try {
            return snaps.changesInProgress(snap).stream().filter(c -> OWN_KINDS.contains(c.kind())).findFirst();
        } catch (SnapException e) {
            return Optional.empty();
        }
    }

    private Optional<List<InstalledSnap>> listQuietly() {
        try {
            return Optional.of(snaps.list());
        } catch (SnapException e) {
            return Optional.empty();
        }
    }

    private Map<String, InstalledRevision> managed(List<InstalledSnap> listed) {
        return UnitAgent.managed(listed, config.snaps());
    }

    /** Conditions that mean "not now": decided by the error's type, never by its words. */
    static boolean notNow(SnapError error) {
        return error.isTransient() || error instanceof SnapError.BadResponse;
    }

    private static String busy(String snap, Change change) {
        return "snap \"" + snap + "\" has \"" + change.kind() + "\" change in progress";
    }

    /** snapd's own words for a change that did not end Done, on one line and bounded. */
    static String changeError(Change change) {
        String text = change.error().map(e -> e.strip().replaceAll("\\s*\\n\\s*", " "))
                .filter(e -> !e.isEmpty()).orElse("snapd change " + change.id() + " ended " + change.status());
        return text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR - 3) + "...";
    }
}
