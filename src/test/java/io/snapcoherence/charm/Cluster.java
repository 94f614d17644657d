package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookRun;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.juju.Status;
import io.snapcoherence.sim.RefreshEvent;
import io.snapcoherence.sim.SimulatedMachine;
import io.snapcoherence.sim.SimulatedProxy;
import io.snapcoherence.sim.SimulatedStore;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A few units of snap-coherence sharing a peer relation, each with its own simulated machine, for scenario tests
 * of the rollout across units. Each hook runs one unit through {@link CharmRunner} on its {@link ModelState}; its
 * committed writes become what the others read. Not a scheduler: tests pick which unit runs which hook.
 */
final class Cluster {
    static final String APP = "snap-coherence";
    static final String PEER = "coherence:1";

    final SimulatedStore store = new SimulatedStore("store-1");
    final SimulatedProxy proxy = new SimulatedProxy(store);
    final Map<String, Member> members = new TreeMap<>(io.snapcoherence.coherence.Units.ORDER);
    /** Every revision change on every machine, in the order it happened. */
    final List<RefreshEvent> timeline = new ArrayList<>();
    Map<String, String> appData = Map.of();
    Status appStatus = Status.unknown();
    Map<String, Object> config = new LinkedHashMap<>(Map.of("snaps", "kube-apiserver kubelet kubectl"));
    String leader = APP + "/0";

    static final class Member {
        final String unit;
        final Role role;
        final SimulatedMachine machine;
        /** What the charm talks to: the machine, or the machine with something happening around a request. */
        java.util.function.UnaryOperator<io.snapcoherence.snap.Snaps> around = snaps -> snaps;
        /** When set, the {@code goal-state} hook tool fails this way on this member (the other tools work). */
        Optional<io.snapcoherence.juju.HookToolException> goalStateFails = Optional.empty();
        Map<String, String> databag = Map.of();
        Map<String, String> unitStore = Map.of();
        Status status = Status.unknown();
        int relationWrites;
        /**
         * Units this member does not see (relation-list, relation-get): not joined yet from its view (a unit added
         * and elected leader before its -joined hooks ran), or taken out by its own -departed hooks while it is
         * being removed.
         */
        final java.util.Set<String> hidden = new java.util.TreeSet<>();
        /**
         * Other members' databags as this member's agent last fetched them (Juju's relation cache): read instead
         * of their current data while set.
         */
        final Map<String, Map<String, String>> cached = new java.util.HashMap<>();

        Member(String unit, Role role, SimulatedMachine machine) {
            this.unit = unit;
            this.role = role;
            this.machine = machine;
        }
    }

    Member add(int number, Role role, Object... snapChannelRevision) {
        String unit = APP + "/" + number;
        SimulatedMachine machine = new SimulatedMachine("machine-" + number, store);
        for (int i = 0; i < snapChannelRevision.length; i += 3) {
            machine.install((String) snapChannelRevision[i], (String) snapChannelRevision[i + 1],
                    (Integer) snapChannelRevision[i + 2]);
        }
        machine.onRefresh(timeline::add);
        Member member = new Member(unit, role, machine);
        members.put(unit, member);
        return member;
    }

    Member member(int number) {
        return members.get(APP + "/" + number);
    }

    ModelState stateOf(Member m, ModelState.ActionState action) {
        Map<String, Map<String, String>> remotes = new LinkedHashMap<>();
        members.values().stream().filter(o -> o != m && !m.hidden.contains(o.unit))
                .forEach(o -> remotes.put(o.unit, m.cached.getOrDefault(o.unit, o.databag)));
        var peer = new ModelState.PeerRelation("coherence", PEER, APP, m.databag, appData, remotes);
        String principalApp = principalApp(m.role);
        var container = ModelState.RelationState.container(m.role.endpoint(), m.role.endpoint() + ":2", principalApp)
                .withPrincipal(principal(m), Map.of());
        return ModelState.of(m.unit).withLeader(m.unit.equals(leader)).withConfig(config)
                .withRelations(List.of(peer, container)).withUnitStore(m.unitStore)
                .withStatuses(m.status, appStatus).withAction(action).withGoalState(goalState());
    }

