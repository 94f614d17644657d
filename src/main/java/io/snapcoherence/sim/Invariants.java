package io.snapcoherence.sim;

import io.snapcoherence.charm.CharmConfig;
import io.snapcoherence.charm.ProxyRegistration;
import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Planner;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.InstalledSnap;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rollout's safety and liveness rules, checked after every step of a {@link SimulatedModel} against ground
 * truth: the machines (what snapd installed, every refresh attempt, failed ones included) and the model (which units
 * exist, who leads, what the databags hold). The charm's own view (what its leader has seen, what its units read) is
 * never what a rule is judged by, except where a rule is about what it reports (I3's "blocked", I9's halt).
 * A hook acts on the view it took when it started (a hook that takes time acts on an older one): rules about what a
 * unit may do are judged as of that view, and nothing else is excused. Definitions at the edges:
 * <dl>
 * <dt>I1 control plane first</dt><dd>When a worker makes a refresh attempt to a revision of the active plan
 *   (the one active before the step if it names the revision: a leader may complete it and write the next in one
 *   hook), every control-plane unit that was in the relation when the worker's hook started (its agent had entered
 *   the peer scope, so every agent is told of it), and is alive on a machine that is up, has every plan target whose
 *   snap and channel it has installed, with no change of those snaps in progress (snapd links a revision before the
 *   change is done and may still undo it), or was on them since the plan and only snapd's own timer moved it since
 *   ({@code hold=false}: a worker reads it as of its last hook for it, on the targets). One that the leader has not seen join, and that entered in that same
 *   round or that the worker's hook did not list either (Juju runs the application's -changed, which brings a grant,
 *   before the -joined hooks), could not have been known to the worker: neither its grant, nor the leader's tally,
 *   nor its own view held it (docs/protocol.md, "Guarantees"). Every other one counts, whoever has seen it. Checked at the
 *   request, refused ones included, not at the change: a change snapd finishes after the hook stopped waiting may
 *   land after a control-plane unit joined.</dd>
 * <dt>I2 max-unavailable</dt><dd>A unit is unavailable from its first refresh attempt (successful or not) until
 *   the hook that made it has ended (a later hook that touches no snap holds it no longer: seed 207035) (or has done all it does on the machine and said so, its status saying its
 *   refresh is verified for the plan's attempt, on a machine that runs every service of its managed snaps and of
 *   the snaps it asked to refresh: only its commit is pending),
 *   snapd has finished every change of its machine's managed snaps and of the snaps it asked to refresh, managed
 *   or not any more (a change shows
 *   the new revision from link-snap on, before its services restart, and can still be undone), and its machine is
 *   on the active plan's targets, or back on the revisions it had before (nothing changed, or reverted, or undone by
 *   snapd), or on the targets as the charm left them (snapd's own timer moved snaps since, with {@code hold=false}:
 *   the unit counts done, docs/protocol.md "Done stays done"), or the plan it started for is no longer the active
 *   one, or it is removed. When a unit becomes
 *   unavailable, its tier has at most the {@code max-unavailable} in force when its hook started unavailable units,
 *   itself included: the window the app databag held in the hook's view (the leader puts a raised value in force
 *   at once and a lowered one once it can be kept), else the config the hook read; or the value in force as it
 *   starts, if higher (a unit keeping to the lower value its hook read may start beside one that started by the
 *   raised value meanwhile). Lowering the value does not make units already refreshing a violation; a unit
 *   starting above the value in force is one.</dd>
 * <dt>I3 end state</dt><dd>At quiescence every unit alive on a machine that is up has, for every managed snap, its
 *   store's current revision (the proxy's view with {@code proxy-url}, upstream's without), unless the operator
 *   paused the rollout, or it is halted (app databag {@code halt}) and the halted unit, if still alive, shows
 *   {@code blocked}, or no control-plane unit is left in the relation (control plane first: a plan waits for
 *   one, and none is made), or the control plane is not known because of a unit whose data cannot be read on a
 *   machine that is down, which the application status names (I9). A snap on a node left registered with a proxy
 *   while proxy-url is empty, which its status says, is not judged where no other unit of its architecture off
 *   any proxy runs it on that channel: nothing can tell what the store serves it there (a known limit).</dd>
 * <dt>I4 halt</dt><dd>Once a failed refresh attempt is reported (a committed hook of the unit that saw snapd fail
 *   wrote the failure of the plan's current attempt into its databag: the hook that saw it, or with
 *   {@code on-failure=revert} the one that saw its reverts end), no unit makes a refresh attempt until the operator
 *   takes the rollout out of its halt (a {@code resume}, or a {@code refresh} that replaces the halted plan,
 *   committed while the app databag held a halt and leaving none for that plan and attempt), except units that were
 *   unavailable at that moment (already inside their refresh) and hooks that took their view before the report;
 *   that operator action's own hook may refresh if it commits out of the halt. A failure counts even if its unit is
 *   removed later: it is news about the revision.</dd>
 * <dt>I5 nothing outside the plan</dt><dd>Every change of a managed snap's revision is either a charm refresh to
 *   a target (same snap, channel and revision, and the machine's own architecture: a revision number names one
 *   architecture's build) of the plan active before or after the step, or of the last plan, complete (a change
 *   requested under it may land after the leader completed it without the unit that left), or of the plan the
 *   leader's own hook was writing in that step (a leader plans and refreshes itself in one hook, which may be
 *   killed and its plan write lost; its retry writes the plan again), or a revert with
 *   {@code on-failure=revert}, or snapd undoing a failed change back to the revision before it;
 *   snapd's own timer changes no snap on a unit that has run {@code start}, and not yet a teardown hook (stop,
 *   remove, its container relation's -broken: the charm then releases its holds), while both the config in force
 *   and the one the unit's last hook acted on say {@code hold=true} and manage the snap (a config change reaches
 *   the machine with the unit's next hook; a hook killed while it ran acted on its config only where the one
 *   before agrees: it may have died before it reached snapd's holds, and its retry brings them), unless the
 *   machine's snapd is older than 2.58 and its refresh.hold had lapsed (snapd's 95-day cap), or the change was
 *   seen running while the snap was not to be held (snapd leaves held snaps out when its timer makes a change; a
 *   change made runs to its end).</dd>
 * <dt>I6 proxy first</dt><dd>With {@code proxy-url} set (in the config the hook read), at every refresh attempt
 *   the machine's {@code proxy.store} is the proxy's store id; and with {@code proxy-url} set, every target of
 *   every plan (one the leader's hook wrote, committed or not) is a revision the proxy served that architecture on
 *   that channel at some time: never one only upstream served, as a node off the proxy sees it.</dd>
 * <dt>I7 failover</dt><dd>Whoever leads: an active plan is never replaced before every running machine the
 *   writing leader has seen join reached it (one it has not is planned for later), unless the new plan keeps all
 *   its targets (a superset loses nothing) or the operator's {@code refresh} replaced it; plan ids never go back
 *   and a plan's targets never change; the app databag never stops being readable; a step that grants more units of a tier
 *   leaves at most two batches ({@link Planner#BATCHES_GRANTED} × the {@code max-unavailable} its hook read) granted
 *   in that tier (grants made before the value was lowered stand).</dd>
 * <dt>I8 departed grants</dt><dd>At quiescence no grant names a unit that is no longer alive (and I2 stops
 *   counting a unit the moment it is removed), unless the application status names it as out of the leader's
 *   view (a unit removed before the leader joined it, with nobody left who saw it go: leader rule 2).</dd>
 * <dt>I9 liveness</dt><dd>At quiescence (no fault left but machines that died, and an hour of model time given to a
 *   standing rollout: {@link Rehearsal#LIVENESS_WAIT}) a rollout has either completed (no active plan), or stands
 *   paused by the operator, or stands halted with a halt that names a unit of the model, which the application
 *   status names too. With no control-plane unit left in the relation, a plan cannot go on (control plane first)
 *   and may wait; so may a plan while the application status names a unit whose data cannot be read on a machine
 *   that is down (no unit can tell its role; only the operator, by removing it, can end that).</dd>
 * <dt>I10 soak</dt><dd>With config {@code soak} S: for each plan, the canary is the first control-plane unit
 *   that makes a refresh attempt to one of its targets (the next one, if it is removed before a committed soak
 *   entry named it, or before a committed entry showed its soak over and a later attempt of the plan is committed:
 *   the charm then soaks the next one). No other control-plane unit makes one before S after the
 *   refresh that put the canary on every target of that plan (the moment snapd linked its revision: the canary is
 *   done no sooner, and the leader starts the soak no sooner than it reads that; once a committed entry shows the
 *   canary's soak over, its last refresh before that: an ended soak stays ended, and a canary refreshed again
 *   after a resume soaks no second time); no worker makes one before S
 *   after the last refresh of that plan on a control-plane unit that was in the model when the plan's canary
 *   first attempted, while two or more control-plane units are alive (with one, its soak was the canary's; a unit
 *   that joined later refreshes without a soak of its own); and no unit but the canary makes one while the
 *   services of the plan's snaps for its machine are broken on the canary a soak entry named (the simulator
 *   breaks them only while its soak runs, before its end: the canary's check at the end must find them broken
 *   and halt the rollout).</dd>
 * <dt>I11 health gate</dt><dd>With config {@code health-checks} on, a unit never newly says done for the active
 *   plan's attempt (a {@code verified} status, a committed {@code done} progress, or a committed report the leader
 *   counts done by its revisions: every target on them and no failure of the plan standing, leader rule 3) while
 *   its node answers unhealthy ({@link SimulatedMachine#nodeSick}, ground truth) for a snap of the plan's targets
 *   serving a node endpoint that a charm refresh of the plan (any attempt: a resume repairs no node) changed on its
 *   machine and that the machine still runs at the plan's revision (one snapd's timer or a refresh by hand moved on
 *   since, unmanaged, is no longer the plan's change). A gate that fails is a failure, judged by I4 as any other.</dd>
 * </dl>
 */
public final class Invariants implements StepObserver {

    public enum Id { I1, I2, I3, I4, I5, I6, I7, I8, I9, I10, I11 }

    /**
     * A unit unavailable since its first attempt for a plan: its managed revisions before, and the snaps its hooks
     * asked snapd to refresh since (whose services the hook's {@code verified} status speaks for, managed or not
     * any more: a snap dropped from {@code snaps} while its refresh ran is still that refresh's).
     */
    private record Window(long planId, Map<String, InstalledRevision> before, Set<String> asked) {
        Window(long planId, Map<String, InstalledRevision> before) {
            this(planId, before, new HashSet<>());
        }
    }

    /** One attempt of one plan: what a failure report, and a halt, are about. */
    private record PlanAttempt(long plan, int attempt) {
        static PlanAttempt of(Plan plan) {
            return new PlanAttempt(plan.id(), plan.attempt());
        }
    }

    /** I11: per unit, the plan it refreshed for (the first attempt's) and the snaps its charm refreshes changed. */
    private final Map<String, Map.Entry<PlanAttempt, Set<String>>> refreshedForGate = new HashMap<>();
    /** I11: per unit, the plan attempt it last said done for (status verified, or progress done committed). */
    private final Map<String, PlanAttempt> saidDone = new HashMap<>();
    /** I11: per unit, the plan its committed report was last counted done by its revisions for. */
    private final Map<String, Long> countedDone = new HashMap<>();

    private final Set<Id> enabled;
    /** Units unavailable now: the plan they started for and their managed revisions before their first attempt. */
    private final Map<String, Window> unavailableSincePlan = new HashMap<>();
    /** The config each unit's last hook that ran to its end read (committed or not): what its holds follow. */
    private final Map<String, Map<String, Object>> appliedConfig = new HashMap<>();
    /**
     * Per unit, the configs of its hooks killed while they ran since its last hook that ran to its end: each made
     * the snapd requests it got to, so its holds are the applied config's, this one's, or partly either (seed 344832).
     */
    private final Map<String, List<Map<String, Object>>> killedSinceApplied = new HashMap<>();
    /**
     * Units whose reverts may be the charm's: a hook of theirs read on-failure=revert, and none since read halt with
     * no change of a managed snap left running (a revert started under revert runs on in snapd).
     */
    private final Set<String> mayRevert = new HashSet<>();
    private final Set<String> started = new HashSet<>();
    private final Set<String> plansSourced = new HashSet<>();
    /** "unit snap" of changes of snapd's timer seen running while the unit was not to hold the snap (I5). */
    private final Set<String> autoBegunUnheld = new HashSet<>();
    /**
     * Per unit, the plans it made a refresh attempt for: a failure it reports counts in I2 only for such a plan (a
     * unit snapd's timer moved onto the targets, failing its verification, made no attempt: seed wide 25).
     */
    private final Map<String, Set<Long>> attemptedFor = new HashMap<>();
    /**
     * Units inside a hook that touched their machine's snaps (a refresh attempt, a change read, a revert): the hook
     * that makes a unit unavailable keeps it so until it ends (I2). A later hook that touches nothing keeps no unit
     * unavailable by running (seed 207035).
     */
    private final Set<String> inHookOnSnaps = new HashSet<>();
    /** Units whose committed databag reports a failure (not reverted) of the plan attempt named: they count in I2. */
    private final Map<String, PlanAttempt> failed = new HashMap<>();
    /** A reported failure of a plan attempt that has not halted it yet, and the unit that reported it (I4). */
    private final Map<PlanAttempt, String> unhalted = new HashMap<>();
    private Optional<PlanAttempt> lastAttempt = Optional.empty();
    private final Set<String> tornDown = new HashSet<>();
    /**
     * Per unit, the snaps snapd's own timer moved since the charm last changed them, and the revision each had
     * before: what the charm's refreshes left there (see {@link #settledOn}).
     */
    private final Map<String, Map<String, Integer>> movedBySnapd = new HashMap<>();
    /**
     * Per unit, the plan whose targets its machine was seen on, kept while nothing but snapd's own
     * timer has changed its snaps since: the timer may have put it there and moved it off again, and a worker's view
     * of it (read as of its last hook for it) shows it on the targets (I1, seed 137465).
     */
    private final Map<String, Long> onTargetsTillTimer = new HashMap<>();
    /** An operator action's hook that refreshed while halted: allowed if, and only if, it commits out of the halt. */
    private Optional<String> refreshedInOperatorAction = Optional.empty();
    /** The plan and attempt the committed app databag's halt stopped, if it held one before this step. */
    private Optional<Plan> haltStanding = Optional.empty();
    private Map<Role, Set<String>> grantedBefore = Map.of();
    private Optional<Plan> lastPlan = Optional.empty();
    /** The halted plan an operator's refresh waiting in the committed app databag replaces, if any (I7). */
    private Optional<Long> replacingBefore = Optional.empty();
    private Optional<Plan> activeBefore = Optional.empty();
    private long checks;
    /** I10: per plan id, its canary, the canary's last refresh, the last refresh on the first control plane. */
    private final Map<Long, String> canaryOf = new HashMap<>();
    private final Map<Long, Long> canaryRound = new HashMap<>();
    private final Map<Long, java.time.Instant> canaryDoneAt = new HashMap<>();
    private final Map<Long, java.time.Instant> controlPlaneDoneAt = new HashMap<>();
    /** I10: per plan id, the canary a committed soak entry named. */
    private final Map<Long, String> soakedCanary = new HashMap<>();
    /** I10: per plan id, the latest attempt of a committed canary entry that named it. */
    private final Map<Long, Integer> soakedCanaryAttempt = new HashMap<>();
    /** I10: per plan id, whether a committed entry showed its canary's soak over (ended, or the control plane's). */
    private final Set<Long> canarySoakOver = new HashSet<>();
    /** I10: per plan id, canaries that left before their soak was over and were replaced after a resume. */
    private final Map<Long, Set<String>> noLongerCanary = new HashMap<>();
    /** I10: per plan id, the canary's last refresh before its soak was seen over. */
    private final Map<Long, java.time.Instant> canarySoakedFrom = new HashMap<>();
    /** I10: per control-plane unit, when a charm refresh last changed its machine. */
    private final Map<String, java.time.Instant> lastRefreshAt = new HashMap<>();
    private Map<String, String> decodedAppData;
    private Optional<RolloutState> decodedRollout = Optional.empty();
    private Map<String, Object> parsedConfigSource;
    private Optional<CharmConfig> parsedConfig = Optional.empty();
    private Map<String, Object> parsedViewSource;
    private Optional<CharmConfig> parsedView = Optional.empty();

    public Invariants(Set<Id> enabled) {
        this.enabled = enabled.isEmpty() ? EnumSet.noneOf(Id.class) : EnumSet.copyOf(enabled);
    }

    public static Invariants all() {
        return new Invariants(EnumSet.allOf(Id.class));
    }

    public Set<Id> enabled() {
        return Set.copyOf(enabled);
    }

    public long checks() {
        return checks;
    }

    @Override
    public void afterStep(SimulatedModel model, Step step) {
        checks++;
        Optional<CharmConfig> config = config(model);
        if (config.isEmpty()) {
            return;
        }
        SimUnit unit = model.unit(step.unit());
        if (step.hook().equals("start") && step.committed()) {
            started.add(unit.name());
        }
        if (teardown(step.hook())) {
            tornDown.add(unit.name()); // from its first teardown hook on, the unit releases its holds
        }
        if (step.hookRan() && step.started()) {
            if (step.killed()) {
                killedSinceApplied.computeIfAbsent(unit.name(), u -> new ArrayList<>()).add(step.viewConfig());
            } else {
                appliedConfig.put(unit.name(), step.viewConfig());
                killedSinceApplied.remove(unit.name());
            }
            if (viewConfig(step).map(c -> c.onFailure() == CharmConfig.OnFailure.REVERT).orElse(false)) {
                mayRevert.add(unit.name());
            } else if (!changing(unit, config.get())) {
                mayRevert.remove(unit.name());
            }
        }
        Optional<RolloutState> rollout = rollout(model);
        Optional<Plan> active = rollout.flatMap(RolloutState::activePlan);
        Set<Plan> plansOfStep = new HashSet<>();
        active.ifPresent(plansOfStep::add);
        activeBefore.ifPresent(plansOfStep::add);
        // The last plan, complete: a change requested under it can land after it completed (the unit left while
        // its change ran, and the leader completed the plan without it).
        rollout.flatMap(RolloutState::plan).ifPresent(plansOfStep::add);
        if (!step.appDataWritten().isEmpty()
                && PeerCodec.decodeApp("hook", step.appDataWritten()) instanceof PeerCodec.AppReading.Read pending) {
            pending.state().plan().ifPresent(plansOfStep::add);
            if (active.isEmpty()) {
                active = pending.state().activePlan();
            }
        }
        Optional<Plan> before = activeBefore;
        activeBefore = rollout.flatMap(RolloutState::activePlan);
        plansOfStep.forEach(plan -> checkPlanSource(model, plan, step));
        checkPlanContinuity(model, rollout, step);
        // Out of the halt: none now, or a halt of another plan or attempt (a resumed attempt failed again).
        Optional<Plan> haltNow = rollout.filter(r -> r.halt().isPresent()).flatMap(RolloutState::plan);
        boolean haltLeft = haltStanding.isPresent() && leavesHalt(step.hook()) && step.committed()
                && !haltNow.map(p -> p.id() == haltStanding.get().id() && p.attempt() == haltStanding.get().attempt())
                .orElse(false);
        haltStanding = haltNow;
        if (step.hookRan() && step.started() && (!step.attempts().isEmpty()
                || step.events().stream().anyMatch(e -> e.cause() != RefreshEvent.Cause.AUTO))) {
            inHookOnSnaps.add(unit.name());
        }
        for (ObservedMachine.Attempt attempt : step.attempts()) {
            onAttempt(model, unit, attempt, step, config.get(), active, before);
        }
        if (leavesHalt(step.hook()) && step.finished()
                && refreshedInOperatorAction.filter(step.unit()::equals).isPresent()) {
            refreshedInOperatorAction = Optional.empty();
            if (!haltLeft && on(Id.I4)) {
                throw new InvariantViolation("I4", step.unit() + " refreshed in a " + step.hook()
                        + " that did not take the rollout out of its halt");
            }
        }
        for (RefreshEvent event : step.events()) {
            onRevisionChange(model, unit, event, config.get(), forChange(targetOf(event, unit), before, active),
                    plansOfStep);
            Map<String, Integer> moved = movedBySnapd.computeIfAbsent(unit.name(), u -> new HashMap<>());
            if (event.cause() == RefreshEvent.Cause.AUTO) {
                moved.putIfAbsent(event.snap(), event.fromRevision());
            } else {
                moved.remove(event.snap());
                onTargetsTillTimer.remove(unit.name());
            }
        }
        if (on(Id.I10)) {
            checkSoak(model, unit, step, config.get(), active, before);
        }
        if (on(Id.I11)) {
            checkHealthGate(model, unit, step, config.get(), active);
        }
        active.ifPresent(plan -> model.liveUnits().stream()
                .filter(u -> plan.reachedBy(u.machine().architecture(), installed(u)) && !u.machine().changesRunning())
                .forEach(u -> onTargetsTillTimer.put(u.name(), plan.id())));
        onReports(model, unit, step, rollout);
        closeWindows(model, step, active, config.get());
        if (step.hookRan() && step.finished() || !unit.alive()) {
            inHookOnSnaps.remove(unit.name());
        }
        noteAutoRefreshesUnheld(model, config.get());
    }

    /** The end-state rules (I9, I8, I3), for a model that has become quiet. */
    public void checkQuiescent(SimulatedModel model) {
        Optional<CharmConfig> config = config(model);
        Optional<RolloutState> rollout = rollout(model);
        if (config.isEmpty()) {
            return;
        }
        // Every control-plane unit gone from the relation: control plane first leaves a plan nowhere to go.
        boolean controlPlaneLeft = model.units().stream().anyMatch(u -> u.role() == Role.CONTROL_PLANE && u.alive());
        // A unit whose data the charm cannot read, on a machine that is down, named in the application status: the
        // control plane is not known while it stays, and only the operator can end that (remove the unit).
        Optional<String> unreadableDead = unreadableOnDeadMachine(model);
        if (on(Id.I9) && rollout.isPresent() && rollout.get().activePlan().isPresent() && !rollout.get().paused()
                && controlPlaneLeft && unreadableDead.isEmpty()) {
            long plan = rollout.get().activePlan().get().id();
            String status = model.appStatus().message();
            Optional<String> named = rollout.get().halt().map(io.snapcoherence.coherence.Halt::unit)
                    .filter(unit -> model.units().stream().anyMatch(u -> u.name().equals(unit)));
            if (named.isEmpty()) {
                throw new InvariantViolation("I9", "rollout of plan " + plan + " stands, neither complete nor halted "
                        + "on a named unit (halt: " + rollout.get().halt().map(h -> h.unit() + " " + h.reason())
                        .orElse("none") + "; app status: " + model.appStatus() + ")");
            }
            if (!status.contains(named.get())) {
                throw new InvariantViolation("I9", "rollout of plan " + plan + " halted on " + named.get()
                        + " but the application status does not say so: " + model.appStatus());
            }
        }
        if (on(Id.I8) && rollout.isPresent()) {
            for (String granted : rollout.get().grants()) {
                SimUnit unit = model.unit(granted);
                // A unit removed before the leader ran its -joined hook for it gets no -departed there either
                // (Juju's uniter runs -departed only for a unit
                // it joined: relation/resolver.go nextHookForRelation), and when no unit that saw it go is left
                // to report it (`left`), the leader cannot tell it from one that has not joined yet (leader rule
                // 2): it keeps the grant and its status names the unit as out of its view (seed 164371). Accepted
                // only so named; resume frees it once its watch has run out.
                String status = model.appStatus().message();
                boolean namedOutOfView = status.contains("waiting for granted " + granted + ",")
                        || status.contains("waiting for granted " + granted + " ")
                        || status.contains("granted " + granted + " not in the relation for")
                        || status.contains(granted + " granted, not in the relation for");
                if (!unit.alive() && !namedOutOfView) {
                    throw new InvariantViolation("I8", "grant of departed unit " + granted + " was never freed");
                }
            }
        }
        if (on(Id.I3)) {
            if (rollout.map(RolloutState::paused).orElse(false)) {
                return; // paused by the operator: the rollout stands as asked
            }
            if (!controlPlaneLeft) {
                return; // no control plane in the relation: a plan waits for one, and none is made (I9)
            }
            if (unreadableDead.isPresent()) {
                return; // the control plane is not known until the operator removes that unit (I9)
            }
            boolean halted = rollout.flatMap(RolloutState::halt).isPresent();
            if (halted) {
                String haltedUnit = rollout.get().halt().orElseThrow().unit();
                Optional<SimUnit> failed = model.units().stream().filter(u -> u.name().equals(haltedUnit)).findFirst();
                if (failed.isPresent() && failed.get().running() && failed.get().status().kind() != Status.Kind.BLOCKED) {
                    throw new InvariantViolation("I3", "rollout halted on " + haltedUnit + " but it shows "
                            + failed.get().status());
                }
                return;
            }
            SimulatedStore.View view = config.get().proxyUrl().isPresent() ? SimulatedStore.View.PROXY
                    : SimulatedStore.View.UPSTREAM;
            for (SimUnit unit : model.liveUnits()) {
                if (!unit.machineUp()) {
                    continue; // a machine that died refreshes nothing: I9 asks that the rollout says so
                }
                for (InstalledSnap snap : unit.machine().installedSnaps()) {
                    if (!config.get().snaps().contains(snap.name())) {
                        continue;
                    }
                    Optional<Integer> head = model.store().revision(view, unit.machine().architecture(),
                            snap.name(), snap.tracking());
                    if (head.isPresent() && head.get() != snap.revision()
                            && !leftRegisteredAlone(model, unit, snap, config.get())) {
                        throw new InvariantViolation("I3", unit.name() + " ended on " + snap.name() + " "
                                + snap.revision() + " but " + snap.tracking() + " serves " + head.get()
                                + ", and the rollout is not halted (unit status: " + unit.status() + ")");
                    }
                }
            }
        }
    }

    /**
     * A unit whose node stays registered with a proxy while proxy-url is empty, by a registration the charm cannot
     * know as its own (the model's snap-store-proxy, an operator's {@code snap set}), that says so in its status, and
     * that is the only unit of its architecture running {@code snap} on that channel: its snapd asks that proxy, so
     * it reports no view, and no other unit can tell what the store serves that architecture there (docs/protocol.md,
     * "Known limits"). Where another unit of its architecture can look, the snap is planned and this unit refreshes
     * to the plan like any other, so it is judged as any other. A registration the charm can know as its own (an
     * intent naming that store in its charm directory, or its committed unit store remembering it set it) is never
     * accepted: the charm undoes it when proxy-url is emptied (seed 212241, whose registration was made by a hook
     * killed before its commit, holds without this rule since the intent).
     */
    private static boolean leftRegisteredAlone(SimulatedModel model, SimUnit unit, InstalledSnap snap,
                                               CharmConfig config) {
        if (config.proxyUrl().isPresent()) {
            return false;
        }
        String store = unit.machine().systemConfig().getOrDefault("proxy.store", "");
        if (store.isEmpty() || knownAsTheCharms(unit, store) || !unit.status().message().contains("proxy.store is " + store
                + " while proxy-url is empty")) {
            return false;
        }
        return model.liveUnits().stream().filter(other -> other != unit && other.machineUp()
                        && other.machine().architecture().equals(unit.machine().architecture())
                        && other.machine().systemConfig().getOrDefault("proxy.store", "").isEmpty())
                .noneMatch(other -> other.machine().installedSnaps().stream().anyMatch(
                        s -> s.name().equals(snap.name()) && s.tracking().equals(snap.tracking())));
    }

    /** Ground truth of what the charm can know it set: the intent file on the machine, the committed unit store. */
    private static boolean knownAsTheCharms(SimUnit unit, String store) {
        Map<String, String> intent = jsonFields(unit.machine().charmFiles()
                .getOrDefault(ProxyRegistration.INTENT_FILE, ""));
        Map<String, String> remembered = jsonFields(unit.unitStore()
                .getOrDefault(ProxyRegistration.REMEMBERED_KEY, ""));
        return store.equals(intent.get("store-id"))
                || store.equals(remembered.get("store-id")) && "true".equals(remembered.get("set-by-charm"));
    }

    private static Map<String, String> jsonFields(String text) {
        try {
            return io.snapcoherence.Json.stringMap(text);
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    private void onAttempt(SimulatedModel model, SimUnit unit, ObservedMachine.Attempt attempt, Step step,
                           CharmConfig config, Optional<Plan> active, Optional<Plan> before) {
        if (on(Id.I6) && attempt.requested() && viewConfig(step).flatMap(CharmConfig::proxyUrl).isPresent()) {
            String store = unit.machine().systemConfig().getOrDefault("proxy.store", "");
            if (!store.equals(model.store().storeId())) {
                throw new InvariantViolation("I6", unit.name() + " refreshed " + attempt.snap()
                        + " while proxy.store is \"" + store + "\", not the proxy's " + model.store().storeId());
            }
        }
        if (attempt.result() == ObservedMachine.Result.CHANGE_FAILED) {
            return; // not a request: a change the charm read in failure (reported when a hook of it commits)
        }
        if (on(Id.I1) && unit.role() == Role.WORKER && attempt.result() != ObservedMachine.Result.BUSY) {
            Target asked = new Target(attempt.snap(), attempt.channel(), unit.machine().architecture(),
                    attempt.revision());
            Optional<Plan> plan = forChange(asked, before, active).filter(p -> names(p, asked));
            if (plan.isPresent()) {
                checkControlPlaneOn(model, unit, asked, plan.get(), step);
            }
        }
        if (attempt.result() != ObservedMachine.Result.BUSY) {
            Optional<String> stop = stopInView(step.peerView());
            if (stop.isPresent() && leavesHalt(step.hook())) {
                refreshedInOperatorAction = Optional.of(unit.name()); // judged when the action ends: out of the halt?
            } else if (stop.isPresent() && on(Id.I4)) {
                throw new InvariantViolation("I4", unit.name() + " started refreshing " + attempt.snap()
                        + " while its view showed " + stop.get());
            }
        }
        // The plan the refresh is for: a leader may refresh itself for a plan, complete it and write the next in
        // one hook.
        Target asked = new Target(attempt.snap(), attempt.channel(), unit.machine().architecture(),
                attempt.revision());
        long plan = forChange(asked, before, active).map(Plan::id).orElse(0L);
        attemptedFor.computeIfAbsent(unit.name(), u -> new HashSet<>()).add(plan);
        if (!unavailableSincePlan.containsKey(unit.name())) {
            unavailableSincePlan.put(unit.name(), new Window(plan, beforeStep(unit, step)));
            checkUnavailable(model, unit, step, "started");
        }
        unavailableSincePlan.get(unit.name()).asked().add(attempt.snap());
    }

    /**
     * What in a hook's view stops a refresh (I4): the halt in the app databag it read, or a failure of the plan's
     * current attempt that a unit's data it reads reports (the unit's own, a peer's, or one a peer witnessed).
     */
    private static Optional<String> stopInView(PeerView view) {
        if (!(PeerCodec.decodeApp("view", view.app()) instanceof PeerCodec.AppReading.Read read)) {
            return Optional.empty();
        }
        Optional<Plan> plan = read.state().activePlan();
        if (plan.isEmpty()) {
            return Optional.empty();
        }
        String of = " (plan " + plan.get().id() + " attempt " + plan.get().attempt() + ")";
        if (read.state().halt().isPresent()) {
            return Optional.of("the halt on " + read.state().halt().get().unit() + " in the app databag" + of);
        }
        for (Map.Entry<String, Map<String, String>> entry : view.units().entrySet()) {
            if (PeerCodec.decodeUnit(entry.getKey(), entry.getValue())
                    instanceof io.snapcoherence.coherence.UnitReading.Reported reported) {
                Optional<io.snapcoherence.coherence.Halt> failure = reported.report().failureOf(plan.get());
                if (failure.isPresent()) {
                    return Optional.of("the failure of " + failure.get().unit() + " in " + entry.getKey()
                            + "'s data" + of);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Failures as committed databags report them (ground truth: a report another unit can read). A failure (not
     * reverted) of the active plan's current attempt keeps its unit unavailable (I2) until a resume or a replacing
     * plan; and every reported failure must halt its attempt before the plan moves on (I4): completes, is replaced,
     * or is resumed. A failure of a unit removed later is still news about the revision.
     */
    private void onReports(SimulatedModel model, SimUnit unit, Step step, Optional<RolloutState> rollout) {
        Optional<Plan> active = rollout.flatMap(RolloutState::activePlan);
        Optional<PlanAttempt> now = active.map(PlanAttempt::of);
        failed.entrySet().removeIf(e -> !model.unit(e.getKey()).alive() || !now.equals(Optional.of(e.getValue())));
        if (step.hookRan() && step.finished() && step.committed() && active.isPresent()) {
            Optional<io.snapcoherence.coherence.Progress> failure = report(model, unit)
                    .flatMap(io.snapcoherence.coherence.UnitReport::progress)
                    .filter(p -> p.failedAttemptOf(active.get()));
            // A unit being removed may report its failure after every peer has run its -departed hook for it:
            // from then on no agent reads its data (Juju drops a departed unit from every relation-list), so
            // nobody can learn of that failure; its machine is going away. Not a failure the rollout could halt on.
            // (A peer inside a slow -departed hook for it read the model before the report.)
            boolean readable = unit.alive() || model.units().stream().anyMatch(u -> !u.gone() && u != unit
                    && u.peersSeen().contains(unit.name()) && !u.departingInFlight(unit.name()));
            if (failure.isPresent() && readable) {
                unhalted.putIfAbsent(now.get(), unit.name());
                boolean attempted = attemptedFor.getOrDefault(unit.name(), Set.of()).contains(active.get().id());
                // A failure on a snap snapd's own timer moved since the charm's refresh (a soak's check finding the
                // machine off the revision the charm put there) is the timer's doing: like the timer's moves
                // themselves (settledOn), no rule can pace it, and a soak checks every control-plane unit at once
                // (wide seed 193887: two units the timer moved found so in one round).
                boolean timersMove = failure.get().failure().map(f -> movedBySnapd
                        .getOrDefault(unit.name(), Map.of()).containsKey(f.snap())).orElse(false);
                if (failure.get().phase() == io.snapcoherence.coherence.Phase.FAILED && unit.alive() && attempted
                        && failed.put(unit.name(), now.get()) == null
                        && !unavailableSincePlan.containsKey(unit.name()) && !timersMove) {
                    // failed after its refresh looked finished (a verification): it keeps its place in the window
                    unavailableSincePlan.put(unit.name(), new Window(active.get().id(), installed(unit)));
                    checkUnavailable(model, unit, step, "failed");
                }
            }
        }
        if (rollout.isEmpty()) {
            return; // no rollout data, or unreadable (I7): nothing moved on
        }
        if (rollout.get().halt().isPresent()) {
            now.ifPresent(unhalted::remove);
        }
        if (lastAttempt.isPresent() && !lastAttempt.equals(now) && unhalted.containsKey(lastAttempt.get())) {
            String failedUnit = unhalted.remove(lastAttempt.get());
            if (on(Id.I4)) {
                throw new InvariantViolation("I4", "plan " + lastAttempt.get().plan() + " attempt "
                        + lastAttempt.get().attempt() + " went on to " + now.map(a -> "plan " + a.plan() + " attempt "
                        + a.attempt()).orElse("completion") + " without halting on the failure " + failedUnit
                        + " reported");
            }
        }
        lastAttempt = now;
    }

    private static Optional<io.snapcoherence.coherence.UnitReport> report(SimulatedModel model, SimUnit unit) {
        return model.unitData(unit.name()).map(data -> PeerCodec.decodeUnit(unit.name(), data))
                .filter(r -> r instanceof io.snapcoherence.coherence.UnitReading.Reported)
                .map(r -> ((io.snapcoherence.coherence.UnitReading.Reported) r).report());
    }

    private void onRevisionChange(SimulatedModel model, SimUnit unit, RefreshEvent event, CharmConfig config,
                                  Optional<Plan> active, Set<Plan> plansOfStep) {
        if (event.cause() == RefreshEvent.Cause.UNDO) {
            return; // snapd undoing a failed change: back to the revision before it
        }
        if (event.cause() == RefreshEvent.Cause.AUTO) {
            // A snap must be held when both the config in force and the one the unit's last hook acted on say so:
            // a change of hold or snaps reaches the machine with the unit's next hook, not before. Before 2.58
            // snapd holds no longer than 95 days after its last refresh: a lapsed refresh.hold is snapd's rule, not
            // the charm's doing (the unit's status says when it lapses).
            // snapd leaves held snaps out when its timer makes the change (snapstate.go updateManyFiltered,
            // filterHeldSnaps); a change that began while the snap was not to be held runs to its end.
            boolean begunUnheld = autoBegunUnheld.remove(unit.name() + " " + event.snap());
            if (on(Id.I5) && toHold(unit, event.snap(), config) && !begunUnheld && started.contains(unit.name())
                    && !tornDown.contains(unit.name())
                    && !unit.machine().autoRefreshAfterLapse()) {
                throw new InvariantViolation("I5", "snapd's timer refreshed " + event.snap() + " on " + unit.name()
                        + " (" + event.fromRevision() + " -> " + event.toRevision() + ") although hold=true");
            }
            return;
        }
        if (!config.snaps().contains(event.snap())) {
            return;
        }
        if (event.cause() == RefreshEvent.Cause.REVERT) {
            // A revert the charm started under on-failure=revert runs on in snapd after the value changed.
            if (on(Id.I5) && config.onFailure() != CharmConfig.OnFailure.REVERT && !mayRevert.contains(unit.name())) {
                throw new InvariantViolation("I5", unit.name() + " reverted " + event.snap()
                        + " with on-failure=halt");
            }
            return;
        }
        // A target of the unit's own architecture: a revision number of another architecture's build is not one.
        boolean planned = plansOfStep.stream().anyMatch(p -> names(p, targetOf(event, unit)));
        if (on(Id.I5) && !planned) {
            throw new InvariantViolation("I5", unit.name() + " refreshed " + event.snap() + " " + event.channel()
                    + " to " + event.toRevision() + ", which is not a target of the active plan "
                    + active.map(p -> p.id() + " " + p.targets()).orElse("(none)"));
        }
    }

    /**
     * I1 at a worker's refresh attempt (not at the change: a change snapd is still running may finish after a
     * control-plane unit joined): every control-plane unit that was in the relation when the worker's hook took its
     * view (its agent had entered the peer scope: from then on every agent is told of it), alive on a machine that
     * is up, is on the plan's targets it has installed. One the leader has not seen join that entered in that same
     * round, or that the worker's hook did not list, could not have been known to the worker.
     */
    private void checkControlPlaneOn(SimulatedModel model, SimUnit unit, Target asked, Plan plan, Step step) {
        SimUnit leader = model.unit(model.leader());
        for (SimUnit peer : model.units()) {
            if (peer.role() != Role.CONTROL_PLANE || !peer.running() || !peer.inScopeBy(step.viewStep())) {
                continue;
            }
            boolean leaderSawIt = peer == leader || leader.peersSeen().contains(peer.name());
            if (!leaderSawIt && (peer.scopeRound == step.viewRound()
                    || !step.peerView().units().containsKey(peer.name()))) {
                continue;
            }
            if (!settledOn(peer, plan)) {
                throw new InvariantViolation("I1", unit.name() + " refreshed " + asked.snap() + " to "
                        + asked.revision() + " while control-plane " + peer.name() + " still needs "
                        + plan.pendingOn(peer.machine().architecture(), installed(peer)));
            }
        }
    }

    /**
     * The plan a revision change was made for: the one active before the step when it names the change (a leader
     * may complete that plan and write the next in the same hook, after refreshing for it), else the one active
     * after.
     */
    /** I11, on the machines: see the class comment. */
    private void checkHealthGate(SimulatedModel model, SimUnit unit, Step step, CharmConfig config,
                                 Optional<Plan> active) {
        if (active.isEmpty()) {
            return;
        }
        PlanAttempt now = PlanAttempt.of(active.get());
        for (RefreshEvent event : step.events()) {
            if (event.cause() == RefreshEvent.Cause.REFRESH) {
                Map.Entry<PlanAttempt, Set<String>> seen = refreshedForGate.get(unit.name());
                if (seen == null || seen.getKey().plan() != now.plan()) {
                    seen = Map.entry(now, new HashSet<>());
                    refreshedForGate.put(unit.name(), seen);
                }
                seen.getValue().add(event.snap());
            }
        }
        if (!step.hookRan() || !step.finished()) {
            return;
        }
        boolean verified = io.snapcoherence.coherence.StatusLine.parse(
                io.snapcoherence.juju.WorkloadStatus.of(unit.status()))
                .filter(l -> l instanceof io.snapcoherence.coherence.StatusLine.Done && l.about(active.get()))
                .isPresent();
        boolean reportedDone = step.committed() && report(model, unit).flatMap(io.snapcoherence.coherence.UnitReport::progress)
                .filter(p -> p.phase() == io.snapcoherence.coherence.Phase.DONE && p.plan() == now.plan()
                        && p.attempt() == now.attempt()).isPresent();
        boolean newly = (verified || reportedDone) && !now.equals(saidDone.get(unit.name()));
        if (verified || reportedDone) {
            saidDone.put(unit.name(), now);
        }
        if (step.committed()) {
            // Done by its revisions (leader rule 3): the leader frees its grant on that report alone.
            if (report(model, unit).filter(r -> r.done(active.get())).isPresent()) {
                newly |= !Long.valueOf(now.plan()).equals(countedDone.put(unit.name(), now.plan()));
            } else {
                countedDone.remove(unit.name());
            }
        }
        Map.Entry<PlanAttempt, Set<String>> refreshed = refreshedForGate.get(unit.name());
        if (!newly || !config.healthChecks() || refreshed == null || refreshed.getKey().plan() != now.plan()) {
            return;
        }
        // Only while the machine still runs the plan's revision of it: a snap the charm no longer manages that
        // snapd's timer (or a refresh by hand) moved on since is no longer the plan's change (wide seed 167573).
        for (String snap : refreshed.getValue()) {
            Optional<Integer> runs = unit.machine().installedRevision(snap);
            if (io.snapcoherence.kube.NodeHealth.Endpoint.of(snap).isPresent() && unit.machine().nodeSick(snap)
                    && active.get().targets().stream().anyMatch(t -> t.snap().equals(snap)
                    && runs.equals(Optional.of(t.revision())))) {
                throw new InvariantViolation("I11", unit.name() + " said done for plan " + now.plan() + " attempt "
                        + now.attempt() + " while its node answers unhealthy for " + snap + " (" + unit.status()
                        + ")");
            }
        }
    }

    /** I10, on the machines: see the class comment. */
    private void checkSoak(SimulatedModel model, SimUnit unit, Step step, CharmConfig config, Optional<Plan> active,
                           Optional<Plan> before) {
        java.time.Duration soak = config.soak();
        if (soak.isZero()) {
            return;
        }
        java.time.Instant now = model.clock().instant();
        Rehearsal.soak(model).filter(e -> e.stage() == io.snapcoherence.coherence.Soak.Stage.CANARY)
                .filter(e -> !noLongerCanary.getOrDefault(e.plan(), Set.of()).contains(e.unit()))
                .ifPresent(e -> {
                    soakedCanary.putIfAbsent(e.plan(), e.unit());
                    if (e.unit().equals(soakedCanary.get(e.plan()))) {
                        soakedCanaryAttempt.merge(e.plan(), e.attempt(), Math::max);
                    }
                });
        Rehearsal.soak(model)
                .filter(e -> e.ended() || e.stage() == io.snapcoherence.coherence.Soak.Stage.CONTROL_PLANE)
                .ifPresent(e -> canarySoakOver.add(e.plan()));
        // Once the canary's soak is over (ended, or the control plane's begun) it stays over (leader rule 9): a
        // later refresh of the canary (after a resume, its machine moved off the plan) starts no canary soak
        // again, and the control plane's soak holds the workers (wide seed 165849). What counts from then on is
        // the canary's last refresh before that end.
        Rehearsal.soak(model)
                .filter(e -> e.ended() || e.stage() == io.snapcoherence.coherence.Soak.Stage.CONTROL_PLANE)
                .filter(e -> e.unit().equals(soakedCanary.get(e.plan())) && lastRefreshAt.containsKey(e.unit()))
                .ifPresent(e -> canarySoakedFrom.putIfAbsent(e.plan(), lastRefreshAt.get(e.unit())));
        for (ObservedMachine.Attempt attempt : step.attempts()) {
            if (!attempt.requested() || attempt.result() == ObservedMachine.Result.BUSY) {
                continue;
            }
            Target asked = new Target(attempt.snap(), attempt.channel(), unit.machine().architecture(),
                    attempt.revision());
            Optional<Plan> plan = forChange(asked, before, active).filter(p -> names(p, asked));
            if (plan.isEmpty()) {
                continue;
            }
            long id = plan.get().id();
            // The canary a committed soak entry named, if any (a unit already on the plan's targets when the plan
            // was made, by an earlier plan of the same revisions, may be one); else the first to attempt.
            String canary = Optional.ofNullable(soakedCanary.get(id)).orElse(canaryOf.get(id));
            // A canary removed (dying or gone) before its soak started is no canary; one removed after keeps its
            // soak (the charm's soak ends at its time without the check of a unit that left), unless that soak
            // never got over and a resume came since: nothing of the plan soaked, and the next control-plane unit
            // goes alone and soaks (leader rule 9, wide seed 178268).
            boolean soakAbandoned = canary != null && canary.equals(soakedCanary.get(id))
                    && !canarySoakOver.contains(id) && plan.get().attempt() > soakedCanaryAttempt.getOrDefault(id,
                    Integer.MAX_VALUE);
            if (unit.role() == Role.CONTROL_PLANE && (canary == null
                    || !model.unit(canary).alive() && (!canary.equals(soakedCanary.get(id)) || soakAbandoned))) {
                if (soakAbandoned) {
                    noLongerCanary.computeIfAbsent(id, p -> new HashSet<>()).add(canary);
                    soakedCanary.remove(id);
                    soakedCanaryAttempt.remove(id);
                }
                // Its refresh is what the others wait on now, not the one before's.
                canaryDoneAt.remove(id);
                canaryOf.put(id, unit.name());
                canaryRound.putIfAbsent(id, model.round());
                continue;
            }
            if (unit.name().equals(canary)) {
                continue;
            }
            if (canary != null && canary.equals(soakedCanary.get(id)) && !model.unit(canary).gone()
                    && model.unit(canary).machine().servicesBroken(covered(plan.get(), model.unit(canary), config))) {
                throw new InvariantViolation("I10", unit.name() + " started refreshing " + attempt.snap()
                        + " for plan " + id + " while the services of its canary " + canary + " are broken");
            }
            if (unit.role() == Role.CONTROL_PLANE) {
                // When its machine last moved (ground truth): it reached the plan no later.
                java.time.Instant done = canarySoakedFrom.containsKey(id) ? canarySoakedFrom.get(id)
                        : canary.equals(soakedCanary.get(id)) && lastRefreshAt.containsKey(canary)
                        ? lastRefreshAt.get(canary) : canaryDoneAt.get(id);
                if (done == null || now.isBefore(done.plus(soak))) {
                    throw new InvariantViolation("I10", unit.name() + " started refreshing " + attempt.snap()
                            + " for plan " + id + " at " + now + ", before the soak of its canary " + canary
                            + " could end (" + (done == null ? "the canary never refreshed" : done.plus(soak)) + ")");
                }
            } else {
                long controlPlane = model.units().stream().filter(u -> u.role() == Role.CONTROL_PLANE && !u.gone())
                        .count();
                java.time.Instant done = controlPlaneDoneAt.get(id);
                if (controlPlane >= 2 && done != null && now.isBefore(done.plus(soak))) {
                    throw new InvariantViolation("I10", unit.name() + " started refreshing " + attempt.snap()
                            + " for plan " + id + " at " + now + ", before the control plane's soak could end ("
                            + done.plus(soak) + ")");
                }
            }
        }
        for (RefreshEvent event : step.events()) {
            if (event.cause() != RefreshEvent.Cause.REFRESH || unit.role() != Role.CONTROL_PLANE) {
                continue;
            }
            lastRefreshAt.put(unit.name(), now);
            Optional<Plan> plan = forChange(targetOf(event, unit), before, active)
                    .filter(p -> names(p, targetOf(event, unit)));
            if (plan.isEmpty()) {
                continue;
            }
            long id = plan.get().id();
            // The canary's refresh counts once its machine is on every target of the plan it has (a canary whose
            // refresh failed part-way is no canary that soaks; the next one is).
            if (unit.name().equals(canaryOf.get(id)) && plan.get().reachedBy(unit.machine().architecture(),
                    io.snapcoherence.coherence.UnitAgent.managed(unit.machine().installedSnaps(), config.snaps()))) {
                canaryDoneAt.put(id, now);
            }
            if (unit.addedRound() <= canaryRound.getOrDefault(id, Long.MAX_VALUE)) {
                controlPlaneDoneAt.put(id, now);
            }
        }
    }

    /** The snaps of the plan's targets for this unit's machine (its architecture, its channels). */
    private static java.util.Set<String> covered(Plan plan, SimUnit unit, CharmConfig config) {
        return plan.coveredOn(unit.machine().architecture(), io.snapcoherence.coherence.UnitAgent.managed(
                unit.machine().installedSnaps(), config.snaps())).stream().map(Target::snap)
                .collect(java.util.stream.Collectors.toSet());
    }

    private static Optional<Plan> forChange(Target change, Optional<Plan> before, Optional<Plan> after) {
        return before.filter(p -> names(p, change)).or(() -> after);
    }

    /** Whether the plan has this change as a target of the changed machine's architecture. */
    private static boolean names(Plan plan, Target change) {
        return plan.targets().stream().anyMatch(t -> t.snap().equals(change.snap())
                && t.channel().equals(change.channel()) && t.revision() == change.revision()
                && t.appliesTo(change.arch()));
    }

    private static Target targetOf(RefreshEvent event, SimUnit unit) {
        return new Target(event.snap(), event.channel(), unit.machine().architecture(), event.toRevision());
    }

    /**
     * I6: a plan's revisions are ones the proxy served, checked once per plan when first seen, if the hook that
     * wrote it read a proxy-url: a plan made while the config named none is upstream's, and stays the plan after
     * proxy-url is set again (the next plan comes from what the units see the proxy serve).
     */
    private void checkPlanSource(SimulatedModel model, Plan plan, Step step) {
        if (!on(Id.I6) || !plansSourced.add(plan.id() + " " + plan.targets())
                || viewConfig(step).flatMap(CharmConfig::proxyUrl).isEmpty()) {
            return;
        }
        for (Target target : plan.targets()) {
            if (target.namedArch().isPresent() && !model.store().served(SimulatedStore.View.PROXY, target.arch(),
                    target.snap(), target.channel(), target.revision())) {
                throw new InvariantViolation("I6", "plan " + plan.id() + " targets " + target.describe()
                        + ", which the proxy never served that architecture (a view from off the proxy)");
            }
        }
    }

    private void closeWindows(SimulatedModel model, Step step, Optional<Plan> active, CharmConfig config) {
        unavailableSincePlan.entrySet().removeIf(entry -> {
            SimUnit unit = model.unit(entry.getKey());
            if (!unit.alive()) {
                return true;
            }
            // A hook that has done all it does on its machine and said so (its status: the refresh verified for the
            // active plan's attempt, set at once, no part of the commit), on a machine that runs every service of
            // its managed snaps and of the snaps it refreshed, leaves the unit available while only its commit is
            // pending: the leader may let the next unit in on it. A snap the charm neither manages nor refreshed is
            // not its refresh's doing (snapd's timer moved it, seed 2611): it keeps no unit unavailable once the hook
            // has committed, so it keeps none while the commit is pending either.
            Set<String> judged = new HashSet<>(config.snaps());
            judged.addAll(entry.getValue().asked());
            boolean finishing = unit.committing() && active.isPresent() && servicesUp(unit, judged)
                    && io.snapcoherence.coherence.StatusLine.parse(io.snapcoherence.juju.WorkloadStatus.of(unit.status()))
                    .filter(line -> line instanceof io.snapcoherence.coherence.StatusLine.Done && line.about(active.get()))
                    .isPresent();
            // Inside the hook that touched its snaps, the unit is unavailable until that hook ends. Inside a later hook
            // that touches none (a failed canary's slow hook while the operator's refresh replaced its plan, seed
            // 207035), it is what its machine and reports make it: the hook changes nothing the window judges.
            boolean refreshingHook = unit.busy() && inHookOnSnaps.contains(unit.name());
            if ((refreshingHook && !finishing) || refreshUnfinished(unit, judged)) {
                return false; // a change snapd has not finished can still restart services or be undone
            }
            if (failed.containsKey(unit.name())) {
                return false; // failed, not reverted: unavailable until a resume or a replacing plan
            }
            if (active.isEmpty() || active.get().id() != entry.getValue().planId()) {
                return true;
            }
            Map<String, InstalledRevision> now = installed(unit);
            // back on what it ran before (nothing changed, or reverted) is as available as before it started; on the
            // targets as the charm left them, snapd's own timer having moved snaps since, is through (seed 131509)
            String arch = unit.machine().architecture();
            return active.get().reachedBy(arch, now) || now.equals(entry.getValue().before())
                    || active.get().reachedBy(arch, asTheCharmLeftIt(unit));
        });
    }

    /**
     * A unit in the relation whose committed data the charm cannot read (another version's, or garbled) on a machine
     * that is down, which the application status names: no unit can tell its role, so the control plane is not known
     * and neither a plan nor a worker's refresh may go on; its own next hook would write its data again, but it has
     * none coming. Only the operator can end this, and the status says whom to look at.
     */
    private static Optional<String> unreadableOnDeadMachine(SimulatedModel model) {
        String status = model.appStatus().message();
        return model.liveUnits().stream().filter(u -> !u.machineUp() && status.contains(u.name() + "'s data"))
                .filter(u -> model.unitData(u.name()).map(data -> PeerCodec.decodeUnit(u.name(), data))
                        .map(r -> !(r instanceof io.snapcoherence.coherence.UnitReading.Reported)).orElse(true))
                .map(SimUnit::name).findFirst();
    }

    /**
     * Whether the unit must hold the snap: the config in force, the one its last hook that ran to its end acted on,
     * and that of every hook killed while it ran since all say so. A hook killed while it ran may have died before
     * it reached snapd's holds (the config it read is then not on the machine: its retry brings it) or after it
     * released some (seed 344832: snaps widened to kubectl, the config-changed killed before its hold request, and
     * snapd's timer moved kubectl before the retry).
     */
    private boolean toHold(SimUnit unit, String snap, CharmConfig config) {
        Optional<CharmConfig> applied = Optional.ofNullable(appliedConfig.get(unit.name())).flatMap(this::parse);
        return holds(Optional.of(config), snap) && holds(applied, snap)
                && killedSinceApplied.getOrDefault(unit.name(), List.of()).stream()
                .allMatch(killed -> holds(parse(killed), snap));
    }

    /** Whether a config (none: unreadable) says to hold the snap: hold=true, and the snap managed. */
    private static boolean holds(Optional<CharmConfig> config, String snap) {
        return config.map(c -> c.hold() && c.snaps().contains(snap)).orElse(false);
    }

    /** Notes the changes of snapd's timer running on a machine whose unit is not to hold their snap now (I5). */
    private void noteAutoRefreshesUnheld(SimulatedModel model, CharmConfig config) {
        for (SimUnit unit : model.liveUnits()) {
            // Every installed snap, not only those managed now: a change begun while the snap was not managed (snaps
            // narrowed) runs to its end after it is managed again (seed 131505).
            for (InstalledSnap installed : unit.machine().installedSnaps()) {
                String snap = installed.name();
                if (unit.machine().autoRefreshing(snap) && !toHold(unit, snap, config)) {
                    autoBegunUnheld.add(unit.name() + " " + snap);
                }
            }
        }
    }

    /** Whether snapd still has a change of a managed snap on the unit's machine that may move it. */
    private static boolean servicesUp(SimUnit unit, Set<String> snaps) {
        try {
            return unit.machine().services().stream().filter(s -> snaps.contains(s.snap()))
                    .allMatch(s -> !s.enabled() || s.active());
        } catch (RuntimeException snapdDown) {
            return false; // snapd restarting: nothing known to be up
        }
    }

    private static boolean changing(SimUnit unit, CharmConfig config) {
        return config.snaps().stream().anyMatch(snap -> unit.machine().changeInProgress(snap));
    }

    /**
     * A change of a managed snap snapd is still at, other than one of its own timer's: with the snaps released to
     * the timer ({@code hold=false}, which I5 judges) its change is snapd's move, not the unit's refresh left
     * unfinished. It makes no unit unavailable, so it keeps none so either (seed 176757: the timer began a change
     * on a unit the charm had just brought onto the plan, and the window stayed open for good); no unit can know of
     * it before the moved unit reports, as for settling on a plan ({@link #settledOn}).
     */
    /**
     * Whether snapd still has a change that is not its timer's on one of {@code snaps}: the snaps config manages and
     * those the unit asked to refresh in this window, managed or not any more (a snap dropped from {@code snaps}
     * while its refresh ran is still the plan's change on the node: its services restart when it ends, and it can be
     * undone).
     */
    private static boolean refreshUnfinished(SimUnit unit, Set<String> snaps) {
        return snaps.stream().anyMatch(snap -> unit.machine().changeInProgress(snap)
                && !unit.machine().autoRefreshing(snap));
    }

    /**
     * On the plan's targets it has, with no change of them in progress (snapd links before it is done); or so as the
     * charm's refreshes left it: a snap that snapd's own timer moved since (with {@code hold=false}, or a lapsed
     * refresh.hold before 2.58: I5 allows it) may count at the revision it had before. No unit can know of such a
     * move before the moved unit's next hook reports it, and with the snaps released to snapd's timer any unit of
     * either tier can be moved at any moment; control plane first is a promise about the charm's refreshes.
     */
    private boolean settledOn(SimUnit unit, Plan plan) {
        Map<String, InstalledRevision> installed = installed(unit);
        String arch = unit.machine().architecture();
        // A change of snapd's own timer running on a snap that is on target is snapd's move, not the charm's
        // refresh unfinished: no unit can know of it before the moved unit reports (below).
        if (plan.reachedBy(arch, installed) && plan.coveredOn(arch, installed).stream()
                .noneMatch(t -> unit.machine().changeInProgress(t.snap()) && !unit.machine().autoRefreshing(t.snap()))) {
            return true;
        }
        Map<String, Integer> moved = movedBySnapd.getOrDefault(unit.name(), Map.of());
        if (moved.isEmpty()) {
            return false;
        }
        if (Long.valueOf(plan.id()).equals(onTargetsTillTimer.get(unit.name()))) {
            return true; // on the targets since the plan, moved off by snapd's timer alone
        }
        Map<String, InstalledRevision> left = asTheCharmLeftIt(unit);
        return plan.reachedBy(arch, left) && plan.coveredOn(arch, left).stream()
                .noneMatch(t -> !moved.containsKey(t.snap()) && unit.machine().changeInProgress(t.snap()));
    }

    /** The unit's managed revisions with each snap snapd's timer moved since the charm last did back where it was. */
    private Map<String, InstalledRevision> asTheCharmLeftIt(SimUnit unit) {
        Map<String, InstalledRevision> installed = installed(unit);
        movedBySnapd.getOrDefault(unit.name(), Map.of()).forEach((snap, revision) -> installed.computeIfPresent(snap,
                (s, now) -> new InstalledRevision(now.channel(), revision)));
        return installed;
    }

    /** The unit's managed revisions before this step's changes (the step's events undone). */
    private Map<String, InstalledRevision> beforeStep(SimUnit unit, Step step) {
        Map<String, InstalledRevision> before = installed(unit);
        List<RefreshEvent> events = new java.util.ArrayList<>(step.events());
        java.util.Collections.reverse(events);
        for (RefreshEvent event : events) {
            if (before.containsKey(event.snap())) {
                before.put(event.snap(), new InstalledRevision(event.channel(), event.fromRevision()));
            }
        }
        return before;
    }

    /** I2 when {@code starting} becomes unavailable: its tier within the max-unavailable its hook read. */
    private void checkUnavailable(SimulatedModel model, SimUnit starting, Step step, String how) {
        // A unit being removed counts no more (its principal, the node, is going away): one whose hook took its
        // view before the removal may still start the refresh that view granted it (seeds 100474, 101227).
        if (!on(Id.I2) || !starting.alive()) {
            return;
        }
        // The max-unavailable in force as the hook read it: the window the app databag held (the leader puts a
        // lowered value in force only once it can be kept), else the unit's config.
        // A step that recorded no view (a failure counted when its report commits, seed 155041) reads the app
        // databag as committed then. Or the value in force as the unit starts, if higher: a hook reads the model
        // when it starts and acts later, so a unit may start by the lower value it read beside one that started
        // by the raised value the leader has put in force meanwhile, within that value (seed 329382).
        Map<String, String> app = step.peerView().app().isEmpty() ? model.appData() : step.peerView().app();
        int limit = Math.max(limitInForce(app, viewConfig(step)), limitInForce(model.appData(), config(model)));
        List<String> tier = unavailableSincePlan.keySet().stream()
                .filter(name -> model.unit(name).alive() && model.unit(name).role() == starting.role()).sorted()
                .toList();
        if (tier.size() > limit) {
            throw new InvariantViolation("I2", starting.name() + " " + how + " while " + tier.size() + " "
                    + starting.role().endpoint() + " units are unavailable " + tier + ", max-unavailable is " + limit);
        }
    }

    /** The max-unavailable in force by an app databag: its window, else the config's value. */
    private static int limitInForce(Map<String, String> app, Optional<CharmConfig> config) {
        Optional<Integer> window = PeerCodec.decodeApp("view", app)
                instanceof PeerCodec.AppReading.Read read ? read.window() : Optional.empty();
        return window.or(() -> config.map(CharmConfig::maxUnavailable)).orElse(Integer.MAX_VALUE);
    }

    private void checkPlanContinuity(SimulatedModel model, Optional<RolloutState> rollout, Step step) {
        if (!on(Id.I7)) {
            return;
        }
        if (rollout.isEmpty()) {
            if (!model.appData().isEmpty()) {
                throw new InvariantViolation("I7", "the app databag became unreadable: " + model.appData());
            }
            return;
        }
        Optional<Plan> plan = rollout.get().plan();
        if (lastPlan.isPresent()) {
            Plan before = lastPlan.get();
            if (plan.isEmpty()) {
                throw new InvariantViolation("I7", "plan " + before.id() + " disappeared from the app databag");
            }
            Plan now = plan.get();
            if (now.id() < before.id()) {
                throw new InvariantViolation("I7", "plan id went back from " + before.id() + " to " + now.id());
            }
            if (now.id() == before.id() && !now.targets().equals(before.targets())) {
                throw new InvariantViolation("I7", "plan " + now.id() + " changed its targets");
            }
            // The operator's refresh replaces a halted plan in its own hook, or in a later hook of the leader once
            // units have answered what the proxy serves (app databag refresh.replaces names the plan meanwhile).
            boolean operatorReplaced = step.hook().equals("action refresh") && step.committed()
                    || replacingBefore.equals(Optional.of(before.id()));
            // The units the writing leader's hook could see: one that has not joined it yet is neither planned for
            // nor waited for, and the next plan covers it.
            SimUnit writer = model.unit(step.unit());
            Set<String> inView = new HashSet<>(writer.peersSeen());
            inView.add(writer.name());
            if (now.id() > before.id() && before.active() && !operatorReplaced
                    && !now.targets().containsAll(before.targets())
                    && !model.liveUnits().stream().filter(u -> u.machineUp() && inView.contains(u.name()))
                    .allMatch(u -> before.reachedBy(u.machine().architecture(), installed(u))
                            || before.reachedBy(u.machine().architecture(), asTheCharmLeftIt(u))
                            || Long.valueOf(before.id()).equals(onTargetsTillTimer.get(u.name())))) {
                throw new InvariantViolation("I7", "plan " + before.id() + " " + before.targets()
                        + " was replaced by " + now.id() + " " + now.targets() + " before every unit reached it");
            }
        }
        lastPlan = plan;
        replacingBefore = rollout.get().refresh().flatMap(io.snapcoherence.coherence.RefreshRequest::replaces);
        Map<Role, Set<String>> grants = new EnumMap<>(Role.class);
        for (String granted : rollout.get().grants()) {
            model.units().stream().filter(u -> u.name().equals(granted)).findFirst()
                    .ifPresent(u -> grants.computeIfAbsent(u.role(), r -> new HashSet<>()).add(granted));
        }
        Map<Role, Set<String>> previous = grantedBefore;
        grantedBefore = grants;
        int limit = viewConfig(step).map(CharmConfig::maxUnavailable).orElse(Integer.MAX_VALUE);
        grants.forEach((role, names) -> {
            boolean grew = !previous.getOrDefault(role, Set.of()).containsAll(names);
            if (grew && names.size() > (long) Planner.BATCHES_GRANTED * limit) {
                throw new InvariantViolation("I7", names.size() + " " + role.endpoint() + " grants "
                        + rollout.get().grants() + " exceed " + Planner.BATCHES_GRANTED + " batches of max-unavailable "
                        + limit);
            }
        });
    }

    /**
     * The managed snaps a machine has (the current config's {@code snaps}): a plan concerns only those. A snap the
     * operator stopped managing mid-rollout is no longer the charm's to refresh, nor what a unit waits for.
     */
    private Map<String, InstalledRevision> installed(SimUnit unit) {
        Set<String> managed = parsedConfig.map(CharmConfig::snaps).map(Set::copyOf).orElse(Set.of());
        Map<String, InstalledRevision> installed = new HashMap<>();
        for (InstalledSnap snap : unit.machine().installedSnaps()) {
            if (managed.contains(snap.name())) {
                installed.put(snap.name(), new InstalledRevision(snap.tracking(), snap.revision()));
            }
        }
        return installed;
    }

    /** Decoded once per version of the app databag (the model replaces the map on every change). */
    private Optional<RolloutState> rollout(SimulatedModel model) {
        Map<String, String> data = model.appData();
        if (data != decodedAppData) {
            decodedAppData = data;
            decodedRollout = PeerCodec.decodeApp("app", data) instanceof PeerCodec.AppReading.Read read
                    ? Optional.of(read.state()) : Optional.empty();
        }
        return decodedRollout;
    }

    private Optional<CharmConfig> config(SimulatedModel model) {
        Map<String, Object> raw = model.config();
        if (raw != parsedConfigSource) {
            parsedConfigSource = raw;
            try {
                parsedConfig = Optional.of(CharmConfig.parse(raw));
            } catch (CharmConfig.InvalidConfigException e) {
                parsedConfig = Optional.empty();
            }
        }
        return parsedConfig;
    }

    private Optional<CharmConfig> parse(Map<String, Object> raw) {
        try {
            return Optional.of(CharmConfig.parse(raw));
        } catch (CharmConfig.InvalidConfigException e) {
            return Optional.empty();
        }
    }

    /** The charm config the step's hook read (parsed once per distinct map). */
    private Optional<CharmConfig> viewConfig(Step step) {
        Map<String, Object> raw = step.viewConfig();
        if (raw != parsedViewSource) {
            parsedViewSource = raw;
            try {
                parsedView = Optional.of(CharmConfig.parse(raw));
            } catch (CharmConfig.InvalidConfigException e) {
                parsedView = Optional.empty();
            }
        }
        return parsedView;
    }

    /**
     * The operator's ways out of a halt: {@code resume} (retry the plan) and, where the charm supports it,
     * {@code refresh} (replace the halted plan).
     */
    private static boolean leavesHalt(String hook) {
        return hook.equals("action resume") || hook.equals("action refresh");
    }

    /** Hooks in which the charm leaves the machine: stop, remove, and its container relation's -broken. */
    private static boolean teardown(String hook) {
        return hook.equals("stop") || hook.equals("remove")
                || hook.startsWith("control-plane-relation-broken") || hook.startsWith("worker-relation-broken");
    }

    private boolean on(Id id) {
        return enabled.contains(id);
    }
}
