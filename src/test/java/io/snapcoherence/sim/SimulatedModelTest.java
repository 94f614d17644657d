package io.snapcoherence.sim;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.snap.Snaps;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Juju's semantics as the simulator reproduces them, shown with tiny charms instead of the real one. */
class SimulatedModelTest {
    private static final String PEER = SimulatedModel.PEER_ID;

    /** A charm made of one lambda: what it does with each hook. */
    interface TinyCharm {
        int run(JujuContext context, HookTools tools, Snaps machine);
    }

    private final List<Step> steps = new ArrayList<>();

    private SimulatedModel model(long seed, int controlPlane, int workers, TinyCharm charm) {
        SimulatedStore store = new SimulatedStore("store").publish("kubelet", "1.29/stable", 100);
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(seed), new SimClock(Instant.EPOCH),
                store, charm::run, (role, machine) -> machine.install("kubelet", "1.29/stable", 100));
        model.observe((m, step) -> steps.add(step));
        for (int i = 0; i < controlPlane; i++) {
            model.addUnit(Role.CONTROL_PLANE);
        }
        for (int i = 0; i < workers; i++) {
            model.addUnit(Role.WORKER);
        }
        return model;
    }

    private static TinyCharm quiet() {
        return (context, tools, machine) -> 0;
    }

    /** Runs the action "write" on a unit by writing its params into the unit databag. */
    private static TinyCharm writesOnAction() {
        return (context, tools, machine) -> {
            if (context.event() instanceof Event.Action) {
                Map<String, String> values = new HashMap<>();
                tools.actionGet().forEach((k, v) -> values.put(k, String.valueOf(v)));
                tools.relationSet(PEER, values);
            }
            return 0;
        };
    }

    private List<String> hooksOn(String unit) {
        return steps.stream().filter(s -> s.unit().equals(unit) && s.finished()).map(Step::hook).toList();
    }

    private long count(String unit, String hook) {
        return hooksOn(unit).stream().filter(hook::equals).count();
    }

    @Test
    void startUpRunsInstallRelationCreatedLeaderConfigStartThenJoinedBeforeChanged() {
        SimulatedModel model = model(1, 1, 1, quiet());
        assertThat(model.runUntilQuiet(200)).isTrue();

        assertThat(hooksOn("snap-coherence/1").subList(0, 8)).containsExactly("install",
                "coherence-relation-created(app)", "worker-relation-created(app)", "leader-settings-changed",
                "config-changed", "start", "worker-relation-joined(kubernetes-worker/0)",
                "worker-relation-changed(kubernetes-worker/0)");
        assertThat(hooksOn("snap-coherence/0")).contains("leader-elected")
                .containsSubsequence("coherence-relation-joined(snap-coherence/1)",
                        "coherence-relation-changed(snap-coherence/1)");
    }

    @Test
    void aFailedHookLeavesNoDataAndIsRetriedUntilItSucceeds() {
        int[] attempts = {0};
        SimulatedModel model = model(2, 1, 2, (context, tools, machine) -> {
            if (context.unitName().equals("snap-coherence/1") && context.event().name().equals("start")) {
                tools.relationSet(PEER, Map.of("written", "yes"));
                tools.stateSet(Map.of("stored", "yes"));
                return ++attempts[0] <= 2 ? 1 : 0;
            }
            return 0;
        });
        List<Map<String, String>> dataAfterFailures = new ArrayList<>();
        model.observe((m, step) -> {
            if (step.unit().equals("snap-coherence/1") && step.hook().equals("start") && !step.committed()) {
                dataAfterFailures.add(m.unitData("snap-coherence/1").orElseThrow());
                assertThat(m.unit("snap-coherence/1").unitStore()).isEmpty();
            }
        });
        model.runUntilQuiet(200);

        assertThat(dataAfterFailures).hasSize(2).allSatisfy(data -> assertThat(data).isEmpty());
        assertThat(count("snap-coherence/1", "start")).isEqualTo(3);
        assertThat(model.unit("snap-coherence/1").failedHooks()).isEqualTo(2);
        assertThat(model.unitData("snap-coherence/1")).contains(Map.of("written", "yes"));
        assertThat(model.unit("snap-coherence/1").unitStore()).containsEntry("stored", "yes");
        // the failed hook was retried before anything else ran on that unit
        List<String> hooks = hooksOn("snap-coherence/1");
        int firstStart = hooks.indexOf("start");
        assertThat(hooks.subList(firstStart, firstStart + 3)).containsOnly("start");
    }

    @Test
    void oneUnitDatabagWriteRunsChangedOnEveryOtherUnitOnce() {
        SimulatedModel model = model(3, 3, 7, writesOnAction());
        model.runUntilQuiet(500);
        steps.clear();

        SimulatedModel.ActionResult result = model.runAction("snap-coherence/4", "write", Map.of("k", "v"));
        model.runUntilQuiet(500);

        assertThat(result.succeeded()).isTrue();
        long changed = steps.stream().filter(s -> s.hook().equals("coherence-relation-changed(snap-coherence/4)"))
                .count();
        assertThat(changed).isEqualTo(9);
        assertThat(steps.stream().filter(s -> s.unit().equals("snap-coherence/4")
                && s.hook().startsWith("coherence-relation-changed"))).isEmpty();
        assertThat(model.unit("snap-coherence/4").ownWrites()).isEqualTo(1);
    }

    @Test
    void writingTheSameValuesAgainIsNoChangeAndFansOutNothing() {
        SimulatedModel model = model(4, 1, 3, writesOnAction());
        model.runAction("snap-coherence/0", "write", Map.of("k", "v"));
        model.runUntilQuiet(500);
        steps.clear();

        model.runAction("snap-coherence/0", "write", Map.of("k", "v"));
        model.runUntilQuiet(500);

        assertThat(steps).noneMatch(s -> s.hook().startsWith("coherence-relation-changed"));
    }

    @Test
    void pendingChangedEventsForTheSameRemoteUnitCoalesceAndSeeTheLatestData() {
        List<String> seen = new ArrayList<>();
        SimulatedModel model = model(5, 1, 2, (context, tools, machine) -> {
            if (context.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.CHANGED
                    && r.remoteUnit().equals(Optional.of("snap-coherence/0"))) {
                seen.add(context.unitName() + " " + tools.relationGet(PEER, "snap-coherence/0").get("n"));
            }
            return 0;
        });
        model.runUntilQuiet(500);
        seen.clear();

        for (int n = 1; n <= 3; n++) {
            model.overwriteUnitData("snap-coherence/0", Map.of("n", String.valueOf(n)));
        }
        model.runUntilQuiet(500);

        assertThat(seen).containsExactlyInAnyOrder("snap-coherence/1 3", "snap-coherence/2 3");
        assertThat(model.coalesced()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void anAppDatabagWriteRunsChangedWithoutRemoteUnitOnTheOthers() {
        SimulatedModel model = model(6, 1, 3, (context, tools, machine) -> {
            if (context.event() instanceof Event.Action && tools.isLeader()) {
                tools.relationSetApp(PEER, Map.of("plan", "1"));
            }
            return 0;
        });
        model.runUntilQuiet(500);
        steps.clear();

        model.runAction(model.leader(), "write", Map.of());
        model.runUntilQuiet(500);

        assertThat(model.appData()).containsEntry("plan", "1");
        assertThat(steps.stream().filter(s -> s.hook().equals("coherence-relation-changed(app)")).map(Step::unit))
                .containsExactlyInAnyOrder("snap-coherence/1", "snap-coherence/2", "snap-coherence/3");
    }

    @Test
    void aNonLeaderCannotWriteTheAppDatabagSoItsHookFails() {
        SimulatedModel model = model(7, 1, 1, (context, tools, machine) -> {
            if (context.event() instanceof Event.Action) {
                tools.relationSetApp(PEER, Map.of("plan", "x"));
            }
            return 0;
        });
        model.runUntilQuiet(200);

        SimulatedModel.ActionResult result = model.runAction("snap-coherence/1", "write", Map.of());

        assertThat(result.exitCode()).isNotZero();
        assertThat(model.appData()).isEmpty();
    }

    @Test
    void failoverRunsLeaderElectedOnTheNewLeaderWhichThenOwnsTheAppDatabag() {
        SimulatedModel model = model(8, 2, 2, (context, tools, machine) -> {
            if (context.event().name().equals("leader-elected")) {
                assertThat(tools.isLeader()).isTrue();
                tools.relationSetApp(PEER, Map.of("leader", context.unitName()));
            }
            return 0;
        });
        model.runUntilQuiet(500);
        assertThat(model.appData()).containsEntry("leader", "snap-coherence/0");

        model.electLeader(Optional.of("snap-coherence/3"));
        model.runUntilQuiet(500);

        assertThat(model.appData()).containsEntry("leader", "snap-coherence/3");
        assertThat(count("snap-coherence/3", "leader-elected")).isEqualTo(1);
    }

    @Test
    void aDepartingUnitsDataIsVisibleDuringDepartedAndGoneAfter() {
        Map<String, String> seenDuringDeparted = new HashMap<>();
        List<String> listAfter = new ArrayList<>();
        SimulatedModel model = model(9, 1, 3, (context, tools, machine) -> {
            if (context.event().name().equals("start")) {
                tools.relationSet(PEER, Map.of("me", context.unitName()));
            }
            if (context.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                    && r.relationId().equals(PEER) && r.departingUnit().equals(Optional.of("snap-coherence/2"))) {
                seenDuringDeparted.put(context.unitName(), tools.relationGet(PEER, "snap-coherence/2").get("me"));
            }
            if (context.event().name().equals("update-status")) {
                listAfter.addAll(tools.relationList(PEER));
            }
            return 0;
        });
        model.runUntilQuiet(500);

        model.removeUnit("snap-coherence/2");
        model.runUntilQuiet(500);
        listAfter.clear();
        model.runUntilQuiet(500);

        // the departing unit itself runs -departed with JUJU_DEPARTING_UNIT = itself, as in Juju
        assertThat(seenDuringDeparted).containsOnlyKeys("snap-coherence/0", "snap-coherence/1", "snap-coherence/2",
                "snap-coherence/3").containsValue("snap-coherence/2");
        assertThat(hooksOn("snap-coherence/2")).containsSubsequence("coherence-relation-departed(snap-coherence/0)",
                "coherence-relation-broken(app)", "stop", "remove");
        assertThat(model.unit("snap-coherence/2").gone()).isTrue();
        assertThat(model.unitData("snap-coherence/2")).isEmpty();
        assertThat(listAfter).isNotEmpty().doesNotContain("snap-coherence/2");
    }

    @Test
    void aUnitInsideASlowHookStillRunsDepartedForAPeerRemovedMeanwhile() {
        SimulatedStore store = new SimulatedStore("store").publish("kubelet", "1.29/stable", 100)
                .publish("kubelet", "1.29/stable", 101);
        // No timers: nothing else is queued behind the slow hook, so a lost -departed would show.
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(14).withTimers(0, 0),
                new SimClock(Instant.EPOCH), store, (context, tools, machine) -> {
                    if (context.event() instanceof Event.Action) {
                        tools.relationSet(PEER, Map.of("go", "1"));
                    }
                    if (context.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.CHANGED
                            && r.remoteUnit().equals(Optional.of("snap-coherence/2"))
                            && "1".equals(tools.relationGet(PEER, "snap-coherence/2").get("go"))) {
                        machine.startRefresh("kubelet", "1.29/stable", 101);
                    }
                    return 0;
                }, (role, machine) -> machine.install("kubelet", "1.29/stable", 100));
        model.observe((m, step) -> steps.add(step));
        for (int i = 0; i < 3; i++) {
            model.addUnit(Role.WORKER);
        }
        model.runUntilQuiet(500);
        model.setRefreshRounds("snap-coherence/0", 4);
        model.queueAction("snap-coherence/2", "write", Map.of());
        for (int i = 0; i < 50 && !model.unit("snap-coherence/0").busy(); i++) {
            model.runRound();
        }
        assertThat(model.unit("snap-coherence/0").busy()).isTrue();

        model.removeUnit("snap-coherence/2");
        model.runUntilQuiet(500);

        assertThat(hooksOn("snap-coherence/0")).containsSubsequence(
                "coherence-relation-changed(snap-coherence/2)", "coherence-relation-departed(snap-coherence/2)");
        assertThat(model.unit("snap-coherence/0").pendingHooks()).isZero();
    }

    @Test
    void removingTheLeaderElectsAnotherLiveUnit() {
        SimulatedModel model = model(10, 2, 2, quiet());
        model.runUntilQuiet(500);

        model.removeUnit("snap-coherence/0");
        model.runUntilQuiet(500);

        assertThat(model.leader()).isNotEqualTo("snap-coherence/0");
        assertThat(hooksOn(model.leader())).contains("leader-elected");
    }

    @Test
    void aKilledHookLosesItsWritesThoughItsSnapCallsHappenedAndIsRetried() {
        SimulatedModel model = model(11, 1, 1, (context, tools, machine) -> {
            if (context.event() instanceof Event.Action) {
                return 0;
            }
            if (context.event().name().equals("config-changed")) {
                tools.relationSet(PEER, Map.of("before-snap-call", "x"));
                machine.setSystem("refresh.timer", "mon");
                machine.list();
                tools.relationSet(PEER, Map.of("after", "y"));
            }
            return 0;
        });
        model.runUntilQuiet(500);
        steps.clear();

        model.killNextHook("snap-coherence/1", 1);
        model.setConfig(Map.of("hold", false));
        model.runUntilQuiet(500);

        List<Step> configChanged = steps.stream().filter(s -> s.unit().equals("snap-coherence/1")
                && s.hook().equals("config-changed")).toList();
        assertThat(configChanged).extracting(Step::exitCode).containsExactly(137, 0);
        assertThat(model.unit("snap-coherence/1").machine().systemConfig()).containsEntry("refresh.timer", "mon");
        assertThat(model.unitData("snap-coherence/1")).contains(Map.of("before-snap-call", "x", "after", "y"));
    }

    @Test
    void updateStatusRunsOnATimerOnEveryUnit() {
        SimulatedModel model = model(12, 1, 2, quiet());
        model.runUntilQuiet(500);
        steps.clear();

        for (int i = 0; i < 30; i++) {
            model.runRound();
        }

        for (SimUnit unit : model.units()) {
            assertThat(count(unit.name(), "update-status")).isEqualTo(3);
        }
    }

    @Test
    void aSlowHookHoldsTheUnitAndCommitsRoundsLater() {
        SimulatedStore store = new SimulatedStore("store").publish("kubelet", "1.29/stable", 100)
                .publish("kubelet", "1.29/stable", 101);
        SimulatedModel model = new SimulatedModel(SimulatedModel.Settings.of(13), new SimClock(Instant.EPOCH), store,
                (context, tools, machine) -> {
                    if (context.event() instanceof Event.Action) {
                        machine.startRefresh("kubelet", "1.29/stable", 101);
                        tools.relationSet(PEER, Map.of("done", "101"));
                    }
                    return 0;
                }, (role, machine) -> machine.install("kubelet", "1.29/stable", 100));
        model.observe((m, step) -> steps.add(step));
        model.addUnit(Role.WORKER);
        model.runUntilQuiet(200);
        model.setRefreshRounds("snap-coherence/0", 4);

        String id = model.queueAction("snap-coherence/0", "refresh", Map.of());
        model.runRound();
        long started = model.round();
        assertThat(model.unit("snap-coherence/0").busy()).isTrue();
        assertThat(model.unit("snap-coherence/0").machine().installedRevision("kubelet")).contains(101);
        assertThat(model.unitData("snap-coherence/0")).contains(Map.of());
        while (model.unit("snap-coherence/0").busy()) {
            model.runRound();
        }

        assertThat(model.round() - started).isEqualTo(4);
        assertThat(model.unitData("snap-coherence/0")).contains(Map.of("done", "101"));
        assertThat(id).isNotEmpty();
    }

    @Test
    void theSameSeedGivesTheSameRunAndAnotherSeedAnotherOne() {
        assertThat(chaoticTrace(42)).isEqualTo(chaoticTrace(42));
        assertThat(chaoticTrace(42)).isNotEqualTo(chaoticTrace(43));
    }

    private List<String> chaoticTrace(long seed) {
        SimulatedModel model = model(seed, 2, 5, (context, tools, machine) -> {
            if (!(context.event() instanceof Event.Action) && !context.event().name().equals("remove")) {
                tools.relationSet(PEER, Map.of("seen", context.event().name()));
            }
            return 0;
        });
        model.chaos((m, random) -> {
            if (random.nextInt(40) == 0) {
                List<SimUnit> live = m.liveUnits();
                m.electLeader(Optional.of(live.get(random.nextInt(live.size())).name()));
            }
            if (random.nextInt(200) == 0 && m.liveUnits().size() > 3) {
                m.removeUnit(m.liveUnits().get(random.nextInt(m.liveUnits().size())).name());
            }
        });
        model.runUntilQuiet(300);
        return model.trace();
    }
}