    /** How many times a hook asked status-get --application. */
    int statusReads;

    /**
     * The hook tools over a member's view for the event; status-get --application reads every member's status as it
     * stands. During a peer's -departed, relation-list no longer lists it ({@link ModelState#listedDuring}) and its
     * data is still readable.
     */
    private StateHookTools tools(Member m, Event event, ModelState.ActionState action) {
        ModelState readable = stateOf(m, action);
        ModelState state = readable.listedDuring(event);
        return new StateHookTools(state, (relationId, unit) -> readable.relation(relationId)
                .flatMap(r -> Optional.ofNullable(r.remoteUnitsData().get(unit))), () -> {
                    statusReads++;
                    Map<String, io.snapcoherence.juju.WorkloadStatus> statuses = new java.util.TreeMap<>();
                    members.values().forEach(o -> statuses.put(o.unit,
                            io.snapcoherence.juju.WorkloadStatus.of(o.status)));
                    return statuses;
                });
    }

    private static String principalApp(Role role) {
        return role == Role.CONTROL_PLANE ? "kubernetes-control-plane" : "kubernetes-worker";
    }

    /** The principal unit a member runs on: the principal application's unit of the same number. */
    static String principal(Member m) {
        return principalApp(m.role) + "/" + m.unit.substring(m.unit.indexOf('/') + 1);
    }

    /**
     * goal-state as Juju answers a subordinate (see {@link io.snapcoherence.juju.GoalState}): every member's
     * principal under its endpoint, whoever has joined whom.
     */
    private io.snapcoherence.juju.GoalState goalState() {
        var goal = io.snapcoherence.juju.GoalState.NONE;
        for (Role role : Role.values()) {
            Map<String, io.snapcoherence.juju.GoalState.Goal> entries = new LinkedHashMap<>();
            entries.put(principalApp(role), new io.snapcoherence.juju.GoalState.Goal("joined", ""));
            members.values().stream().filter(o -> o.role == role).forEach(o -> entries.put(principal(o),
                    new io.snapcoherence.juju.GoalState.Goal("active", "")));
            goal = goal.withRelation(role.endpoint(), entries);
        }
        return goal;
    }

    /** The charm's clock; tests move it to show what happens with time (hold renewal). */
    Clock clock = Scenario.FIXED_CLOCK;

    /**
     * A hook killed before it ends: its machine changes stay, its relation and unit-store writes are lost, and the
     * statuses it set stand (Juju applies status-set when the tool runs: runner/context/context.go SetUnitStatus).
     */
    void killedHook(Member m, Event event) {
        StateHookTools tools = tools(m, event, ModelState.ActionState.none());
        runCharm(m, event, tools);
        ModelState out = tools.finish(false);
        m.status = out.unitStatus();
        if (m.unit.equals(leader)) {
            appStatus = out.appStatus();
        }
    }

    /** An action killed before it ends, as {@link #killedHook}. */
    void killedAction(Member m, String name, Map<String, Object> params) {
        Event event = new Event.Action(name, "1");
        StateHookTools tools = tools(m, event, ModelState.ActionState.of(name, params));
        runCharm(m, event, tools);
        tools.finish(false);
    }

    private HookRun runCharm(Member m, Event event, StateHookTools tools) {
        JujuContext context = new JujuContext(m.unit, "test-model", Path.of("."), Optional.of(principal(m)),
                event);
        // Each hook runs a nanosecond after the one before, on whatever time the test set: as on real clocks, what
        // a unit sees later is newer than what was reported before it, and the minutes a test counts stay exact.
        Clock hookClock = Clock.offset(clock, Duration.ofNanos(++hooks));
        lastHookAt = hookClock.instant();
        return HookRun.run((c, hookTools) -> CharmRunner.run(c, withGoalState(m, hookTools),
                m.around.apply(m.machine), m.machine, proxy, m.machine, hookClock), context, tools);
    }

