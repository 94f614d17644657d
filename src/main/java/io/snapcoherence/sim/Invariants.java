package io.snapcoherence.sim;

import io.snapcoherence.charm.CharmConfig;
import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Planner;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.InstalledSnap;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rollout's safety and liveness rules, checked after every step of a {@link SimulatedModel} against ground
 * truth: the machines (what snapd installed, every refresh attempt, failed ones included) and the model (who
 * had joined, who is leader, what the databags hold). The charm's own status messages are never trusted except
 * where a rule is about what it reports (I3's "reported failed"). Definitions at the edges:
 * <dl>
 * <dt>I1 control plane first</dt><dd>When a worker makes a refresh attempt to a revision of the active plan
 *   (the one active before the step if it names the revision: a leader may complete it and write the next in one
 *   hook), every control-plane unit that had joined the peer relation as the leader sees it (its -joined hook
 *   committed on the current leader, or it is the leader and has committed a hook as leader) and is still alive
 *   has, on its machine, every plan target whose snap and channel it has installed, with no change of those snaps
 *   in progress (snapd links a revision before the change is done and may still undo it). Checked at the request,
 *   refused ones included, not at the change: a change snapd finishes after the hook stopped waiting may land
 *   after a control-plane unit joined. A control-plane unit the
 *   leader has not seen join cannot be waited for.</dd>
 * <dt>I2 max-unavailable</dt><dd>A unit is unavailable from its first refresh attempt (successful or not) until
 *   the hook that made it has ended, snapd has finished every change of its machine's snaps (a change shows the new
 *   revision from link-snap on, before its services restart, and can still be undone) and its machine is on the
 *   active plan's targets, or the plan it started for is no longer the active one, or it is removed. At no step are
 *   more than {@code max-unavailable} units of a tier unavailable.</dd>
 * <dt>I3 end state</dt><dd>At quiescence every live unit's machine is on its store's current revision for every
 *   managed snap it has (the proxy's view with {@code proxy-url}, upstream's without), unless the rollout is halted (app databag {@code halt}) and the halted unit, if still
 *   alive, shows {@code blocked}.</dd>
 * <dt>I4 halt</dt><dd>Once a failed refresh attempt is reported (a committed hook of the unit that saw snapd fail
 *   wrote the failure of the plan's current attempt into its databag: the hook that saw it, or with
 *   {@code on-failure=revert} the one that saw its reverts end),
 *   no unit makes a refresh attempt until a {@code resume} action succeeds, except units that were unavailable
 *   at that moment (already inside their refresh). A granted unit that has not started must not start: grants
 *   run ahead of the units refreshing. A failure reported by a unit already removed, or whose unit is removed
 *   later, stops counting: its machine is gone.</dd>
 * <dt>I5 nothing outside the plan</dt><dd>Every change of a managed snap's revision is either a charm refresh to
 *   a target (same snap, channel and revision, and the machine's own architecture: a revision number names one
 *   architecture's build) of the plan active before or after the step, or of the plan the
 *   leader's own hook was writing in that step (a leader plans and refreshes itself in one hook, which may be
 *   killed and its plan write lost; its retry writes the plan again), or a revert with
 *   {@code on-failure=revert}, or snapd undoing a failed change back to the revision before it;
 *   snapd's own timer changes no managed snap on a unit that has run {@code start} while {@code hold=true}, unless
 *   the machine's snapd is older than 2.58 and its refresh.hold had lapsed (snapd's 95-day cap).</dd>
 * <dt>I6 proxy first</dt><dd>With {@code proxy-url} set, at every refresh attempt the machine's
 *   {@code proxy.store} is the proxy's store id; and every target of every plan (one the leader's hook wrote,
 *   committed or not) is a revision the proxy served that architecture on that channel at some time: never one only
 *   upstream served, as a node off the proxy sees it.</dd>
 * <dt>I7 failover</dt><dd>Whoever leads: an active plan is never replaced before every live machine the leader has
 *   seen join reached it (one it has not is planned for later), unless the new plan keeps all its targets (a superset loses nothing); plan ids never go back and a plan's
 *   targets never change; the app databag never stops being readable; grants of a tier never exceed two batches
 *   ({@link Planner#BATCHES_GRANTED} × {@code max-unavailable}: the running one and the next; I2 bounds the
 *   units actually refreshing).</dd>
 * <dt>I8 departed grants</dt><dd>At quiescence no grant names a unit that is no longer alive (and I2 stops
 *   counting a unit the moment it is removed).</dd>
 * </dl>
 */
public final class Invariants implements StepObserver {

    public enum Id { I1, I2, I3, I4, I5, I6, I7, I8 }

    private final Set<Id> enabled;
    private final Map<String, Long> unavailableSincePlan = new HashMap<>();
    private final Set<String> started = new HashSet<>();
    private final Set<String> failedUnreported = new HashSet<>();
    private final Set<String> plansSourced = new HashSet<>();
    private Optional<Set<String>> haltedAllowed = Optional.empty();
    private String haltedBy = "";
    private Optional<Plan> lastPlan = Optional.empty();
    private Optional<Plan> activeBefore = Optional.empty();
    private long checks;
    private Map<String, String> decodedAppData;
    private Optional<RolloutState> decodedRollout = Optional.empty();
    private Map<String, Object> parsedConfigSource;
    private Optional<CharmConfig> parsedConfig = Optional.empty();

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
        Optional<RolloutState> rollout = rollout(model);
        Optional<Plan> active = rollout.flatMap(RolloutState::activePlan);
        Set<Plan> plansOfStep = new HashSet<>();
        active.ifPresent(plansOfStep::add);
        activeBefore.ifPresent(plansOfStep::add);
        if (!step.appDataWritten().isEmpty()
                && PeerCodec.decodeApp("hook", step.appDataWritten()) instanceof PeerCodec.AppReading.Read pending) {
            pending.state().plan().ifPresent(plansOfStep::add);
            if (active.isEmpty()) {
                active = pending.state().activePlan();
            }
        }
        Optional<Plan> before = activeBefore;
        activeBefore = rollout.flatMap(RolloutState::activePlan);
        plansOfStep.forEach(plan -> checkPlanSource(model, plan, config.get()));
        checkPlanContinuity(model, rollout, config.get());
        if (step.hook().equals("action resume") && step.committed()) {
            haltedAllowed = Optional.empty();
        }
        for (ObservedMachine.Attempt attempt : step.attempts()) {
            onAttempt(model, unit, attempt, config.get(), active, before);
        }
        for (RefreshEvent event : step.events()) {
            onRevisionChange(model, unit, event, config.get(), forChange(targetOf(event, unit), before, active),
                    plansOfStep);
        }
        onFailureReported(model, unit, step, activeBefore.or(() -> before));
        if (haltedAllowed.isPresent() && !model.unit(haltedBy).alive()) {
            haltedAllowed = Optional.empty(); // the failed machine left the model: nothing to halt for
        }
        closeWindows(model, step, active, config.get());
        checkUnavailable(model, config.get());
    }

    /** The end-state rules (I3, I8), for a model that has become quiet. */
    public void checkQuiescent(SimulatedModel model) {
        Optional<CharmConfig> config = config(model);
        Optional<RolloutState> rollout = rollout(model);
        if (config.isEmpty()) {
            return;
        }
        if (on(Id.I8) && rollout.isPresent()) {
            for (String granted : rollout.get().grants()) {
                SimUnit unit = model.unit(granted);
                if (!unit.alive()) {
                    throw new InvariantViolation("I8", "grant of departed unit " + granted + " was never freed");
                }
            }
        }
        if (on(Id.I3)) {
            boolean halted = rollout.flatMap(RolloutState::halt).isPresent();
            if (halted) {
                String haltedUnit = rollout.get().halt().orElseThrow().unit();
                Optional<SimUnit> failed = model.units().stream().filter(u -> u.name().equals(haltedUnit)).findFirst();
                if (failed.isPresent() && failed.get().alive() && failed.get().status().kind() != Status.Kind.BLOCKED) {
                    throw new InvariantViolation("I3", "rollout halted on " + haltedUnit + " but it shows "
                            + failed.get().status());
                }
                return;
            }
            SimulatedStore.View view = config.get().proxyUrl().isPresent() ? SimulatedStore.View.PROXY
                    : SimulatedStore.View.UPSTREAM;
            for (SimUnit unit : model.liveUnits()) {
                for (InstalledSnap snap : unit.machine().installedSnaps()) {
                    if (!config.get().snaps().contains(snap.name())) {
                        continue;
                    }
                    Optional<Integer> head = model.store().revision(view, unit.machine().architecture(),
                            snap.name(), snap.tracking());
                    if (head.isPresent() && head.get() != snap.revision()) {
                        throw new InvariantViolation("I3", unit.name() + " ended on " + snap.name() + " "
                                + snap.revision() + " but " + snap.tracking() + " serves " + head.get()
                                + ", and the rollout is not halted (unit status: " + unit.status() + ")");
                    }
                }
            }
        }
    }

    private void onAttempt(SimulatedModel model, SimUnit unit, ObservedMachine.Attempt attempt, CharmConfig config,
                           Optional<Plan> active, Optional<Plan> before) {
        // A change the charm only followed to its failure was asked for in an earlier hook: not an attempt now.
        if (on(Id.I6) && config.proxyUrl().isPresent() && attempt.requested()) {
            String store = unit.machine().systemConfig().getOrDefault("proxy.store", "");
            if (!store.equals(model.store().storeId())) {
                throw new InvariantViolation("I6", unit.name() + " refreshed " + attempt.snap()
                        + " while proxy.store is \"" + store + "\", not the proxy's " + model.store().storeId());
            }
        }
        if (attempt.result() == ObservedMachine.Result.CHANGE_FAILED) {
            failedUnreported.add(unit.name()); // a change that ran and failed: reported when this hook commits
            return;
        }
        if (on(Id.I1) && unit.role() == Role.WORKER && attempt.result() != ObservedMachine.Result.BUSY) {
            Target asked = new Target(attempt.snap(), attempt.channel(), unit.machine().architecture(),
                    attempt.revision());
            Optional<Plan> plan = forChange(asked, before, active).filter(p -> names(p, asked));
            if (plan.isPresent()) {
                checkControlPlaneOn(model, unit, asked, plan.get());
            }
        }
        if (on(Id.I4) && haltedAllowed.isPresent() && !haltedAllowed.get().contains(unit.name())
                && attempt.result() != ObservedMachine.Result.BUSY) {
            throw new InvariantViolation("I4", unit.name() + " started refreshing " + attempt.snap()
                    + " after a failure, before resume");
        }
        unavailableSincePlan.putIfAbsent(unit.name(), active.map(Plan::id).orElse(0L));
        if (attempt.result() == ObservedMachine.Result.FAILED) {
            failedUnreported.add(unit.name());
        }
    }

    /**
     * A failure counts from the moment it is reported: the hook that saw snapd fail has committed. Units then
     * unavailable may go on; nobody else may start.
     */
    private void onFailureReported(SimulatedModel model, SimUnit unit, Step step, Optional<Plan> active) {
        if (!step.hookRan() || !step.finished() || !failedUnreported.contains(unit.name())) {
            return; // snapd finishing a change on its own reports nothing: only the hook that saw the failure does
        }
        if (!step.committed()) {
            // Killed or failed hook, the one that saw snapd fail included: nothing was reported. Its retry may
            // succeed and report done; only a committed hook after a failed attempt of its own reports it.
            if (!unit.busy()) {
                failedUnreported.remove(unit.name());
            }
            return;
        }
        if (active.isPresent() && !reportsFailure(model, unit, active.get())) {
            return; // seen but not reported yet (with on-failure=revert, once its reverts have ended)
        }
        failedUnreported.remove(unit.name());
        if (haltedAllowed.isEmpty() && unit.alive()) {
            haltedBy = unit.name();
            haltedAllowed = Optional.of(Set.copyOf(unavailableSincePlan.keySet()));
        }
    }

    private void onRevisionChange(SimulatedModel model, SimUnit unit, RefreshEvent event, CharmConfig config,
                                  Optional<Plan> active, Set<Plan> plansOfStep) {
        if (!config.snaps().contains(event.snap())) {
            return;
        }
        if (event.cause() == RefreshEvent.Cause.UNDO) {
            return; // snapd undoing a failed change: back to the revision before it
        }
        if (event.cause() == RefreshEvent.Cause.AUTO) {
            // Before 2.58 snapd holds no longer than 95 days after its last refresh: a lapsed refresh.hold is
            // snapd's rule, not the charm's doing (the unit's status says when it lapses).
            if (on(Id.I5) && config.hold() && started.contains(unit.name())
                    && !unit.machine().autoRefreshAfterLapse()) {
                throw new InvariantViolation("I5", "snapd's timer refreshed " + event.snap() + " on " + unit.name()
                        + " (" + event.fromRevision() + " -> " + event.toRevision() + ") although hold=true");
            }
            return;
        }
        if (event.cause() == RefreshEvent.Cause.REVERT) {
            if (on(Id.I5) && config.onFailure() != CharmConfig.OnFailure.REVERT) {
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

    /** I6: a plan's revisions are ones the proxy served (checked once per plan, when first seen). */
    private void checkPlanSource(SimulatedModel model, Plan plan, CharmConfig config) {
        if (!on(Id.I6) || config.proxyUrl().isEmpty() || !plansSourced.add(plan.id() + " " + plan.targets())) {
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

    /** Whether the unit's committed databag reports a failure of the plan's current attempt. */
    private static boolean reportsFailure(SimulatedModel model, SimUnit unit, Plan plan) {
        return model.unitData(unit.name()).map(data -> PeerCodec.decodeUnit(unit.name(), data))
                .filter(r -> r instanceof io.snapcoherence.coherence.UnitReading.Reported)
                .map(r -> ((io.snapcoherence.coherence.UnitReading.Reported) r).report().failed(plan))
                .orElse(false);
    }

    /**
     * I1 at a worker's refresh attempt (not at the change: a change snapd is still running may finish after a
     * control-plane unit joined): every control-plane unit the leader has seen join, and still alive, is on the
     * plan's targets it has installed.
     */
    private void checkControlPlaneOn(SimulatedModel model, SimUnit unit, Target asked, Plan plan) {
        for (String name : joinedOnLeader(model)) {
            SimUnit peer = model.unit(name);
            if (peer.role() == Role.CONTROL_PLANE && peer.alive() && !settledOn(peer, plan)) {
                throw new InvariantViolation("I1", unit.name() + " refreshed " + asked.snap() + " to "
                        + asked.revision() + " while control-plane " + peer.name() + " still needs "
                        + plan.pendingOn(peer.machine().architecture(), installed(peer)));
            }
        }
    }

    /**
     * The units the leader has seen join (its {@code -joined} hook for them committed), and itself once it has
     * committed a hook as leader: what it can have planned for and waited for.
     */
    private static Set<String> joinedOnLeader(SimulatedModel model) {
        SimUnit leader = model.unit(model.leader());
        Set<String> joined = new HashSet<>(leader.peersJoined);
        if (model.leaderActed()) {
            joined.add(leader.name());
        }
        return joined;
    }

    /**
     * The plan a revision change was made for: the one active before the step when it names the change (a leader
     * may complete that plan and write the next in the same hook, after refreshing for it), else the one active
     * after.
     */
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

    private void closeWindows(SimulatedModel model, Step step, Optional<Plan> active, CharmConfig config) {
        unavailableSincePlan.entrySet().removeIf(entry -> {
            SimUnit unit = model.unit(entry.getKey());
            if (!unit.alive()) {
                return true;
            }
            if (unit.busy() || changing(unit, config)) {
                return false; // a change snapd has not finished can still restart services or be undone
            }
            if (active.isEmpty() || active.get().id() != entry.getValue()) {
                return true;
            }
            return active.get().reachedBy(unit.machine().architecture(), installed(unit));
        });
    }

    /** Whether snapd still has a change of a managed snap on the unit's machine that may move it. */
    private static boolean changing(SimUnit unit, CharmConfig config) {
        return config.snaps().stream().anyMatch(snap -> unit.machine().changeInProgress(snap));
    }

    /** On the plan's targets it has, with no change of them in progress (snapd links before it is done). */
    private static boolean settledOn(SimUnit unit, Plan plan) {
        Map<String, InstalledRevision> installed = installed(unit);
        String arch = unit.machine().architecture();
        return plan.reachedBy(arch, installed)
                && plan.coveredOn(arch, installed).stream().noneMatch(t -> unit.machine().changeInProgress(t.snap()));
    }

    private void checkUnavailable(SimulatedModel model, CharmConfig config) {
        if (!on(Id.I2)) {
            return;
        }
        Map<Role, Integer> counts = new LinkedHashMap<>();
        unavailableSincePlan.keySet().forEach(name -> counts.merge(model.unit(name).role(), 1, Integer::sum));
        counts.forEach((role, count) -> {
            if (count > config.maxUnavailable()) {
                throw new InvariantViolation("I2", count + " " + role.endpoint() + " units unavailable at once "
                        + unavailableSincePlan.keySet() + ", max-unavailable is " + config.maxUnavailable());
            }
        });
    }

    private void checkPlanContinuity(SimulatedModel model, Optional<RolloutState> rollout, CharmConfig config) {
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
            // A unit the leader has not seen join is neither planned for nor waited for: its revisions come with
            // a later plan.
            Set<String> inView = joinedOnLeader(model);
            if (now.id() > before.id() && before.active() && !now.targets().containsAll(before.targets())
                    && !model.liveUnits().stream().filter(u -> inView.contains(u.name()))
                    .allMatch(u -> before.reachedBy(u.machine().architecture(), installed(u)))) {
                throw new InvariantViolation("I7", "plan " + before.id() + " " + before.targets()
                        + " was replaced by " + now.id() + " " + now.targets() + " before every unit reached it");
            }
        }
        lastPlan = plan;
        Map<Role, Integer> grants = new LinkedHashMap<>();
        for (String granted : rollout.get().grants()) {
            model.units().stream().filter(u -> u.name().equals(granted)).findFirst()
                    .ifPresent(u -> grants.merge(u.role(), 1, Integer::sum));
        }
        grants.forEach((role, count) -> {
            if (count > Planner.BATCHES_GRANTED * config.maxUnavailable()) {
                throw new InvariantViolation("I7", count + " " + role.endpoint() + " grants "
                        + rollout.get().grants() + " exceed " + Planner.BATCHES_GRANTED + " batches of max-unavailable "
                        + config.maxUnavailable());
            }
        });
    }

    private static Map<String, InstalledRevision> installed(SimUnit unit) {
        Map<String, InstalledRevision> installed = new HashMap<>();
        for (InstalledSnap snap : unit.machine().installedSnaps()) {
            installed.put(snap.name(), new InstalledRevision(snap.tracking(), snap.revision()));
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

    private boolean on(Id id) {
        return enabled.contains(id);
    }
}
