package io.snapcoherence.charm;

import io.snapcoherence.coherence.AgentDecision;
import io.snapcoherence.coherence.AgentInput;
import io.snapcoherence.coherence.Failure;
import io.snapcoherence.coherence.HealthGate;
import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.LeaderRequest;
import io.snapcoherence.coherence.Offers;
import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Phase;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.PlanHistory;
import io.snapcoherence.coherence.Planner;
import io.snapcoherence.coherence.PlannerDecision;
import io.snapcoherence.coherence.PlannerInput;
import io.snapcoherence.coherence.Progress;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.Soak;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.StatusLine;
import io.snapcoherence.coherence.StoreView;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.coherence.UnitAgent;
import io.snapcoherence.coherence.UnitReading;
import io.snapcoherence.coherence.UnitReport;
import io.snapcoherence.coherence.Watch;
import io.snapcoherence.coherence.Witnessed;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.GoalState;
import io.snapcoherence.juju.HookToolException;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.Status;
import io.snapcoherence.kube.NodeHealth;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.Snaps;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rollout on one unit for one hook, as one page: read the peer relation, the unit store and the machine
 * ({@link Reading}); look at the store and keep the holds; let the pure {@link Planner} (leader) and
 * {@link UnitAgent} decide; apply (this unit's refresh, its report, the leader's app data). Databags are written only
 * where a value changed; each unit looks at the store its snapd uses when due ({@link StoreCheck}) and the leader
 * plans from what the units reported.
 */
final class Rollout {
    private final HookTools tools;
    private final UnitStore store;
    private final Snaps snaps;
    private final NodeHealth health;
    private final CharmConfig config;
    private final Role role;
    private final String unit;
    private final Clock clock;

    private final Event event;
    private final Optional<String> departing;
    private final KnownRelations relations;
    /** The principal units goal-state lists alive on both container endpoints; unreadable: one no unit runs on. */
    private List<String> livePrincipals() {
        try {
            GoalState goal = tools.goalState();
            List<String> live = new ArrayList<>(goal.liveUnits(Role.CONTROL_PLANE.endpoint()));
            live.addAll(goal.liveUnits(Role.WORKER.endpoint()));
            return live;
        } catch (HookToolException e) {
            tools.log(HookTools.LogLevel.WARNING, "goal-state unreadable, keeping what the proxy served: " + e.getMessage());
            return PlannerInput.PRINCIPALS_UNKNOWN;
        }
    }

    /** The principal unit this unit runs on, as Juju names it to this unit (JUJU_PRINCIPAL_UNIT) and in goal-state. */
    private final Optional<String> principal;

    Rollout(HookTools tools, UnitStore store, Snaps snaps, NodeHealth health, CharmConfig config, Role role, String unit,
            Optional<String> principal, Event event, Clock clock) {
        this.principal = principal;
        this.event = event;
        this.departing = event.departingUnit();
        this.relations = new KnownRelations(tools, store, event);
        this.clock = clock;
        this.tools = tools;
        this.store = store;
        this.snaps = snaps;
        this.health = health;
        this.config = config;
        this.role = role;
        this.unit = unit;
    }

    /** What one reconcile did, for the unit status and for action results. */
    record Outcome(Status unitStatus, Optional<PlannerDecision> leaderDecision) {
    }

