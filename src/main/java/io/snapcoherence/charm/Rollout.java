package io.snapcoherence.charm;

import io.snapcoherence.coherence.AgentDecision;
import io.snapcoherence.coherence.AgentInput;
import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.LeaderRequest;
import io.snapcoherence.coherence.Offers;
import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.PlanHistory;
import io.snapcoherence.coherence.Planner;
import io.snapcoherence.coherence.PlannerDecision;
import io.snapcoherence.coherence.PlannerInput;
import io.snapcoherence.coherence.Progress;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.StoreView;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.coherence.UnitAgent;
import io.snapcoherence.coherence.UnitReading;
import io.snapcoherence.coherence.UnitReport;
import io.snapcoherence.coherence.Watch;
import io.snapcoherence.coherence.Witnessed;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookToolException;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.SnapException;
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
 * The rollout on one unit for one hook: read the peer relation and the machine, let the pure {@link Planner}
 * (leader) and {@link UnitAgent} decide, apply. Databags are written only where a value changed; each unit looks at
 * the store its snapd uses when due ({@link StoreCheck}) and the leader plans from what the units reported.
 */
final class Rollout {
    private final HookTools tools;
    private final Snaps snaps;
    private final CharmConfig config;
    private final Role role;
    private final String unit;
    private final String app;
    private final Clock clock;

    private final Event event;
    private final Optional<String> departing;
    private final KnownRelations relations;
    /** The principal unit this unit runs on, as Juju names it to this unit (JUJU_PRINCIPAL_UNIT) and in goal-state. */
    private final Optional<String> principal;

    Rollout(HookTools tools, Snaps snaps, CharmConfig config, Role role, String unit, Optional<String> principal,
            Event event, Clock clock) {
        this.principal = principal;
        this.event = event;
        this.departing = event.departingUnit();
        this.relations = new KnownRelations(tools, event);
        this.clock = clock;
        this.tools = tools;
        this.snaps = snaps;
        this.config = config;
        this.role = role;
        this.unit = unit;
        this.app = unit.substring(0, unit.indexOf('/'));
    }

    /** What one reconcile did, for the unit status and for action results. */
    record Outcome(Status unitStatus, Optional<PlannerDecision> leaderDecision) {
    }

    /** The peer relation as read this hook. */
    private final class PeerView {
        final String relationId;
        final Map<String, String> ownData;
        final List<String> otherUnits;
        final PeerCodec.AppReading app;
        final Map<String, String> appData;
        private List<UnitReading> others;
        private final Map<String, Optional<UnitReading>> readings = new java.util.HashMap<>();
        private List<UnitReading> leaving;
        private final Set<String> reportedLeft = new TreeSet<>();

        PeerView(String relationId, Map<String, String> ownData, List<String> otherUnits, PeerCodec.AppReading app,
                 Map<String, String> appData) {
            this.relationId = relationId;
            this.ownData = ownData;
            this.otherUnits = otherUnits;
            this.app = app;
            this.appData = appData;
        }

        /** The other units' readings: one relation-get each, so read once and only when needed. */
        List<UnitReading> others() {
            if (others == null) {
                others = read(otherUnits);
            }
            return others;
        }

        /** The readings of those of {@code units} in the relation, each read at most once per hook. */
        List<UnitReading> read(java.util.Collection<String> units) {
            Set<String> wanted = new java.util.HashSet<>(units);
            List<UnitReading> out = new ArrayList<>();
            for (String peer : otherUnits) {
                if (wanted.contains(peer)) {
                    readings.computeIfAbsent(peer, p -> readOne(p).map(data -> {
                        reportedLeft.addAll(PeerCodec.decodeLeft(data));
                        return PeerCodec.decodeUnit(p, data);
                    })).ifPresent(out::add);
                }
            }
            return out;
        }

        private Optional<Map<String, String>> readOne(String peer) {
            try {
                return Optional.of(tools.relationGet(relationId, peer));
            } catch (HookToolException e) {
                // Left between relation-list and relation-get: departed, its grant is freed.
                tools.log(HookTools.LogLevel.DEBUG, "peer " + peer + " gone: " + e.getMessage());
                return Optional.empty();
            }
        }

