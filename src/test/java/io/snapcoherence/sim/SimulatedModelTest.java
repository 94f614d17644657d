package io.snapcoherence.sim;

import io.snapcoherence.charm.Charm;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;
import io.snapcoherence.juju.StateHookTools;
import io.snapcoherence.snap.Snaps;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
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
        return model(SimulatedModel.Settings.of(seed), controlPlane, workers, charm);
    }

    private SimulatedModel model(SimulatedModel.Settings settings, int controlPlane, int workers, TinyCharm charm) {
        SimulatedStore store = new SimulatedStore("store").publish("kubelet", "1.29/stable", 100);
        SimulatedModel model = new SimulatedModel(settings, new SimClock(Instant.EPOCH),
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

    /** Runs rounds until the unit is inside a hook that takes {@code rounds} rounds (its next one). */
    private static void busyInASlowHook(SimulatedModel model, String unit, int rounds) {
        model.slowNextHook(unit, rounds);
        for (int i = 0; i < 30 && !model.unit(unit).busy(); i++) {
            model.runRound();
        }
        assertThat(model.unit(unit).busy()).isTrue();
    }

    private List<String> hooksOn(String unit) {
        return steps.stream().filter(s -> s.unit().equals(unit) && s.finished()).map(Step::hook).toList();
    }

    private long count(String unit, String hook) {
        return hooksOn(unit).stream().filter(hook::equals).count();
    }

    /**
     * goal-state as Juju's controller answers a subordinate (UniterAPI.oneGoalState): no units of its own, and every
     * principal unit under its endpoint from the moment it is added, before any hook of its subordinate ran;
     * dying while being removed; gone once dead.
     */
    @Test
    void goalStateListsEveryPrincipalUnitFromItsAdditionDyingWhileRemovedAndNotOnceDead() {
        List<io.snapcoherence.juju.GoalState> seen = new ArrayList<>();
        SimulatedModel model = model(1, 1, 1, (context, tools, machine) -> {
            seen.add(tools.goalState());
            return 0;
        });
        assertThat(model.runUntilQuiet(200)).isTrue();
        io.snapcoherence.juju.GoalState settled = seen.get(seen.size() - 1);
        assertThat(settled.units()).isEmpty();
        assertThat(settled.liveUnits("control-plane")).containsExactly("kubernetes-control-plane/0");
        assertThat(settled.liveUnits("worker")).containsExactly("kubernetes-worker/0");

        SimUnit added = model.addUnit(Role.CONTROL_PLANE);
        seen.clear();
        model.runRound();
        // The other units' hooks this round already list the new principal, whether or not it ran a hook yet.
        assertThat(seen).isNotEmpty().allSatisfy(goal -> assertThat(goal.liveUnits("control-plane"))
                .contains(added.principal()));

        model.removeUnit(added.name());
        seen.clear();
        model.runRound();
        assertThat(seen).isNotEmpty().allSatisfy(goal -> {
            assertThat(goal.liveUnits("control-plane")).doesNotContain(added.principal());
            assertThat(goal.relations().get("control-plane")).containsKey(added.principal());
        });
        assertThat(model.runUntilQuiet(200)).isTrue();
        seen.clear();
        model.addUnit(Role.WORKER);
        model.runUntilQuiet(200);
        assertThat(seen).isNotEmpty().allSatisfy(goal -> assertThat(goal.relations().get("control-plane"))
                .doesNotContainKey(added.principal()));
    }

    /**
     * status-get --application as Juju's controller answers the leader: each unit's workload status as its hooks
     * last set it, at once (a hook that then fails keeps it: status-set is no part of the commit), the agent's error
     * while the unit is in hook error, and read at each call, not once per hook.
     */
    @Test
    void theLeaderReadsEveryUnitsStatusAsSetAtOnceAndTheErrorOfAUnitInHookError() {
        List<Map<String, io.snapcoherence.juju.WorkloadStatus>> read = new ArrayList<>();
        boolean[] failNext = {false};
        SimulatedModel model = model(1, 1, 1, (context, tools, machine) -> {
            if (tools.isLeader()) {
                read.add(tools.unitStatuses());
                return 0;
            }
            if (context.event() instanceof Event.Lifecycle l && l.kind() == Event.LifecycleKind.CONFIG_CHANGED) {
                if (failNext[0]) {
                    failNext[0] = false;
                    tools.statusSet(io.snapcoherence.juju.Status.active("set by a hook that failed"));
                    return 1;
                }
                return 0; // the retry sets no status: the failed hook's stays
            }
            return 0;
        });
        assertThat(model.runUntilQuiet(200)).isTrue();
        String worker = "snap-coherence/1";
        assertThat(read.get(read.size() - 1)).containsOnlyKeys("snap-coherence/0", worker);

        failNext[0] = true;
        model.setConfig(Map.of("max-unavailable", 2));
        List<io.snapcoherence.juju.WorkloadStatus> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            read.clear();
            model.runRound();
            read.forEach(r -> seen.add(r.get(worker)));
        }
        assertThat(seen).contains(new io.snapcoherence.juju.WorkloadStatus("error",
                "hook failed: \"config-changed\""));
        assertThat(seen.get(seen.size() - 1)).isEqualTo(new io.snapcoherence.juju.WorkloadStatus("active",
                "set by a hook that failed"));
    }

    @Test
    void startUpRunsInstallRelationCreatedLeaderConfigStartThenJoinedBeforeChanged() {
        SimulatedModel model = model(1, 1, 1, quiet());
        assertThat(model.runUntilQuiet(200)).isTrue();

        List<String> hooks = hooksOn("snap-coherence/1");
        assertThat(hooks.get(0)).isEqualTo("install");
        assertThat(hooks.subList(1, 3)).as("relations in no fixed order")
                .containsExactlyInAnyOrder("coherence-relation-created(app)", "worker-relation-created(app)");
        assertThat(hooks.subList(3, 6)).containsExactly("leader-settings-changed", "config-changed", "start");
        assertThat(hooks).containsSubsequence("worker-relation-joined(kubernetes-worker/0)",
                "worker-relation-changed(kubernetes-worker/0)");
        assertThat(hooks).containsSubsequence("coherence-relation-joined(snap-coherence/0)",
                "coherence-relation-changed(snap-coherence/0)");
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
    void changesAnAgentHasNotSeenYetAreOneChangedHookForTheLatestData() {
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
    }

    @Test
    void anAppDatabagWriteRunsChangedWithoutRemoteUnitOnEveryUnitTheLeaderIncluded() {
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
                .containsExactlyInAnyOrder("snap-coherence/0", "snap-coherence/1", "snap-coherence/2",
                        "snap-coherence/3");
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
        assertThat(hooksOn("snap-coherence/2")).containsSubsequence("worker-relation-departed(kubernetes-worker/1)",
                "worker-relation-broken(app)", "stop", "remove").containsSubsequence(
                "coherence-relation-departed(snap-coherence/0)", "stop")
                .as("a peer relation is never broken").doesNotContain("coherence-relation-broken(app)");
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
        assertThat(model.pendingRelationHooks()).isZero();
    }

    @Test
    void aRemovedLeaderIsFollowedByAnotherLiveUnit() {
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

    private static SimulatedModel.Settings without(long seed, Hostility hostility) {
        return SimulatedModel.Settings.of(seed).withHostility(EnumSet.complementOf(EnumSet.of(hostility)));
    }

    private static String describe(JujuContext context) {
        return context.event() instanceof Event.Relation r
                ? r.name() + r.remoteUnit().map(u -> "(" + u + ")").orElse("(app)") : context.event().name();
    }

    private int stepIndex(String unit, String hook) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).unit().equals(unit) && steps.get(i).hook().equals(hook) && steps.get(i).finished()) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aDyingLeaderKeepsTheLeaseThroughItsTeardownAndAnotherIsElectedOnlyOnceItIsDead() {
        List<String> onLeaving = new ArrayList<>();
        SimulatedModel model = model(20, 1, 3, (context, tools, machine) -> {
            if (context.unitName().equals("snap-coherence/0")) {
                List<String> peers = tools.relationIds(Charm.PEER_ENDPOINT).isEmpty() ? List.of()
                        : tools.relationList(PEER);
                onLeaving.add(describe(context) + " leader=" + tools.isLeader() + " peers=" + peers.size()
                        + (context.event() instanceof Event.Relation r ? " departing=" + r.departingUnit().orElse("")
                        : ""));
            }
            return 0;
        });
        model.runUntilQuiet(500);
        steps.clear();
        onLeaving.clear();

        model.removeUnit("snap-coherence/0");
        model.runUntilQuiet(500);

        assertThat(onLeaving).isNotEmpty().allSatisfy(hook -> assertThat(hook).contains("leader=true"));
        // its own -departed hooks shrink its relation-list; JUJU_DEPARTING_UNIT is itself
        assertThat(onLeaving).containsSubsequence(
                "coherence-relation-departed(snap-coherence/1) leader=true peers=2 departing=snap-coherence/0",
                "coherence-relation-departed(snap-coherence/2) leader=true peers=1 departing=snap-coherence/0",
                "coherence-relation-departed(snap-coherence/3) leader=true peers=0 departing=snap-coherence/0",
                "stop leader=true peers=0", "remove leader=true peers=0");
        int elected = steps.stream().filter(s -> s.hook().equals("leader-elected")).map(steps::indexOf)
                .findFirst().orElseThrow();
        assertThat(elected).as("leader-elected only once the old leader is Dead")
                .isGreaterThan(stepIndex("snap-coherence/0", "remove"));
        assertThat(model.leader()).isNotEqualTo("snap-coherence/0");
    }

    @Test
    void withoutThatHostilityTheLeaseMovesTheMomentTheLeaderIsRemoved() {
        SimulatedModel model = model(without(20, Hostility.DYING_LEADER_KEEPS_LEASE), 1, 3, quiet());
        model.runUntilQuiet(500);
        steps.clear();

        model.removeUnit("snap-coherence/0");
        model.runUntilQuiet(500);

        int elected = steps.stream().filter(s -> s.hook().equals("leader-elected")).map(steps::indexOf)
                .findFirst().orElseThrow();
        assertThat(elected).isLessThan(stepIndex("snap-coherence/0", "remove"));
    }

    @Test
    void duringAPeersDepartedItIsNoLongerInRelationListButItsDataIsStillReadable() {
        List<String> seen = new ArrayList<>();
        SimulatedModel model = model(23, 1, 2, (context, tools, machine) -> {
            if (context.event().name().equals("start")) {
                tools.relationSet(PEER, Map.of("me", context.unitName()));
            }
            if (context.event() instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                    && r.remoteUnit().equals(Optional.of("snap-coherence/2"))
                    && !context.unitName().equals("snap-coherence/2")) {
                seen.add(context.unitName() + " list=" + tools.relationList(PEER) + " data="
                        + tools.relationGet(PEER, "snap-coherence/2").get("me") + " departing="
                        + r.departingUnit().orElse(""));
            }
            return 0;
        });
        model.runUntilQuiet(500);

        model.removeUnit("snap-coherence/2");
        model.runUntilQuiet(500);

        assertThat(seen).containsExactlyInAnyOrder(
                "snap-coherence/0 list=[snap-coherence/1] data=snap-coherence/2 departing=snap-coherence/2",
                "snap-coherence/1 list=[snap-coherence/0] data=snap-coherence/2 departing=snap-coherence/2");
    }

    @Test
    void aHookWhoseAppWritesCommitAfterItsUnitLostTheLeaseFailsAsAWhole() {
        SimulatedModel model = model(21, 1, 2, (context, tools, machine) -> {
            if (context.event() instanceof Event.Action) {
                tools.relationSet(PEER, Map.of("mine", "from the action"));
                if (tools.isLeader()) {
                    tools.relationSetApp(PEER, Map.of("plan", "7"));
                }
            }
            return 0;
        });
        model.runUntilQuiet(500);
        String leader = model.leader();

        model.slowNextHook(leader, 5);
        String id = model.queueAction(leader, "write", Map.of());
        model.runRound();
        assertThat(model.unit(leader).busy()).isTrue();
        assertThat(model.electLeader(Optional.of("snap-coherence/1"))).as("is-leader promised 30 s").isFalse();
        for (int i = 0; i < SimulatedModel.LEASE_ROUNDS; i++) {
            model.runRound();
        }
        assertThat(model.electLeader(Optional.of("snap-coherence/1"))).isTrue();
        model.runUntilQuiet(500);

        assertThat(model.actionResult(id).orElseThrow().succeeded()).isFalse();
        assertThat(model.appData()).doesNotContainKey("plan");
        assertThat(model.unitData(leader).orElseThrow()).as("nothing of the hook lands").isEmpty();
    }

    @Test
    void aFailedCommitOfAHookIsRetriedAndWithoutTheLeaseItWritesOnlyItsOwnData() {
        SimulatedModel model = model(24, 1, 2, (context, tools, machine) -> {
            if (context.event().name().equals("config-changed")) {
                tools.relationSet(PEER, Map.of("mine", "yes"));
                if (tools.isLeader()) {
                    tools.relationSetApp(PEER, Map.of("plan", "7"));
                }
            }
            return 0;
        });
        model.runUntilQuiet(500);
        String leader = model.leader();

        model.slowNextHook(leader, 5);
        model.setConfig(Map.of("hold", false));
        model.runRound();
        for (int i = 0; i < SimulatedModel.LEASE_ROUNDS; i++) {
            model.runRound();
        }
        model.electLeader(Optional.of("snap-coherence/2"));
        model.runUntilQuiet(500);

        assertThat(model.unit(leader).failedHooks()).isEqualTo(1);
        assertThat(model.unitData(leader).orElseThrow()).containsEntry("mine", "yes");
        assertThat(model.appData()).as("written again by the new leader's own config-changed, not the old one's")
                .containsEntry("plan", "7");
        assertThat(hooksOn(leader).stream().filter(h -> h.equals("config-changed"))).hasSize(3);
    }

    @Test
    void aUnitReadsAPeersDataAsOfItsOwnLastHookForThatPeer() {
        assertThat(readsOfUnit2(SimulatedModel.Settings.of(22))).containsSubsequence(
                "coherence-relation-changed(snap-coherence/1) n=1", "coherence-relation-changed(snap-coherence/2) n=2");
        assertThat(readsOfUnit2(without(22, Hostility.CACHED_REMOTE_DATA))).containsSubsequence(
                "coherence-relation-changed(snap-coherence/1) n=2", "coherence-relation-changed(snap-coherence/2) n=2");
    }

    /** What snap-coherence/0 reads of snap-coherence/2 in each hook after both peers wrote at once. */
    private List<String> readsOfUnit2(SimulatedModel.Settings settings) {
        List<String> reads = new ArrayList<>();
        SimulatedModel model = model(settings, 1, 2, (context, tools, machine) -> {
            if (context.unitName().equals("snap-coherence/0") && !tools.relationIds(Charm.PEER_ENDPOINT).isEmpty()
                    && tools.relationList(PEER).contains("snap-coherence/2")) {
                reads.add(describe(context) + " n=" + tools.relationGet(PEER, "snap-coherence/2").get("n"));
            }
            return 0;
        });
        model.overwriteUnitData("snap-coherence/2", Map.of("n", "1"));
        model.runUntilQuiet(500);
        reads.clear();

        model.overwriteUnitData("snap-coherence/2", Map.of("n", "2"));
        model.overwriteUnitData("snap-coherence/1", Map.of("m", "1"));
        model.runUntilQuiet(500);
        return reads;
    }

    @Test
    void anAgentRunsActionsThenConfigChangedThenTheAppsChangedThenUnitsInNameOrderAndUpdateStatusLast() {
        SimulatedModel model = model(25, 1, 3, (context, tools, machine) -> {
            if (context.event() instanceof Event.Action a && a.name().equals("plan") && tools.isLeader()) {
                tools.relationSetApp(PEER, Map.of("plan", "1"));
            }
            return 0;
        });
        model.runUntilQuiet(500);
        busyInASlowHook(model, "snap-coherence/3", 6);
        steps.clear();

        model.queueAction("snap-coherence/3", "look", Map.of());
        model.setConfig(Map.of("hold", false));
        model.overwriteUnitData("snap-coherence/2", Map.of("n", "1"));
        model.overwriteUnitData("snap-coherence/1", Map.of("n", "1"));
        model.runAction(model.leader(), "plan", Map.of());
        model.runUntilQuiet(500);

        List<String> hooks = hooksOn("snap-coherence/3");
        assertThat(hooks).containsSubsequence("action look", "config-changed", "coherence-relation-changed(app)",
                "coherence-relation-changed(snap-coherence/1)", "coherence-relation-changed(snap-coherence/2)");
        int lastRelationHook = hooks.indexOf("coherence-relation-changed(snap-coherence/2)");
        assertThat(hooks.subList(1, lastRelationHook)).as("update-status only when nothing else is due")
                .doesNotContain("update-status");
    }

    /**
     * Units' -changed hooks come in the order of their names as strings, not as numbers (relation/resolver.go
     * nextHookForRelation: the union of unit names, {@code set.Strings.SortedValues}, the first whose version
     * differs): {@code /10} and {@code /11} before {@code /9}. A unit whose data keeps changing while the agent is
     * busy is served before a later name each time, so the later one's change can wait long (wide seed 173266).
     */
    @Test
    void unitsChangedHooksComeInTheStringOrderOfTheirNames() {
        SimulatedModel model = model(32, 1, 11, quiet());
        model.runUntilQuiet(2000);
        busyInASlowHook(model, "snap-coherence/0", 6);
        steps.clear();

        model.overwriteUnitData("snap-coherence/9", Map.of("n", "1"));
        model.overwriteUnitData("snap-coherence/11", Map.of("n", "1"));
        model.overwriteUnitData("snap-coherence/10", Map.of("n", "1"));
        model.runUntilQuiet(500);

        assertThat(hooksOn("snap-coherence/0").stream().filter(h -> h.startsWith("coherence-relation-changed")))
                .containsExactly("coherence-relation-changed(snap-coherence/10)",
                        "coherence-relation-changed(snap-coherence/11)", "coherence-relation-changed(snap-coherence/9)");
    }

    @Test
    void anActionRunsWhileItsUnitIsInHookErrorAndWhileAnotherUnitsHookIsInFlight() {
        SimulatedModel model = model(26, 1, 2, (context, tools, machine) -> {
            boolean failing = context.unitName().equals("snap-coherence/1") && context.event().name().equals("start");
            return failing ? 1 : 0;
        });
        for (int i = 0; i < 30; i++) {
            model.runRound();
        }
        assertThat(model.unit("snap-coherence/1").failedHooks()).isPositive();
        busyInASlowHook(model, "snap-coherence/2", 8);

        String id = model.queueAction("snap-coherence/1", "resume", Map.of());
        model.runRound();

        assertThat(model.actionResult(id)).isPresent();
        assertThat(model.unit("snap-coherence/2").busy()).isTrue();
    }

    @Test
    void aHookThatTakesTimeActsOnWhatItReadWhenItStarted() {
        SimulatedModel model = model(without(27, Hostility.CACHED_REMOTE_DATA), 1, 2, (context, tools, machine) -> {
            if (context.event() instanceof Event.Action) {
                String n = tools.relationGet(PEER, "snap-coherence/1").getOrDefault("n", "");
                machine.await(machine.startRefresh("kubelet", "1.29/stable", 101), java.time.Duration.ofSeconds(40));
                tools.relationSet(PEER, Map.of("copied", n));
            }
            return 0;
        });
        model.store().publish("kubelet", "1.29/stable", 101);
        model.overwriteUnitData("snap-coherence/1", Map.of("n", "1"));
        model.runUntilQuiet(500);

        model.slowNextHook("snap-coherence/2", 3);
        String id = model.queueAction("snap-coherence/2", "copy", Map.of());
        model.runRound();
        model.overwriteUnitData("snap-coherence/1", Map.of("n", "2"));
        model.runRound();
        assertThat(model.unit("snap-coherence/2").machine().installedRevision("kubelet")).as("acts later")
                .contains(100);
        for (int i = 0; i < 10 && model.actionResult(id).isEmpty(); i++) {
            model.runRound();
        }

        assertThat(model.unitData("snap-coherence/2").orElseThrow()).containsEntry("copied", "1");
        assertThat(model.unit("snap-coherence/2").machine().installedRevision("kubelet")).contains(101);
    }

    @Test
    void aUnitOnAMachineThatDiedRunsNothingButStaysInTheRelationUntilForceRemoved() {
        SimulatedModel model = model(28, 1, 2, quiet());
        model.runUntilQuiet(500);
        steps.clear();

        model.killMachine("snap-coherence/2");
        model.setConfig(Map.of("hold", false));
        model.runUntilQuiet(500);

        assertThat(hooksOn("snap-coherence/2")).isEmpty();
        assertThat(hooksOn("snap-coherence/0")).contains("config-changed");
        assertThat(model.unit("snap-coherence/2").alive()).isTrue();
        assertThat(model.unit("snap-coherence/0").peersSeen()).contains("snap-coherence/2");

        model.forceRemove("snap-coherence/2");
        model.runUntilQuiet(500);

        assertThat(hooksOn("snap-coherence/0")).contains("coherence-relation-departed(snap-coherence/2)");
        assertThat(hooksOn("snap-coherence/2")).isEmpty();
        assertThat(model.unit("snap-coherence/2").gone()).isTrue();
    }

    @Test
    void aLeaderWhoseMachineDiedLosesTheLeaseWhenItRunsOut() {
        SimulatedModel model = model(29, 1, 2, quiet());
        model.runUntilQuiet(500);
        String leader = model.leader();

        model.killMachine(leader);
        for (int i = 0; i < SimulatedModel.LEASE_ROUNDS - 1; i++) {
            model.runRound();
        }
        assertThat(model.leader()).as("the lease outlives the agent a while").isEqualTo(leader);
        model.runUntilQuiet(500);

        assertThat(model.leader()).isNotEqualTo(leader);
        assertThat(hooksOn(model.leader())).contains("leader-elected");
    }

    @Test
    void aHookKilledBeforeItsCommitKeepsItsMachineChangesLosesItsWritesAndIsRetriedByARestartedAgent() {
        SimulatedModel model = model(30, 1, 2, (context, tools, machine) -> {
            if (!context.unitName().equals("snap-coherence/1") || tools.relationIds(Charm.PEER_ENDPOINT).isEmpty()
                    || !tools.relationList(PEER).contains("snap-coherence/2")) {
                return 0;
            }
            String n = tools.relationGet(PEER, "snap-coherence/2").getOrDefault("n", ""); // every hook reads it
            if (context.event().name().equals("config-changed")) {
                machine.setSystem("refresh.timer", "mon");
                tools.relationSet(PEER, Map.of("seen", n));
            }
            return 0;
        });
        model.overwriteUnitData("snap-coherence/2", Map.of("n", "1"));
        model.runUntilQuiet(500);
        steps.clear();

        // config-changed runs before the -changed for the new data: it reads the cached n=1 first
        model.overwriteUnitData("snap-coherence/2", Map.of("n", "2"));
        model.killNextHookBeforeCommit("snap-coherence/1");
        model.setConfig(Map.of("hold", false));
        model.runUntilQuiet(500);

        List<Step> configChanged = steps.stream().filter(s -> s.unit().equals("snap-coherence/1")
                && s.hook().equals("config-changed")).toList();
        assertThat(configChanged).extracting(Step::committed).containsExactly(false, true);
        assertThat(model.unit("snap-coherence/1").machine().systemConfig()).containsEntry("refresh.timer", "mon");
        assertThat(model.unitData("snap-coherence/1").orElseThrow()).as("the restarted agent reads afresh")
                .containsEntry("seen", "2");
    }

    @Test
    void aHookWhoseUnitStoreWouldPassTwoMebibytesFailsAsAWholeAndIsRetried() {
        int[] runs = {0};
        SimulatedModel model = model(31, 1, 1, (context, tools, machine) -> {
            if (context.unitName().equals("snap-coherence/1") && context.event().name().equals("start")) {
                tools.relationSet(PEER, Map.of("started", "yes"));
                int chunks = ++runs[0] == 1 ? 40 : 2;
                for (int i = 0; i < chunks; i++) {
                    tools.stateSet(Map.of("chunk-" + i, "x".repeat(StateHookTools.MAX_STATE_VALUE_BYTES)));
                }
            }
            return 0;
        });
        model.runUntilQuiet(500);

        assertThat(model.unit("snap-coherence/1").failedHooks()).isEqualTo(1);
        assertThat(model.unit("snap-coherence/1").unitStore()).containsOnlyKeys("chunk-0", "chunk-1");
        assertThat(model.unitData("snap-coherence/1").orElseThrow()).containsEntry("started", "yes");
    }
}