    /**
     * What this hook read before deciding: the peer relation, what this unit last reported and the attempt it
     * follows (unit store), its machine and architecture, whether it leads, whether it is leaving, the granted peers
     * known to have left, and the failure of a departed unit it reports.
     */
    private record Reading(PeerView peers, OwnReport ownReport, Optional<RefreshMemory> memory,
                           MachineReading machine, String arch, boolean leader, boolean leaving, Set<String> left,
                           List<String> leftGranted, Optional<Witnessed> witnessed, Optional<HealthGate.Memory> gate) {
        /** A snap with a change in progress counts at its last reported revision (see MachineReading). */
        Map<String, InstalledRevision> installed() {
            return machine.settled();
        }

        /**
         * What this unit may report of its machine with {@code progress}: {@link #installed()}, except while it is
         * granted for the active plan (grants committed before this hook) or its node health gate for the plan stands
         * (unit store {@code health-gate}, of any attempt), and it has not reported the plan done. Then the plan's
         * targets on this node count at their last reported revisions, in every report it writes (to the leader's
         * decision before its own turn, and whatever its turn decided: a halt, a pause, snapd not answering). A
         * report on the targets without a failure is done by its revisions (leader rule 3): a granted unit whose
         * machine runs targets it never checked (its refreshing hook killed before its commit, a gate under way when
         * a halt came) would be counted done, its grant freed, and never asked about its node (seed 237137). The
         * report says what the leader may count; the machine's truth is for the unit's own turn, which verifies
         * and reports done or failed.
         */
        Map<String, InstalledRevision> reportable(String unit, Map<String, InstalledRevision> settled,
                                                  Optional<Progress> progress) {
            Map<String, InstalledRevision> installed = withTimersMoves(settled);
            boolean granted = peers.app instanceof PeerCodec.AppReading.Read read && read.state().granted(unit);
            Optional<Plan> plan = activePlan(peers.app).filter(p -> (granted
                    || gate.filter(g -> g.plan() == p.id()).isPresent())
                    && progress.filter(g -> g.plan() == p.id() && g.phase() == Phase.DONE).isEmpty());
            if (plan.isEmpty()) {
                return installed;
            }
            Map<String, InstalledRevision> reported = new java.util.TreeMap<>(installed);
            Map<String, InstalledRevision> last = ownReport.lastInstalled(peers.ownData);
            plan.get().coveredOn(arch, installed).forEach(t -> Optional.ofNullable(last.get(t.snap()))
                    .ifPresent(rev -> reported.put(t.snap(), rev)));
            return reported;
        }

        Optional<Progress> lastProgress() {
            return ownReport.lastProgress(peers.ownData);
        }

        /**
         * {@code settled} with each snap that snapd's own timer is refreshing (a change of kind {@code auto-refresh},
         * snapd's overlord/snapstate/autorefresh.go; never this charm's {@code refresh-snap}) at the revision snapd
         * lists. Its last reported revision is not what the machine runs any more, and a unit the plan never granted
         * is counted done by its revisions (leader rule 3): a control-plane unit whose report kept the targets while
         * the timer moved it off was counted done by a plan made in that time, and a worker refreshed before it
         * (seed 269195). The unit's own decisions still go by {@code settled}.
         */
        private Map<String, InstalledRevision> withTimersMoves(Map<String, InstalledRevision> settled) {
            Map<String, InstalledRevision> listed = machine.listedManaged(List.copyOf(settled.keySet()));
            Map<String, InstalledRevision> told = new java.util.TreeMap<>(settled);
            settled.keySet().forEach(snap -> machine.inProgress(snap)
                    .filter(change -> change.kind().equals(SNAPD_TIMER_CHANGE))
                    .flatMap(change -> Optional.ofNullable(listed.get(snap)))
                    .ifPresent(revision -> told.put(snap, revision)));
            return told;
        }
    }

    /** The kind of change snapd's own refresh timer makes (overlord/snapstate/autorefresh.go, NewChange). */
    static final String SNAPD_TIMER_CHANGE = "auto-refresh";

    /** The leader's decision this hook, what it decided from, and the app state its own agent acts on. */
    private record LeaderTurn(PlannerInput input, PlannerDecision decision, PeerCodec.AppReading forOwnAgent) {
    }

    /**
     * This unit's decision: what it does, and, when a halt, a pause or its removal came while its changes for the
     * active plan run ({@code followOnly}), the status it is held back with while it follows them to their end.
     */
    private record OwnTurn(AgentDecision act, boolean followOnly, Optional<Status> heldBack) {
    }

    /** What applying this unit's decision came to: its status and its report. */
    private record Applied(Status status, UnitReport report) {
    }

    /**
     * Every hook: holds, this unit's look at what the store serves, the leader's plan and grants, this unit's
     * refresh. While a configured proxy is not registered ({@code registration} does not allow refreshes) no
     * planned refresh happens here and this unit's view of the store is not reported.
     */
    Outcome reconcile(ProxyRegistration.Outcome registration, Optional<LeaderRequest> request) {
        // Juju creates the peer relation with the application; until its first hook there is nothing to do.
        Optional<PeerView> view = relations.peerRelation().map(rid -> PeerView.read(tools, rid, unit, departing));
        if (view.isEmpty()) {
            return new Outcome(Status.waiting("waiting for the peer relation"), Optional.empty());
        }
        Reading reading;
        try {
            reading = read(view.get());
        } catch (SnapException e) {
            // Nothing is decided or reported from a machine read halfway.
            return new Outcome(Status.waiting("cannot read snapd: " + e.error().describe()
                    + "; trying again on the next hook"), Optional.empty());
        }
        Optional<String> holdNote = new Holds(tools, store, snaps, clock)
                .apply(config.hold() ? reading.installed().keySet() : Set.of(), reading.machine().listed());
        StoreCheck.Outcome look = look(reading, registration, request);
        UnitReport own = new UnitReport(unit, role,
                reading.reportable(unit, reading.installed(), reading.lastProgress()), reading.lastProgress(),
                reading.witnessed(), reading.arch(), look.report()).on(principal).checked(standingCheck(reading))
                .managing(config.snaps());

        Optional<LeaderTurn> leader = leaderDecides(reading, own, request);
        PeerCodec.AppReading app = leader.map(LeaderTurn::forOwnAgent).orElse(reading.peers().app);
        OwnTurn turn = ownDecision(reading, app, registration.allowsRefresh());

        forgetEndedAttempt(reading, activePlan(app), turn);
        Optional<Soak.Entry> soak = leader.map(l -> l.decision().soak()).orElseGet(() -> soakEntry(reading.peers()));
        Applied applied = soakCheck(reading, app, soak, turn, applyOwn(reading, turn, own));
        writeReport(reading, applied.report());
        Optional<PlannerDecision> decision = leader.map(l -> applyLeader(reading, l, own, applied.report()));
        if (decision.isEmpty()) {
            notLeading(reading);
        }
        return new Outcome(withNotes(applied.status(), holdNote, look.trouble()), decision);
    }