        /**
         * In a {@code -departed} hook, the departing unit's reading: Juju still shows its data. It is no longer a
         * peer (its grant is freed now), but while it leaves, its failure must still stop this unit and halt the
         * rollout (I4), and a refresh it may be in must still count.
         */
        List<UnitReading> leaving() {
            if (leaving == null) {
                leaving = departing.filter(d -> !d.equals(unit))
                        .flatMap(d -> readOne(d).map(data -> PeerCodec.decodeUnit(d, data))).stream().toList();
            }
            return leaving;
        }

        /** {@code readings} and the departing unit's: what this unit's own refresh decision must see. */
        List<UnitReading> withLeaving(List<UnitReading> readings) {
            List<UnitReading> all = new ArrayList<>(readings);
            all.addAll(leaving());
            return all;
        }

        /** Units the other units report as having left while granted (read with {@link #others()}). */
        Set<String> reportedLeft() {
            others();
            return reportedLeft;
        }
    }

    /**
     * Every hook: holds, this unit's look at what the store serves, the leader's plan and grants, this unit's
     * refresh. While a configured proxy is not registered ({@code registration} does not allow refreshes) no
     * planned refresh happens here and this unit's view of the store is not reported.
     */
    Outcome reconcile(ProxyRegistration.Outcome registration, Optional<LeaderRequest> request) {
        boolean registrationOk = registration.allowsRefresh();
        // Juju creates the peer relation with the application; until its first hook there is nothing to do.
        Optional<PeerView> view = readPeers();
        if (view.isEmpty()) {
            return new Outcome(Status.waiting("waiting for the peer relation"), Optional.empty());
        }
        PeerView peers = view.get();
        OwnReport ownReport = new OwnReport(tools, unit);
        Optional<RefreshMemory> memory = RefreshMemory.recall(tools);
        MachineReading machine;
        try {
            machine = MachineReading.read(snaps, config.snaps(), ownReport.lastInstalled(peers.ownData), memory);
        } catch (SnapException e) {
            // Nothing is decided or reported from a machine read halfway.
            return new Outcome(Status.waiting("cannot read snapd: " + e.error().describe()
                    + "; trying again on the next hook"), Optional.empty());
        }
        // A snap with a change in progress counts at its last reported revision (see MachineReading).
        Map<String, InstalledRevision> installed = machine.settled();
        // The machine's architecture: its targets are those of its architecture, its view of the store is one.
        String arch;
        try {
            arch = ownReport.lastArch(peers.ownData).orElseGet(() -> snaps.systemInfo().architecture());
        } catch (SnapException e) {
            return new Outcome(Status.waiting("cannot read snapd: " + e.error().describe()
                    + "; trying again on the next hook"), Optional.empty());
        }
        Optional<String> holdNote = new Holds(tools, snaps, clock).apply(config.hold() ? installed.keySet() : Set.of());
        Optional<Progress> lastProgress = ownReport.lastProgress(peers.ownData);
        Optional<Witnessed> witnessed = witnessed(peers, ownReport.lastWitnessed(peers.ownData));

        Optional<PlannerDecision> decision = Optional.empty();
        Optional<PlannerInput> leaderInput = Optional.empty();
        PeerCodec.AppReading app = peers.app;
        // Every unit remembers its granted peers: it may lead later and must then tell who left from who it has
        // not seen.
        List<String> granted = app instanceof PeerCodec.AppReading.Read r ? r.state().grants() : List.of();
        Set<String> left = Membership.left(tools, peers.otherUnits, departing.filter(d -> !d.equals(unit)), granted);
        // A unit that is leaving sees every peer leave (its relation-list shrinks with each of its own -departed
        // hooks): it reports nobody as left, and as leader it changes nothing it cannot see (Planner).
        boolean leaving = Membership.leaving(tools, unit, departing);
        // Granted units seen leaving are also reported in the databag, for a leader that never saw them.
        List<String> leftGranted = leaving ? List.of() : left.stream().filter(granted::contains).toList();

        // What the store this node uses would give a refresh: looked at when due, reported only when usable and
        // news to the leader (or asked for). A unit that is leaving looks no more.
        String proxy = config.proxyUrl().map(java.net.URI::toString).orElse("");
        Offers offers = app instanceof PeerCodec.AppReading.Read r ? r.offers().forProxy(proxy) : Offers.NONE;
        Optional<StoreView> lastView = ownReport.lastView(peers.ownData);
        StoreCheck.Outcome look = leaving ? new StoreCheck.Outcome(lastView, Optional.empty())
                : new StoreCheck(tools, snaps, clock).run(event, request.orElse(null) instanceof LeaderRequest.Refresh,
                unit, arch, proxy, registrationOk,
                registration instanceof ProxyRegistration.Outcome.Registered reg ? Optional.of(reg.storeId())
                        : Optional.empty(), machine, config.snaps(), lastView, offers);
        UnitReport own = new UnitReport(unit, role, installed, lastProgress, witnessed, arch, look.report())
                .on(principal);

        boolean leader = tools.isLeader(); // asked once: a hook acts on one answer
        if (leader && app instanceof PeerCodec.AppReading.Read read) {
            Set<String> known = new TreeSet<>(left);
            peers.reportedLeft().stream().filter(u -> !peers.otherUnits.contains(u) && !u.equals(unit))
                    .forEach(known::add);
            PlannerInput input = new PlannerInput(withOwn(own, peers.others()), read.state(), offers, config.snaps(),
                    config.maxUnavailable(), config.autoRefresh(), request, Optional.of(unit), known,
                    peers.leaving()).at(LeaderWatch.read(tools, clock)).withWindow(read.window());
            leaderInput = Optional.of(leaving ? input.leaderLeaving(read.tally()) : input);
            decision = Optional.of(Planner.decide(leaderInput.get()));
            // The leader's own refresh waits for its grant to be committed (I2, I5, see Planner.forLeaderAgent).
            // Its own start counts against the lower of the window committed and the one decided: a raised value
            // is not in force for the others until this hook commits.
            Optional<Integer> window = decision.get().window().map(w -> Math.min(w,
                    read.window().orElse(config.maxUnavailable())));
            app = new PeerCodec.AppReading.Read(Planner.forLeaderAgent(read.state(), decision.get().state(), unit),
                    decision.get().tally(), decision.get().offers(), window);
        }

        AgentInput agentInput = new AgentInput(unit, role, installed, lastProgress, app, config.maxUnavailable(),
                Optional.empty(), false, registrationOk, witnessed, arch);
        AgentDecision act = UnitAgent.decide(agentInput);
        if (act instanceof AgentDecision.NeedPeers need && !need.all()) {
            // The app state this unit acts on (the leader's decided one): the units granted before it are the
            // line it waits in.
            List<String> ahead = ((PeerCodec.AppReading.Read) app).state().grantedBefore(unit);
            act = UnitAgent.decide(agentInput.withPeers(peers.withLeaving(peers.read(ahead)), false));
        }
        if (act instanceof AgentDecision.NeedPeers) {
            agentInput = agentInput.withPeers(peers.withLeaving(peers.others()), true);
            act = UnitAgent.decide(agentInput);
        }
        if (act instanceof AgentDecision.NeedGoalState need) {
            // Asked only here, by a worker about to start: no steady hook pays for the call.
            try {
                act = UnitAgent.decide(agentInput.withControlPlaneGoal(
                        tools.goalState().liveUnits(Role.CONTROL_PLANE.endpoint())));
            } catch (HookToolException e) {
                act = new AgentDecision.Settle(UnitAgent.goalStateUnreadable(need.plan(), e.getMessage()),
                        Optional.empty());
            }
        }
        if (act instanceof AgentDecision.Refresh && leaving) {
            // This unit is leaving: its view of the peers shrinks with each -departed, so it could no longer see
            // a peer's failure (I4); and a refresh on a machine being removed helps nobody.
            act = new AgentDecision.Settle(Status.maintenance("leaving the relation: no refresh"), Optional.empty());
        }
        // Changes this unit started for the active plan run on whatever else holds it back now (a halt, a pause,
        // its own removal): it follows them to their end and reports, and starts nothing new.
        Optional<Plan> activePlan = app instanceof PeerCodec.AppReading.Read read ? read.state().activePlan()
                : Optional.empty();
        if (memory.filter(m -> activePlan.map(p -> !m.isFor(p)).orElse(true)).isPresent()
                && !machine.rememberedRunning() && !(act instanceof AgentDecision.Refresh)) {
            RefreshMemory.forget(tools); // an earlier attempt's changes, all ended: nothing left to follow
        }
        boolean followOnly = false;
        Optional<Status> heldBack = Optional.empty();
        if (act instanceof AgentDecision.Settle settle && activePlan.isPresent()
                && memory.filter(m -> m.isFor(activePlan.get()) && !m.changes().isEmpty()).isPresent()) {
            Plan plan = activePlan.get();
            heldBack = Optional.of(settle.status());
            followOnly = true;
            act = new AgentDecision.Refresh(plan, plan.pendingOn(arch, installed), plan.coveredOn(arch, installed));
        }
        Status status;
        UnitReport report;
        if (act instanceof AgentDecision.Refresh refresh) {
            RefreshRun.Result result = new RefreshRun(tools, snaps, config, clock).run(refresh.plan(),
                    refresh.refresh(), refresh.verify(), machine, followOnly);
            if (result instanceof RefreshRun.StillRunning running) {
                // Granted and not done: the others keep counting this unit; the next hook looks again.
                status = UnitAgent.stillRefreshing(refresh.plan(), running.targets(), running.since(),
                        running.reverting());
                // Snaps snapd is still changing (a revert started in this hook included) count at what this unit
                // last reported for them.
                Map<String, InstalledRevision> reported = new java.util.TreeMap<>(installed);
                Map<String, InstalledRevision> last = ownReport.lastInstalled(peers.ownData);
                running.targets().forEach(t -> Optional.ofNullable(last.get(t.snap()))
                        .ifPresent(rev -> reported.put(t.snap(), rev)));
                report = new UnitReport(unit, role, reported, lastProgress, witnessed, arch, own.view());
            } else if (result instanceof RefreshRun.NotNow waiting) {
                status = heldBack.orElse(UnitAgent.waitingForSnapd(refresh.plan(), waiting.reason(), waiting.since()));
                report = new UnitReport(unit, role, installed, lastProgress, witnessed, arch, own.view());
            } else {
                RefreshRun.Finished finished = (RefreshRun.Finished) result;
                Progress progress = finished.progress();
                status = progress.failure().map(f -> Status.blocked(f.describe(refresh.plan().id())))
                        .orElse(Status.active("on plan " + refresh.plan().id()));
                report = new UnitReport(unit, role, finished.installed().orElse(installed), Optional.of(progress),
                        witnessed, arch, own.view());
            }
        } else {
            AgentDecision.Settle settle = (AgentDecision.Settle) act;
            status = settle.status();
            report = new UnitReport(unit, role, installed, settle.progress().or(() -> lastProgress), witnessed, arch,
                    own.view());
        }
        if (status.kind() == Status.Kind.ACTIVE && holdNote.isPresent()) {
            status = Status.active(status.message() + "; " + holdNote.get());
        }
        if (look.trouble().isPresent() && status.kind() != Status.Kind.BLOCKED) {
            status = new Status(status.kind(), status.message() + "; " + look.trouble().get());
        }
        report = report.on(principal);
        Map<String, String> ownData = new LinkedHashMap<>(PeerCodec.encodeUnit(report));
        ownData.putAll(PeerCodec.encodeLeft(leftGranted));
        ownReport.write(peers.ownData, ownData, values -> tools.relationSet(peers.relationId, values));

        if (decision.isPresent()) {
            PlannerDecision first = decision.get();
            // The leader's own refresh changed what it reports: decide again so its grant moves on this hook
            // (no peer write would wake the leader otherwise).
            Watch watch = leaderInput.get().watch();
            PlannerDecision last = report.equals(own) ? first : Planner.decide(leaderInput.get().afterOwnRefresh(
                    withOwn(report, peers.others()), first.state(),
                    new Watch(watch.now(), first.dueSince(), watch.silentAfter()), first.offers()));
            Map<String, String> appValues = new LinkedHashMap<>(PeerCodec.encodeApp(last.state(), last.tally(),
                    last.offers(), last.window()));
            appValues.put(PlanHistory.KEY, PlanHistory.next(peers.appData.getOrDefault(PlanHistory.KEY, ""),
                    last.state(), clock.instant()));
            Databags.writeChanged(peers.appData, appValues, values -> tools.relationSetApp(peers.relationId, values));
            tools.appStatusSet(last.appStatus());
            LeaderWatch.write(tools, last.dueSince());
            decision = Optional.of(new PlannerDecision(last.state(), last.tally(), last.appStatus(),
                    first.differences(), first.planCreated(), last.dueSince(), first.superseded(), first.refused(),
                    last.offers(), last.window()));
        } else {
            if (leader && peers.app instanceof PeerCodec.AppReading.Unreadable bad) {
                tools.appStatusSet(Status.blocked("rollout data unreadable: " + bad.malformed().reason()));
            }
            // A watch kept while leading is stale by the time this unit leads again.
            LeaderWatch.write(tools, Map.of());
        }
        return new Outcome(status, decision);
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
        PeerView peers = readPeers().orElseThrow(() -> new IllegalStateException("no peer relation yet"));
        OwnReport ownReport = new OwnReport(tools, unit);
        Map<String, InstalledRevision> installed = MachineReading.read(snaps, config.snaps(),
                ownReport.lastInstalled(peers.ownData), RefreshMemory.recall(tools)).settled();
        String arch = ownReport.lastArch(peers.ownData).orElseGet(() -> snaps.systemInfo().architecture());
        UnitReport own = new UnitReport(unit, role, installed, ownReport.lastProgress(peers.ownData), Optional.empty(),
                arch, ownReport.lastView(peers.ownData));
        if (!(peers.app instanceof PeerCodec.AppReading.Read read)) {
            throw new IllegalStateException("rollout data unreadable: "
                    + ((PeerCodec.AppReading.Unreadable) peers.app).malformed().reason());
        }
        RolloutState state = read.state();
        List<UnitReading> all = withOwn(own, peers.others());
        var census = io.snapcoherence.coherence.Census.of(all);
        Optional<String> leader = tools.isLeader() ? Optional.of(unit) : Optional.empty();
        Optional<Plan> active = state.activePlan();
        if (active.isPresent()) {
            return new Preview(active.get().id(), true, active.get().targets(), Planner.order(census, active.get(), leader));
        }
        // What the units reported the proxy serves, as the leader would merge it now.
        Offers offers = read.offers().forProxy(config.proxyUrl().map(java.net.URI::toString).orElse(""))
                .withCheck(io.snapcoherence.coherence.CheckRound.NONE);
        PlannerDecision d = Planner.decide(new PlannerInput(all, state, offers, config.snaps(),
                config.maxUnavailable(), false, Optional.empty(), leader, Set.of()).at(new Watch(clock.instant(),
                Map.of(), Watch.SILENT_AFTER)));
        Plan hypothetical = new Plan(state.lastPlanId() + 1, 1, d.differences(), false);
        return new Preview(hypothetical.id(), false, d.differences(), Planner.order(census, hypothetical, leader));
    }

    // ---- reading -------------------------------------------------------------------------------------------

    private Optional<PeerView> readPeers() {
        Optional<String> peerRelation = relations.peerRelation();
        if (peerRelation.isEmpty()) {
            return Optional.empty();
        }
        String rid = peerRelation.get();
        List<String> others = tools.relationList(rid).stream().filter(peer -> !departing.equals(Optional.of(peer)))
                .toList(); // a departing unit is leaving: its grant is freed now (I8)
        Map<String, String> appData = tools.relationGetApp(rid, app);
        return Optional.of(new PeerView(rid, tools.relationGet(rid, unit), others,
                PeerCodec.decodeApp(app, appData), appData));
    }

    private static List<UnitReading> withOwn(UnitReport own, List<UnitReading> others) {
        List<UnitReading> all = new ArrayList<>(others);
        all.add(new UnitReading.Reported(own));
        return all;
    }
}
