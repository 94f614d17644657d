package io.snapcoherence.sim;

import io.snapcoherence.charm.CharmRunner;
import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookRun;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.juju.Status;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The footprint check (a program, not a test): the largest key and value the real charm writes to a unit store,
 * the largest unit store, and the largest values of the peer databags, over one rollout across CP control-plane
 * and W worker units, printed against Juju's limits. {@code state-set} refuses a key over 256 bytes or a value
 * over 64 KiB when it is called, and a hook whose unit store passes 2 MiB (the model's {@code max-charm-state-size})
 * fails when it commits; relation data has no hard limit, but the app databag is copied to every unit, so the same
 * 64 KiB is held to.
 * Exit 1 when a limit is passed.
 *
 * <p>The rollout is the one where values are largest: every unit first reports and reads every other's report
 * (a unit remembering its peers would hold all of them), max-unavailable at its upper bound (the most grants), a
 * worker failing with a long error (halt, the report in its databag), the failed unit removed before resume (the
 * others report it left and relay its failure), and a granted worker removed. Units are scheduled in rounds: the
 * leader, then the granted units in their order; everyone once at the start and once at the end.
 * {@code java -cp target/snap-coherence.jar io.snapcoherence.sim.Footprint [CP:W:m]} (bench/footprint.sh),
 * default 3:5000:100.
 */
public final class Footprint {
    public static final int KEY_LIMIT = 256;
    public static final int VALUE_LIMIT = 64 * 1024;
    public static final int STORE_LIMIT = 2 * 1024 * 1024;

    private static final String APP = SimulatedModel.APP;
    private static final String PEER = "coherence:0";

    /** The largest of one kind of thing measured, and where it was. */
    public record Largest(int bytes, String where) {
        static final Largest NONE = new Largest(0, "-");

        Largest max(int size, String at) {
            return size > bytes ? new Largest(size, at) : this;
        }
    }

    /** What one run measured. */
    public record Result(int units, int maxUnavailable, long hooks, Largest storeKey, Largest storeValue,
                         Largest storeTotal, Largest unitValue, Largest appValue, boolean planCompleted,
                         double seconds) {
        public boolean withinLimits() {
            return storeKey.bytes() <= KEY_LIMIT && storeValue.bytes() <= VALUE_LIMIT
                    && storeTotal.bytes() <= STORE_LIMIT && unitValue.bytes() <= VALUE_LIMIT
                    && appValue.bytes() <= VALUE_LIMIT;
        }
    }

    private static final class Unit {
        final String name;
        final Role role;
        final SimulatedMachine machine;
        Map<String, String> databag = Map.of();
        Map<String, String> store = Map.of();
        Status status = Status.unknown();

        Unit(String name, Role role, SimulatedMachine machine) {
            this.name = name;
            this.role = role;
            this.machine = machine;
        }

        String principal() {
            return (role == Role.CONTROL_PLANE ? SimulatedModel.CONTROL_PLANE_APP : SimulatedModel.WORKER_APP) + "/"
                    + name.substring(name.indexOf('/') + 1);
        }
    }

    private final SimulatedStore snapStore = new SimulatedStore("snap-proxy-store");
    private final SimulatedProxy proxy = new SimulatedProxy(snapStore);
    private final SimClock clock = new SimClock(Instant.parse("2026-11-25T10:00:00Z"));
    private final Map<String, Unit> units = new LinkedHashMap<>();
    private final Map<String, Object> config;
    private final Unit leader;
    private Map<String, String> appData = Map.of();
    private Status appStatus = Status.unknown();
    private long hooks;
    private Largest storeKey = Largest.NONE;
    private Largest storeValue = Largest.NONE;
    private Largest storeTotal = Largest.NONE;
    private Largest unitValue = Largest.NONE;
    private Largest appValue = Largest.NONE;

    private Footprint(int controlPlane, int workers, int maxUnavailable) {
        config = Map.of("max-unavailable", maxUnavailable);
        Rehearsal.OLD.forEach((snap, revision) -> snapStore.publish(snap, Rehearsal.CHANNEL, revision));
        for (int n = 0; n < controlPlane + workers; n++) {
            Role role = n < controlPlane ? Role.CONTROL_PLANE : Role.WORKER;
            SimulatedMachine machine = new SimulatedMachine("machine-" + n, snapStore);
            (role == Role.CONTROL_PLANE ? Rehearsal.CONTROL_PLANE_SNAPS : Rehearsal.WORKER_SNAPS)
                    .forEach(snap -> machine.install(snap, Rehearsal.CHANNEL, Rehearsal.OLD.get(snap)));
            Unit unit = new Unit(APP + "/" + n, role, machine);
            units.put(unit.name, unit);
        }
        leader = units.values().iterator().next();
    }

    public static Result measure(int controlPlane, int workers, int maxUnavailable) {
        long started = System.nanoTime();
        Footprint f = new Footprint(controlPlane, workers, maxUnavailable);
        boolean complete = f.rollout(workers);
        return new Result(controlPlane + workers, maxUnavailable, f.hooks, f.storeKey, f.storeValue, f.storeTotal,
                f.unitValue, f.appValue, complete, (System.nanoTime() - started) / 1e9);
    }

    private boolean rollout(int workers) {
        everyUnit(new Event.Lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
        everyUnit(new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        Rehearsal.NEW.forEach((snap, revision) -> snapStore.publish(snap, Rehearsal.CHANNEL, revision));
        clock.advance(Duration.ofMinutes(5));
        everyUnit(new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS)); // every unit looks, and reports news
        Unit failing = List.copyOf(units.values()).get(units.size() - workers / 2 - 1);
        failing.machine.failRefresh("kubelet", "error: cannot refresh \"kubelet\": " + "download failed; ".repeat(120),
                false);
        boolean removedGranted = false;
        for (int round = 0; round < 10_000; round++) {
            hook(leader, peerChanged(), ModelState.ActionState.none());
            RolloutState state = state();
            if (state.plan().map(p -> p.complete()).orElse(false)) {
                everyUnit(new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS));
                return true;
            }
            if (state.halt().isPresent()) {
                if (units.containsKey(failing.name)) {
                    remove(failing);
                }
                hook(leader, new Event.Action("resume", "1"), ModelState.ActionState.of("resume", Map.of()));
                continue;
            }
            for (String name : state.grants()) {
                Unit unit = units.get(name);
                if (unit != null && unit != leader) {
                    hook(unit, peerChanged(), ModelState.ActionState.none());
                }
            }
            for (String name : asked()) { // the units the leader asks to look at what the proxy serves answer
                Unit unit = units.get(name);
                if (unit != null && unit != leader) {
                    hook(unit, peerChanged(), ModelState.ActionState.none());
                }
            }
            if (!removedGranted && state.grants().size() > 1 && round > 0) {
                Unit last = units.get(state.grants().get(state.grants().size() - 1));
                if (last != null && last != leader && last != failing && last.role == Role.WORKER) {
                    remove(last);
                    removedGranted = true;
                }
            }
            clock.advance(Duration.ofSeconds(10));
        }
        return false;
    }

    /** Removes a unit as Juju does: every other unit runs -departed while its data is still readable. */
    private void remove(Unit gone) {
        Event departed = new Event.Relation("coherence", Event.RelationKind.DEPARTED, PEER, Optional.of(gone.name),
                Optional.of(APP), Optional.of(gone.name));
        for (Unit unit : List.copyOf(units.values())) {
            if (unit != gone) {
                hook(unit, departed, ModelState.ActionState.none());
            }
        }
        units.remove(gone.name);
    }

    private void everyUnit(Event event) {
        for (Unit unit : List.copyOf(units.values())) {
            hook(unit, event, ModelState.ActionState.none());
        }
    }

    private static Event peerChanged() {
        return new Event.Relation("coherence", Event.RelationKind.CHANGED, PEER, Optional.empty(), Optional.of(APP),
                Optional.empty());
    }

    private List<String> asked() {
        return PeerCodec.decodeApp("app", appData) instanceof PeerCodec.AppReading.Read read
                ? read.offers().check().asked() : List.of();
    }

    private RolloutState state() {
        return PeerCodec.decodeApp("app", appData) instanceof PeerCodec.AppReading.Read read ? read.state()
                : RolloutState.EMPTY;
    }

    private void hook(Unit unit, Event event, ModelState.ActionState action) {
        Map<String, Map<String, String>> remotes = new LinkedHashMap<>();
        units.values().stream().filter(u -> u != unit).forEach(u -> remotes.put(u.name, u.databag));
        var peer = new ModelState.PeerRelation("coherence", PEER, APP, unit.databag, appData, remotes);
        var container = ModelState.RelationState.container(unit.role.endpoint(), unit.role.endpoint() + ":1",
                        unit.principal().substring(0, unit.principal().indexOf('/')))
                .withPrincipal(unit.principal(), Map.of());
        ModelState state = ModelState.of(unit.name).withLeader(unit == leader).withConfig(config)
                .withRelations(List.of(peer, container)).withUnitStore(unit.store)
                .withStatuses(unit.status, appStatus).withAction(action);
        StateHookTools tools = new StateHookTools(state.listedDuring(event), (relationId, remote) -> state
                .relation(relationId).flatMap(r -> Optional.ofNullable(r.remoteUnitsData().get(remote))));
        JujuContext context = new JujuContext(unit.name, "footprint", Path.of("."), Optional.of(unit.principal()),
                event);
        HookRun run = HookRun.run((c, hookTools) -> CharmRunner.run(c, hookTools, unit.machine, unit.machine, proxy,
                unit.machine, clock), context, tools);
        hooks++;
        if (!run.committed()) {
            throw new IllegalStateException(unit.name + " " + event.name() + " not committed ("
                    + run.refusal().orElseThrow() + "): " + tools.finish(false).log());
        }
        ModelState out = run.finish();
        ModelState.PeerRelation after = out.peerRelation(PEER).orElseThrow();
        unit.databag = after.localUnitData();
        unit.store = out.unitStore();
        unit.status = out.unitStatus();
        if (unit == leader) {
            appData = after.localAppData();
            appStatus = out.appStatus();
        }
        measure(unit);
    }

    private void measure(Unit unit) {
        int total = 0;
        for (Map.Entry<String, String> entry : unit.store.entrySet()) {
            int key = bytes(entry.getKey());
            int value = bytes(entry.getValue());
            storeKey = storeKey.max(key, unit.name + " " + entry.getKey());
            storeValue = storeValue.max(value, unit.name + " " + entry.getKey());
            total += key + value;
        }
        storeTotal = storeTotal.max(total, unit.name);
        unit.databag.forEach((key, value) -> unitValue = unitValue.max(bytes(value), unit.name + " " + key));
        appData.forEach((key, value) -> appValue = appValue.max(bytes(value), key));
    }

    private static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    public static void main(String[] args) {
        String size = args.length == 0 ? "3:5000:100" : args[0];
        String[] parts = size.split(":");
        Result r;
        try {
            r = measure(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
        } catch (IllegalStateException hookFailed) {
            // Hook tools that hold Juju's limits refuse an oversized state-set: the hook fails, as in Juju.
            System.out.println("LIMIT PASSED: " + hookFailed.getMessage());
            System.exit(1);
            return;
        }
        System.out.printf("footprint of one rollout: %d units (%s), max-unavailable %d, %d hook runs, plan %s, "
                + "%.1f s%n%n", r.units(), parts[0] + "+" + parts[1], r.maxUnavailable(), r.hooks(),
                r.planCompleted() ? "completed" : "NOT completed", r.seconds());
        System.out.println("| what | largest (bytes) | where | Juju's limit (bytes) |");
        System.out.println("|---|---|---|---|");
        row("unit-store key", r.storeKey(), KEY_LIMIT, "");
        row("unit-store value", r.storeValue(), VALUE_LIMIT, "");
        row("unit store, keys and values", r.storeTotal(), STORE_LIMIT, "");
        row("unit databag value", r.unitValue(), VALUE_LIMIT, " (none documented; held to the value limit)");
        row("app databag value", r.appValue(), VALUE_LIMIT, " (none documented; copied to every unit)");
        System.out.println();
        System.out.println(r.withinLimits() && r.planCompleted() ? "within Juju's limits" : "LIMIT PASSED");
        System.exit(r.withinLimits() && r.planCompleted() ? 0 : 1);
    }

    private static void row(String what, Largest largest, int limit, String note) {
        System.out.printf("| %s | %,d | %s | %,d%s |%n", what, largest.bytes(), largest.where(), limit, note);
    }
}