    // ---- read ----------------------------------------------------------------------------------------------

    /** Throws {@link SnapException} when snapd cannot be read. */
    private Reading read(PeerView peers) {
        OwnReport ownReport = new OwnReport(store, unit);
        Optional<RefreshMemory> memory = RefreshMemory.recall(store);
        MachineReading machine = MachineReading.read(snaps, config.snaps(), ownReport.lastInstalled(peers.ownData),
                memory);
        // The machine's architecture: its targets are those of its architecture, its view of the store is one.
        String arch = ownReport.lastArch(peers.ownData).orElseGet(() -> snaps.systemInfo().architecture());
        Optional<Witnessed> witnessed = witnessed(peers, ownReport.lastWitnessed(peers.ownData));
        // Every unit remembers its granted peers: it may lead later and must then tell who left from who it has
        // not seen.
        List<String> granted = peers.app instanceof PeerCodec.AppReading.Read r ? r.state().grants() : List.of();
        Set<String> left = Membership.left(store, peers.otherUnits, departing.filter(d -> !d.equals(unit)), granted);
        // A unit that is leaving sees every peer leave (its relation-list shrinks with each of its own -departed
        // hooks): it reports nobody as left, and as leader it changes nothing it cannot see (Planner).
        boolean leaving = Membership.leaving(store, unit, departing);
        // Granted units seen leaving are also reported in the databag, for a leader that never saw them.
        List<String> leftGranted = leaving ? List.of() : left.stream().filter(granted::contains).toList();
        boolean leader = tools.isLeader(); // asked once: a hook acts on one answer
        // Read with the rest of the unit store (one state-get per hook): no call of its own.
        Optional<HealthGate.Memory> gate = store.get(HealthCheck.KEY);
        return new Reading(peers, ownReport, memory, machine, arch, leader, leaving, left, leftGranted, witnessed,
                gate);
    }

    /**
     * What the store this node uses would give a refresh: looked at when due, reported only when usable and news to
     * the leader (or asked for). A unit that is leaving looks no more.
     */
    private StoreCheck.Outcome look(Reading reading, ProxyRegistration.Outcome registration,
                                    Optional<LeaderRequest> request) {
        Optional<StoreView> lastView = reading.ownReport().lastView(reading.peers().ownData);
        if (reading.leaving()) {
            return new StoreCheck.Outcome(lastView, Optional.empty());
        }
        return new StoreCheck(store, snaps, clock).run(event, request.orElse(null) instanceof LeaderRequest.Refresh,
                unit, reading.arch(), proxy(), registration.allowsRefresh(),
                registration instanceof ProxyRegistration.Outcome.Registered reg ? Optional.of(reg.storeId())
                        : Optional.empty(), reading.machine(), config.snaps(), lastView, offers(reading.peers()));
    }

    // ---- decide --------------------------------------------------------------------------------------------

    /** The leader's plan and grants; none when this unit does not lead or cannot read the rollout. */
    private Optional<LeaderTurn> leaderDecides(Reading reading, UnitReport own, Optional<LeaderRequest> request) {
        PeerView peers = reading.peers();
        if (!reading.leader() || !(peers.app instanceof PeerCodec.AppReading.Read read)) {
            return Optional.empty();
        }
        Set<String> known = new TreeSet<>(reading.left());
        peers.reportedLeft().stream().filter(u -> !peers.otherUnits.contains(u) && !u.equals(unit))
                .forEach(known::add);
        PlannerInput input = PlannerInput.builder().peers(withOwn(own, peers.others())).state(read.state())
                .offers(offers(peers)).managedSnaps(config.snaps()).maxUnavailable(config.maxUnavailable())
                .autoRefresh(config.autoRefresh()).request(request).leader(Optional.of(unit)).left(known)
                .leaving(peers.leaving()).watch(LeaderWatch.read(store, clock)).soakFor(config.soak())
                .soak(soakEntry(peers)).window(read.window()).build();
        if (reading.leaving()) {
            input = input.leaderLeaving(read.tally());
        }
        // The units' statuses are read while a plan runs, and when the databags, read through Juju's relation
        // cache, show units off the last plan's targets: they may be on them already. A steady hook asks nothing.
        boolean planRuns = read.state().activePlan().isPresent();
        input = input.withStatuses(planRuns ? unitStatuses() : Map.of());
        if (Planner.prunes(input)) {
            // Offers no unit in view tracks are dropped only once every principal goal-state lists has a unit in
            // view: a leader that has not joined every peer yet would drop what they run (Planner.mayPrune).
            input = input.withPrincipals(livePrincipals());
        }
        PlannerDecision decision = Planner.decide(input);
        if (!planRuns && read.state().plan().isPresent() && !decision.differences().isEmpty()) {
            input = input.withStatuses(unitStatuses());
            decision = Planner.decide(input);
        }
        // The leader's own refresh waits for its grant to be committed (I2, I5, see Planner.forLeaderAgent).
        // Its own start counts against the lower of the window committed and the one decided: a raised value is
        // not in force for the others until this hook commits.
        Optional<Integer> window = decision.window().map(w -> Math.min(w,
                read.window().orElse(config.maxUnavailable())));
        return Optional.of(new LeaderTurn(input, decision, new PeerCodec.AppReading.Read(
                Planner.forLeaderAgent(read.state(), decision.state(), unit), decision.tally(), decision.offers(),
                window, decision.soak())));
    }