    /** The member's hook tools, with {@code goal-state} failing when the test says so. */
    private static io.snapcoherence.juju.HookTools withGoalState(Member m, io.snapcoherence.juju.HookTools tools) {
        if (m.goalStateFails.isEmpty()) {
            return tools;
        }
        return (io.snapcoherence.juju.HookTools) java.lang.reflect.Proxy.newProxyInstance(
                Cluster.class.getClassLoader(), new Class<?>[] {io.snapcoherence.juju.HookTools.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("goalState")) {
                        throw m.goalStateFails.get();
                    }
                    try {
                        return method.invoke(tools, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private long hooks;
    /** The time the last hook ran at (what a status that names its hook's time shows). */
    java.time.Instant lastHookAt;

    /** Runs one hook (or action) on a unit; commits its writes as Juju would. Returns the unit's state after it. */
    ModelState run(Member m, Event event, ModelState.ActionState action) {
        StateHookTools tools = tools(m, event, action);
        HookRun run = runCharm(m, event, tools);
        if (run.exitCode() != 0) {
            throw new AssertionError(m.unit + " " + event.name() + " exited " + run.exitCode() + ": "
                    + run.finish().log());
        }
        run.refusal().ifPresent(refusal -> {
            throw new AssertionError(m.unit + " " + event.name() + ": the controller refuses its commit: " + refusal);
        });
        ModelState out = run.finish();
        ModelState.PeerRelation peer = out.peerRelation(PEER).orElseThrow();
        m.databag = peer.localUnitData();
        m.unitStore = out.unitStore();
        m.status = out.unitStatus();
        m.relationWrites += tools.relationWrites();
        if (m.unit.equals(leader)) {
            appData = peer.localAppData();
            appStatus = out.appStatus();
        }
        return out;
    }

    ModelState hook(Member m, Event event) {
        return run(m, event, ModelState.ActionState.none());
    }

    ModelState action(Member m, String name, Map<String, Object> params) {
        return run(m, new Event.Action(name, "1"), ModelState.ActionState.of(name, params));
    }

    /**
     * The usual small Kubernetes model, settled: units 0 and 1 control plane with kube-apiserver 100 and kubectl 300,
     * units 2 to 4 workers with kubelet 200 and kubectl 300, all on {@code channel}; 0 leads.
     */
    static Cluster kubernetes(String channel) {
        return kubernetes(channel, 2, 3);
    }

    /** As {@link #kubernetes(String)}, with units 0 to {@code controlPlane - 1} on the control plane, then workers. */
    static Cluster kubernetes(String channel, int controlPlane, int workers) {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", channel, 100).publish("kubelet", channel, 200)
                .publish("kubectl", channel, 300);
        for (int n = 0; n < controlPlane; n++) {
            c.add(n, Role.CONTROL_PLANE, "kube-apiserver", channel, 100, "kubectl", channel, 300);
        }
        for (int n = controlPlane; n < controlPlane + workers; n++) {
            c.add(n, Role.WORKER, "kubelet", channel, 200, "kubectl", channel, 300);
        }
        c.settle();
        return c;
    }

    /**
     * snap-coherence/0 (leader) alone on the control plane, workers 1 to {@code workers}, all on kubectl 300 on
     * 1.29/stable; 301 is planned, the leader is through, the workers are granted in unit order.
     */
    static Cluster workersGranted(int workers, int maxUnavailable) {
        String channel = "1.29/stable";
        Cluster c = new Cluster();
        c.config.put("max-unavailable", maxUnavailable);
        c.store.publish("kubectl", channel, 300);
        c.add(0, Role.CONTROL_PLANE, "kubectl", channel, 300);
        for (int n = 1; n <= workers; n++) {
            c.add(n, Role.WORKER, "kubectl", channel, 300);
        }
        c.settle();
        c.store.publish("kubectl", channel, 301);
        c.everyoneLooks();
        c.hook(c.member(0), peerChanged()); // plans; its own grant counts from its next hook
        c.hook(c.member(0), lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // refreshes itself, grants workers
        if (!c.member(0).machine.installedRevision("kubectl").equals(java.util.Optional.of(301))
                || !c.appData.getOrDefault("grants", "").startsWith("[\"snap-coherence/1\",\"snap-coherence/2\"")) {
            throw new IllegalStateException("the fixture did not reach its state: " + c.appData);
        }
        return c;
    }

    static Event peerChanged() {
        return new Event.Relation("coherence", Event.RelationKind.CHANGED, PEER, Optional.empty(),
                Optional.of(APP), Optional.empty());
    }

    /** {@code -departed} for {@code unit} on another unit: Juju runs it on every unit that saw {@code unit} join. */
    static Event departed(String unit) {
        return new Event.Relation("coherence", Event.RelationKind.DEPARTED, PEER, Optional.of(unit),
                Optional.of(APP), Optional.of(unit));
    }

    /** The leaving unit's own {@code -departed} hook for {@code peer}: Juju names the leaving unit as departing. */
    static Event ownDeparted(String peer, String leaving) {
        return new Event.Relation("coherence", Event.RelationKind.DEPARTED, PEER, Optional.of(peer),
                Optional.of(APP), Optional.of(leaving));
    }

    static Event lifecycle(Event.LifecycleKind kind) {
        return new Event.Lifecycle(kind);
    }

    /**
     * Time passes: every unit runs update-status (leader first), in which it looks at what the proxy serves; then
     * rounds of one peer-changed hook per unit, leader first, until a whole round changes no databag.
     */
    int settle() {
        updateStatusEverywhere();
        for (int round = 1; round <= 200; round++) {
            String before = snapshot();
            Member lead = members.get(leader);
            if (lead != null) {
                hook(lead, peerChanged());
            }
            for (Member m : List.copyOf(members.values())) {
                if (!m.unit.equals(leader)) {
                    hook(m, peerChanged());
                }
            }
            if (snapshot().equals(before)) {
                return round;
            }
        }
        throw new AssertionError("no quiescence after 200 rounds");
    }

    /**
     * Time passes and everyone looks at what the proxy serves: update-status on every unit but the leader (each
     * reports what differs from what the leader holds), then on the leader (it looks too and reads the reports: when
     * its own view covers what changed it plans at once, else it asks a few units to look), then a peer-changed hook
     * on each unit asked, which answers. The leader has not read those answers yet.
     */
    void everyoneLooks() {
        for (Member m : List.copyOf(members.values())) {
            if (!m.unit.equals(leader)) {
                hook(m, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
            }
        }
        hook(members.get(leader), lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        askedAnswer();
    }

    /** Each unit the leader's check round asks (but the leader) runs a peer-changed hook: it looks and answers. */
    void askedAnswer() {
        for (String asked : asked()) {
            if (!asked.equals(leader) && members.containsKey(asked)) {
                hook(members.get(asked), peerChanged());
            }
        }
    }

    /** The units the leader's current check round asks. */
    java.util.List<String> asked() {
        return io.snapcoherence.coherence.PeerCodec.decodeApp(APP, appData)
                instanceof io.snapcoherence.coherence.PeerCodec.AppReading.Read read
                ? read.offers().check().asked() : List.of();
    }

    /** One update-status hook on every unit, the leader first. */
    void updateStatusEverywhere() {
        Member lead = members.get(leader);
        if (lead != null) {
            hook(lead, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        }
        for (Member m : List.copyOf(members.values())) {
            if (!m.unit.equals(leader)) {
                hook(m, lifecycle(Event.LifecycleKind.UPDATE_STATUS));
            }
        }
    }

    private String snapshot() {
        StringBuilder out = new StringBuilder(appData.toString());
        members.values().forEach(m -> out.append(m.databag));
        return out.toString();
    }

    /** The index in the timeline of the last refresh on a machine of this role (-1 when none). */
    int lastRefreshIndex(Role role) {
        int last = -1;
        for (int i = 0; i < timeline.size(); i++) {
            if (roleOf(timeline.get(i).machine()) == role) {
                last = i;
            }
        }
        return last;
    }

    int firstRefreshIndex(Role role) {
        for (int i = 0; i < timeline.size(); i++) {
            if (roleOf(timeline.get(i).machine()) == role) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    private Role roleOf(String machine) {
        return members.values().stream().filter(m -> m.machine.name().equals(machine)).findFirst()
                .map(m -> m.role).orElseThrow();
    }
}