    /**
     * This unit's decision on {@code app} (the leader's decided one when it leads). The agent asks for its peers'
     * readings only when it needs them (each is a relation-get: first those granted before it, to wait in line, then
     * every peer's, before it starts) and a worker for goal-state only where it would otherwise start: a steady hook
     * pays for neither (docs/protocol.md, "Cost per hook").
     */
    private OwnTurn ownDecision(Reading reading, PeerCodec.AppReading app, boolean registrationOk) {
        PeerView peers = reading.peers();
        // The snaps the machine lists that config snaps does not manage: this hook's listing, no call of its own.
        Map<String, Integer> unmanaged = new java.util.HashMap<>();
        reading.machine().listed().stream().filter(s -> !reading.installed().containsKey(s.name()))
                .forEach(s -> unmanaged.put(s.name(), s.revision()));
        AgentInput input = new AgentInput(unit, role, reading.installed(), reading.lastProgress(), app,
                config.maxUnavailable(), Optional.empty(), false, registrationOk, reading.witnessed(), reading.arch(),
                unmanaged).managing(config.snaps());
        AgentDecision act = UnitAgent.decide(input);
        if (act instanceof AgentDecision.NeedPeers need && !need.all()) {
            // The units granted before this one, in the app state it acts on, are the line it waits in.
            List<String> ahead = ((PeerCodec.AppReading.Read) app).state().grantedBefore(unit);
            act = UnitAgent.decide(input.withPeers(peers.withLeaving(peers.read(ahead)), false));
        }
        if (act instanceof AgentDecision.NeedPeers) {
            input = input.withPeers(peers.withLeaving(peers.others()), true);
            act = UnitAgent.decide(input);
        }
        if (act instanceof AgentDecision.NeedGoalState need) {
            try {
                act = UnitAgent.decide(input.withControlPlaneGoal(
                        tools.goalState().liveUnits(Role.CONTROL_PLANE.endpoint())));
            } catch (HookToolException e) {
                act = new AgentDecision.Settle(UnitAgent.goalStateUnreadable(need.plan(), e.getMessage()),
                        Optional.empty());
            }
        }
        if (reading.leaving() && (act instanceof AgentDecision.Refresh
                || act instanceof AgentDecision.Settle s && s.status().kind() == Status.Kind.WAITING)) {
            // This unit is leaving: its view of the peers shrinks with each -departed, so it could no longer see
            // a peer's failure (I4); and a refresh on a machine being removed helps nobody. What it would wait for
            // (a peer it no longer lists, its turn) it will never act on: it says it is leaving.
            act = new AgentDecision.Settle(Status.maintenance("leaving the relation: no refresh"), Optional.empty());
        }
        Optional<Plan> activePlan = activePlan(app);
        // Changes this unit started for the active plan run on whatever else holds it back now (a halt, a pause,
        // its own removal): it follows them to their end and reports, and starts nothing new.
        if (act instanceof AgentDecision.Settle settle && activePlan.isPresent() && reading.memory()
                .filter(m -> m.isFor(activePlan.get()) && !m.changes().isEmpty()).isPresent()) {
            Plan plan = activePlan.get();
            return new OwnTurn(new AgentDecision.Refresh(plan, plan.pendingOn(reading.arch(), reading.installed()),
                    plan.coveredOn(reading.arch(), reading.installed())), true, Optional.of(settle.status()));
        }
        return new OwnTurn(act, false, Optional.empty());
    }

    /**
     * {@code verify}, with the plan's targets whose refresh change this attempt started and follows but that config
     * snaps no longer manages (dropped while the refresh ran): the plan's change on the node all the same, followed to
     * its end and checked like the others before the unit says done. Without them, a unit whose other targets were
     * reached said done while snapd still refreshed the dropped snap, and the next unit of its tier started beside it
     * (I2). The target is the one of this machine's architecture for the channel the machine tracks.
     */
    static List<Target> withFollowedChanges(Plan plan, List<Target> verify, Optional<RefreshMemory> memory,
                                            String arch, List<InstalledSnap> listed) {
        Set<String> changed = memory.filter(m -> m.isFor(plan)).map(m -> m.changes().keySet()).orElse(Set.of());
        List<Target> followed = new ArrayList<>(verify);
        for (Target t : plan.targets()) {
            boolean covered = followed.stream().anyMatch(v -> v.snap().equals(t.snap()));
            if (!covered && changed.contains(t.snap()) && t.appliesTo(arch) && listed.stream()
                    .anyMatch(s -> s.name().equals(t.snap()) && s.tracking().equals(t.channel()))) {
                followed.add(t);
            }
        }
        return followed.size() == verify.size() ? verify : List.copyOf(followed);
    }

    /**
     * What every unit's workload status says ({@link StatusLine}), read once, by the leader, in a hook where a plan
     * runs: Juju reads the statuses from the controller at each call, and a unit's status-set lands at once, so
     * one call brings the latest word of every unit, where its databag comes through the relation cache one unit
     * per hook. A call that fails is no news: the databags still tell, later.
     */
    private Map<String, StatusLine> unitStatuses() {
        try {
            Map<String, StatusLine> lines = new java.util.TreeMap<>();
            tools.unitStatuses().forEach((peer, status) -> StatusLine.parse(status).ifPresent(l -> lines.put(peer, l)));
            // Its own status is as old as its last hook; its own report, read from its machine now, is newer about
            // its revisions. Not about a failure: one found in a hook that was then killed, or failed, before its
            // commit is in its status and nowhere else, and it must verify again before it counts as done (seeds
            // 175215, 173854: a failed unit elected leader freed its own grant and showed `active: on plan 1`).
            if (!(lines.get(unit) instanceof StatusLine.Failed)) {
                lines.remove(unit);
            }
            return lines;
        } catch (HookToolException e) {
            tools.log(HookTools.LogLevel.WARNING, "cannot read the units' statuses, going on with their databags: "
                    + e.getMessage());
            return Map.of();
        }
    }

    // ---- apply ---------------------------------------------------------------------------------------------

    /** An earlier attempt's changes, all ended and not this plan's: nothing left to follow. */
    private void forgetEndedAttempt(Reading reading, Optional<Plan> activePlan, OwnTurn turn) {
        if (reading.memory().filter(m -> activePlan.map(p -> !m.isFor(p)).orElse(true)).isPresent()
                && !reading.machine().rememberedRunning() && !(turn.act() instanceof AgentDecision.Refresh)) {
            RefreshMemory ended = reading.memory().get();
            AttemptLog.stopped(store, ended, activePlan.map(p -> AttemptLog.replacedBy(ended, p))
                    .orElse("its plan ended before it reported"), clock.instant());
            RefreshMemory.forget(store);
        }
    }

    /** This unit's refresh, when it goes (or follows its changes): its status and what it reports. */
    private Applied applyOwn(Reading reading, OwnTurn turn, UnitReport own) {
        Map<String, InstalledRevision> installed = reading.installed();
        Optional<Progress> lastProgress = reading.lastProgress();
        if (!(turn.act() instanceof AgentDecision.Refresh refresh)) {
            AgentDecision.Settle settle = (AgentDecision.Settle) turn.act();
            Optional<Progress> progress = settle.progress().or(() -> lastProgress);
            return new Applied(settle.status(), report(reading, reading.reportable(unit, installed, progress),
                    progress, own));
        }
        RefreshRun.Result result = new RefreshRun(tools, store, snaps, health, config, clock).run(refresh.plan(),
                refresh.refresh(), withFollowedChanges(refresh.plan(), refresh.verify(), reading.memory(),
                        reading.arch(), reading.machine().listed()), reading.machine(), turn.followOnly());
        if (result instanceof RefreshRun.StillRunning running) {
            // Granted and not done: the others keep counting this unit; the next hook looks again. Snaps snapd is
            // still changing (a revert started in this hook included) count at what this unit last reported.
            Map<String, InstalledRevision> reported = new java.util.TreeMap<>(installed);
            Map<String, InstalledRevision> last = reading.ownReport().lastInstalled(reading.peers().ownData);
            running.targets().forEach(t -> Optional.ofNullable(last.get(t.snap()))
                    .ifPresent(rev -> reported.put(t.snap(), rev)));
            return new Applied(UnitAgent.stillRefreshing(refresh.plan(), running.targets(), running.since(),
                    running.reverting()), report(reading, reported, lastProgress, own));
        }
        if (result instanceof RefreshRun.Gating gating) {
            // Not done while Kubernetes on the node is not healthy: the changed snaps count at what this unit last
            // reported, so its peers keep counting it busy and the leader keeps its grant.
            Map<String, InstalledRevision> reported = new java.util.TreeMap<>(installed);
            Map<String, InstalledRevision> last = reading.ownReport().lastInstalled(reading.peers().ownData);
            gating.targets().forEach(t -> Optional.ofNullable(last.get(t.snap()))
                    .ifPresent(rev -> reported.put(t.snap(), rev)));
            return new Applied(gating.status(), report(reading, reported, lastProgress, own));
        }
        if (result instanceof RefreshRun.NotNow waiting) {
            return new Applied(turn.heldBack().orElse(UnitAgent.waitingForSnapd(refresh.plan(), waiting.reason(),
                    waiting.since())), report(reading, reading.reportable(unit, installed, lastProgress),
                    lastProgress, own));
        }
        RefreshRun.Finished finished = (RefreshRun.Finished) result;
        Progress progress = finished.progress();
        Status status = progress.failure().map(f -> StatusLine.failed(refresh.plan(), f))
                .orElse(StatusLine.done(refresh.plan(), progress));
        return new Applied(status, report(reading, finished.installed().orElse(installed), Optional.of(progress), own));
    }

    /** This unit's report after this hook: what it runs and its outcome, with the view of the store it reports. */
    private UnitReport report(Reading reading, Map<String, InstalledRevision> installed, Optional<Progress> progress,
                              UnitReport own) {
        return new UnitReport(unit, role, installed, progress, reading.witnessed(), reading.arch(), own.view())
                .on(principal).checked(standingCheck(reading)).managing(config.snaps());
    }

    /** The soak check this unit last reported, while its plan is active (a unit with nothing to do has no progress). */
    private static Optional<Soak.Check> standingCheck(Reading reading) {
        return reading.ownReport().lastSoakCheck(reading.peers().ownData)
                .filter(c -> activePlan(reading.peers().app).map(p -> p.id() == c.plan()).orElse(false));
    }

    /**
     * While a soak names this unit (the canary in its soak, every control-plane unit in the control plane's), the
     * unit checks its own services in every hook, as after a refresh: broken services are this attempt's failure
     * (the rollout halts); healthy at or after the soak's end, it reports the check the leader waits for to end
     * the soak. Health gates on Kubernetes endpoints go here too. A unit waiting while a soak runs says so.
     */
    private Applied soakCheck(Reading reading, PeerCodec.AppReading app, Optional<Soak.Entry> soak, OwnTurn turn,
                              Applied applied) {
        Optional<Plan> plan = activePlan(app);
        if (soak.isEmpty() || plan.isEmpty() || !(app instanceof PeerCodec.AppReading.Read read)
                || read.state().halt().isPresent() || turn.act() instanceof AgentDecision.Refresh) {
            return applied;
        }
        // A soaking unit's status is not StatusLine's "verified" form: the leader would take it for the report it
        // stands for, and the soak check travels only in the databag.
        Soak.Entry entry = soak.get();
        if (!Soak.names(soak, plan.get(), unit, role) || !applied.report().done(plan.get())) {
            boolean soaking = !entry.ended() && entry.plan() == plan.get().id();
            return soaking && applied.status().kind() == Status.Kind.WAITING && !read.state().granted(unit)
                    ? new Applied(Soak.waitingStatus(entry, plan.get()), applied.report()) : applied;
        }
        List<Target> mine = plan.get().coveredOn(reading.arch(), reading.installed());
        Optional<Failure> failure;
        Optional<HealthGate.Waiting> unhealthy = Optional.empty();
        try {
            List<InstalledSnap> installed = snaps.list();
            Set<String> names = mine.stream().map(Target::snap).collect(java.util.stream.Collectors.toSet());
            List<SnapService> services = snaps.services().stream().filter(s -> names.contains(s.snap())).toList();
            failure = UnitAgent.verify(mine, installed, services);
            if (failure.isEmpty()) {
                // The node's health gate, asked once in this hook (no waiting): a soaking unit is done already,
                // and one that stays unhealthy over the gate's bound fails its attempt like broken services.
                HealthGate.Verdict gate = new HealthCheck(health, store, config, clock).run(plan.get(), mine,
                        services, clock.instant(), Optional.empty());
                if (gate instanceof HealthGate.Failed f) {
                    failure = Optional.of(f.failure());
                } else if (gate instanceof HealthGate.Waiting w) {
                    unhealthy = Optional.of(w);
                }
            }
        } catch (SnapException e) {
            // Not a failure: the check is made again on the next hook, and the soak waits for it.
            return new Applied(Status.active("on plan " + plan.get().id() + "; soaking: cannot check services now ("
                    + e.error().describe() + "); trying again on the next hook"), applied.report());
        }
        if (failure.isPresent()) {
            Failure found = new Failure(failure.get().snap(), failure.get().revision(), failure.get().error()
                    + " (found while soaking)");
            if (config.onFailure() == CharmConfig.OnFailure.REVERT) {
                // As after a failed verification: the attempt's own refresh changes are reverted, followed in this
                // and later hooks like any revert (RefreshRun), then reported reverted.
                refreshedIn(plan.get()).withFailure(found).remember(store);
                return applyOwn(reading, new OwnTurn(new AgentDecision.Refresh(plan.get(), List.of(), mine), false,
                        Optional.empty()), applied.report());
            }
            Progress failed = Progress.failed(plan.get(), Phase.FAILED, found);
            UnitReport report = report(reading, applied.report().installed(), Optional.of(failed), applied.report());
            return new Applied(StatusLine.failed(plan.get(), found), report);
        }
        if (unhealthy.isPresent()) {
            // No soak check while the node is not healthy: the soak waits for it (or the gate fails it).
            return new Applied(HealthGate.checking(plan.get(), unhealthy.get(), "soaking until "
                    + Soak.clock(entry.until()) + "; checked again on the next hook"), applied.report());
        }
        // One check per soak: written once, in the first hook at or after its end (each write costs every peer
        // a hook).
        Optional<Soak.Check> check = applied.report().soakCheck().filter(c -> c.counts(entry))
                .or(() -> Soak.checkDue(entry, clock.instant()));
        if (check.isEmpty()) {
            return new Applied(Status.active("on plan " + plan.get().id() + "; soaking until "
                    + Soak.clock(entry.until()) + ", services checked"), applied.report());
        }
        return new Applied(Status.active("on plan " + plan.get().id() + "; soak over, services checked at "
                + Soak.clock(check.get().at())), applied.report().checked(check));
    }

    /** The refresh changes this unit's attempt at the plan made, as its attempt log kept them (none if unreadable). */
    private RefreshMemory refreshedIn(Plan plan) {
        List<AttemptLog.Attempt> attempts;
        try {
            attempts = AttemptLog.read(store);
        } catch (IllegalArgumentException e) {
            attempts = List.of();
        }
        RefreshMemory memory = RefreshMemory.fresh(plan, clock.instant());
        for (AttemptLog.Attempt attempt : attempts) {
            if (attempt.plan() == plan.id() && attempt.attempt() == plan.attempt()) {
                for (Map.Entry<String, String> change : attempt.changes().entrySet()) {
                    memory = memory.withChange(change.getKey(), change.getValue(), clock.instant());
                }
            }
        }
        return memory;
    }

    private static Optional<Soak.Entry> soakEntry(PeerView peers) {
        // Readable: PeerCodec.decodeApp refuses rollout data whose soak entry is not.
        return peers.app instanceof PeerCodec.AppReading.Read
                ? Soak.Entry.decode(peers.appData.get(Soak.KEY)) : Optional.empty();
    }

    /** This unit's databag (the keys that changed) and its unit-store copy ({@link OwnReport}). */
    private void writeReport(Reading reading, UnitReport report) {
        PeerView peers = reading.peers();
        Map<String, String> ownData = new LinkedHashMap<>(PeerCodec.encodeUnit(report));
        ownData.putAll(PeerCodec.encodeLeft(reading.leftGranted()));
        reading.ownReport().write(peers.ownData, ownData, values -> tools.relationSet(peers.relationId, values));
    }

    /**
     * The leader's app data, app status and watch. When its own refresh changed what it reports, it decides again
     * first, so its grant moves on this hook (no peer write would wake the leader otherwise).
     */
    private PlannerDecision applyLeader(Reading reading, LeaderTurn turn, UnitReport own, UnitReport report) {
        PeerView peers = reading.peers();
        PlannerDecision first = turn.decision();
        Watch watch = turn.input().watch();
        PlannerDecision last = report.equals(own) ? first : Planner.decide(turn.input()
                .afterOwnRefresh(withOwn(report, peers.others()), first.state(),
                        new Watch(watch.now(), first.dueSince(), watch.silentAfter()), first.offers())
                .withSoak(config.soak(), first.soak()));
        Map<String, String> appValues = new LinkedHashMap<>(PeerCodec.encodeApp(last.state(), last.tally(),
                last.offers(), last.window()));
        appValues.put(Soak.KEY, last.soak().map(Soak.Entry::encode).orElse(""));
        appValues.put(PlanHistory.KEY, PlanHistory.next(peers.appData.getOrDefault(PlanHistory.KEY, ""),
                last.state(), clock.instant()));
        Databags.writeChanged(peers.appData, appValues, values -> tools.relationSetApp(peers.relationId, values));
        tools.appStatusSet(last.appStatus());
        LeaderWatch.write(store, last.dueSince());
        return new PlannerDecision(last.state(), last.tally(), last.appStatus(), first.differences(),
                first.planCreated(), last.dueSince(), first.superseded(), first.refused(), last.offers(),
                last.soak(), last.window());
    }

    /**
     * A leader that cannot read the rollout says so; a watch kept while leading is stale by the time this unit leads
     * again.
     */
    private void notLeading(Reading reading) {
        if (reading.leader() && reading.peers().app instanceof PeerCodec.AppReading.Unreadable bad) {
            tools.appStatusSet(Status.blocked("rollout data unreadable: " + bad.malformed().reason()));
        }
        LeaderWatch.write(store, Map.of());
    }

    /** The hold's lapse on an active status, and why this unit could not look at the store unless it is blocked. */
    private static Status withNotes(Status status, Optional<String> holdNote, Optional<String> trouble) {
        if (status.kind() == Status.Kind.ACTIVE && holdNote.isPresent()) {
            status = Status.active(status.message() + "; " + holdNote.get());
        }
        if (trouble.isPresent() && status.kind() != Status.Kind.BLOCKED) {
            status = new Status(status.kind(), status.message() + "; " + trouble.get());
        }
        return status;
    }

    /**
     * The failure of a departed unit this unit reports: in a {@code -departed} hook, the departing unit's failure
     * of the current attempt (its data is readable for the last time), or one it reported itself; otherwise the
     * one this unit reported before, while the plan and attempt it is about are still current.
     */
    private Optional<Witnessed> witnessed(PeerView peers, Optional<Witnessed> before) {
        if (!(peers.app instanceof PeerCodec.AppReading.Read read)) {
            return before;
        }
        Optional<Plan> active = read.state().activePlan();
        if (active.isEmpty()) {
            return Optional.empty();
        }
        Optional<Witnessed> kept = before.filter(w -> w.current(active.get()));
        if (kept.isPresent() || departing.isEmpty() || departing.get().equals(unit)) {
            return kept;
        }
        for (UnitReading reading : peers.leaving()) {
            if (reading instanceof UnitReading.Reported r) {
                UnitReport gone = r.report();
                if (gone.failed(active.get())) {
                    return Optional.of(new Witnessed(gone.unit(), gone.progress().orElseThrow()));
                }
                Optional<Witnessed> relayed = gone.witnessed().filter(w -> w.current(active.get()));
                if (relayed.isPresent()) {
                    return relayed;
                }
            }
        }
        return Optional.empty();
    }

    // ---- the plan action: read-only ------------------------------------------------------------------------

    /** What a plan would be (or the active one) and the order of units per tier; writes nothing. */
    record Preview(long planId, boolean active, List<Target> targets, Map<Role, List<String>> order) {
    }

    Preview preview() {
        PeerView peers = relations.peerRelation().map(rid -> PeerView.read(tools, rid, unit, departing))
                .orElseThrow(() -> new IllegalStateException("no peer relation yet"));
        OwnReport ownReport = new OwnReport(store, unit);
        Map<String, InstalledRevision> installed = MachineReading.read(snaps, config.snaps(),
                ownReport.lastInstalled(peers.ownData), RefreshMemory.recall(store)).settled();
        String arch = ownReport.lastArch(peers.ownData).orElseGet(() -> snaps.systemInfo().architecture());
        UnitReport own = new UnitReport(unit, role, installed, ownReport.lastProgress(peers.ownData), Optional.empty(),
                arch, ownReport.lastView(peers.ownData)).managing(config.snaps());
        if (!(peers.app instanceof PeerCodec.AppReading.Read read)) {
            throw new IllegalStateException("rollout data unreadable: "
                    + ((PeerCodec.AppReading.Unreadable) peers.app).malformed().reason());
        }
        RolloutState state = read.state();
        List<UnitReading> all = withOwn(own, peers.others());
        var census = io.snapcoherence.coherence.Census.of(all).withGrants(state.grants()).managing(config.snaps());
        Optional<String> leader = tools.isLeader() ? Optional.of(unit) : Optional.empty();
        Optional<Plan> active = state.activePlan();
        if (active.isPresent()) {
            return new Preview(active.get().id(), true, active.get().targets(),
                    Planner.order(census, active.get(), leader));
        }
        // What the units reported the proxy serves, as the leader would merge it now.
        Offers offers = offers(peers).withCheck(io.snapcoherence.coherence.CheckRound.NONE);
        PlannerDecision d = Planner.decide(PlannerInput.builder().peers(all).state(state).offers(offers)
                .managedSnaps(config.snaps()).maxUnavailable(config.maxUnavailable()).autoRefresh(false)
                .leader(leader).left(Set.of()).watch(new Watch(clock.instant(), Map.of(), Watch.SILENT_AFTER))
                .build());
        Plan hypothetical = new Plan(state.lastPlanId() + 1, 1, d.differences(), false);
        return new Preview(hypothetical.id(), false, d.differences(), Planner.order(census, hypothetical, leader));
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private String proxy() {
        return config.proxyUrl().map(java.net.URI::toString).orElse("");
    }

    /** What the leader holds the proxy serves, as usable with this unit's proxy-url. */
    private Offers offers(PeerView peers) {
        return peers.app instanceof PeerCodec.AppReading.Read r ? r.offers().forProxy(proxy()) : Offers.NONE;
    }

    private static Optional<Plan> activePlan(PeerCodec.AppReading app) {
        return app instanceof PeerCodec.AppReading.Read read ? read.state().activePlan() : Optional.empty();
    }

    private static List<UnitReading> withOwn(UnitReport own, List<UnitReading> others) {
        List<UnitReading> all = new ArrayList<>(others);
        all.add(new UnitReading.Reported(own));
        return all;
    }
}
