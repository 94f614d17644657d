package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.sim.RefreshEvent;
import io.snapcoherence.sim.SimulatedProxy;
import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.Snaps;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static io.snapcoherence.charm.Cluster.peerChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Targets are what the proxy serves each node: per architecture, from what registered units saw, never from a node
 * that is not registered while proxy-url is set.
 */
class TargetsScenarioTest {
    private static final String CH = "1.29/stable";
    private static final String PROXY = "http://snap-proxy.internal";
    private static final Event UPDATE_STATUS = lifecycle(Event.LifecycleKind.UPDATE_STATUS);

    /**
     * Through the proxy: snap-coherence/0 (leader, control plane, amd64) with kube-apiserver and kubelet, workers 1
     * (amd64) and 2 (arm64) with kubelet; each architecture has its own builds.
     */
    private static Cluster mixed() {
        Cluster c = new Cluster();
        c.config.put("snaps", "kube-apiserver kubelet");
        c.config.put("proxy-url", PROXY);
        c.store.publish("amd64", "kube-apiserver", CH, 100).publish("arm64", "kube-apiserver", CH, 1100)
                .publish("amd64", "kubelet", CH, 200).publish("arm64", "kubelet", CH, 1200);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubelet", CH, 200);
        c.add(1, Role.WORKER, "kubelet", CH, 200);
        c.add(2, Role.WORKER, "kubelet", CH, 1200).machine.withArchitecture("arm64");
        c.settle();
        return c;
    }

    /** The proxy overrides kubelet for both architectures; upstream has moved on past both. */
    private static void overrideKubelet(Cluster c) {
        c.store.override("amd64", "kubelet", CH, 201).publishUpstream("amd64", "kubelet", CH, 221)
                .override("arm64", "kubelet", CH, 1201).publishUpstream("arm64", "kubelet", CH, 1221);
    }

    @Test
    void anArm64WorkerGetsTheArm64OverrideAndAnAmd64WorkerTheAmd64One() {
        Cluster c = mixed();
        assertThat(c.member(2).databag).containsEntry("arch", "arm64");
        overrideKubelet(c);
        c.settle();

        assertThat(c.appData.get("plan")).contains("{\"snap\":\"kubelet\",\"channel\":\"1.29/stable\",\"arch\":"
                + "\"amd64\",\"revision\":201}").contains("{\"snap\":\"kubelet\",\"channel\":\"1.29/stable\",\"arch\":"
                + "\"arm64\",\"revision\":1201}");
        assertThat(c.member(0).machine.installedRevision("kubelet")).contains(201);
        assertThat(c.member(1).machine.installedRevision("kubelet")).contains(201);
        assertThat(c.member(2).machine.installedRevision("kubelet")).contains(1201);
        assertThat(c.timeline).allMatch(e -> e.cause() == RefreshEvent.Cause.REFRESH);
        assertThat(c.appStatus.message()).isEqualTo("up to date (plan 1)");
    }

    @Test
    void aLeaderThatIsNotRegisteredNeverPlansFromUpstreamButFromWhatRegisteredUnitsSaw() {
        Cluster c = mixed();
        Cluster.Member leader = c.member(0);
        // Juju's agent restarts on the leader's machine and clears proxy.store; the proxy's assertions cannot be
        // fetched, so the charm cannot register it again: its snapd asks upstream.
        leader.machine.jujuAgentRestart();
        c.proxy.setMode(SimulatedProxy.Mode.DOWN);
        overrideKubelet(c);
        assertThat(leader.machine.refreshCandidates()).contains(new RefreshCandidate("kubelet", CH, 221, "v221"));
        c.settle();

        // The plan holds what the registered workers saw, per architecture; nothing of upstream's.
        assertThat(c.appData.get("plan")).contains("\"revision\":201").contains("\"revision\":1201")
                .doesNotContain("221");
        assertThat(c.appData.get("offers")).doesNotContain("221");
        assertThat(leader.databag.getOrDefault("offers", "")).doesNotContain("221");
        // It plans and grants; it does not refresh its own machine off the proxy (I6), and the workers wait for
        // the control plane, which it is.
        assertThat(leader.status.message()).startsWith("waiting for store proxy");
        assertThat(c.timeline).isEmpty();

        c.proxy.setMode(SimulatedProxy.Mode.OK);
        c.settle();
        assertThat(leader.machine.installedRevision("kubelet")).contains(201);
        assertThat(c.member(1).machine.installedRevision("kubelet")).contains(201);
        assertThat(c.member(2).machine.installedRevision("kubelet")).contains(1201);
        assertThat(c.timeline).noneMatch(e -> e.toRevision() == 221 || e.toRevision() == 1221);
    }

    @Test
    void aSnapRevertedOutsideTheCharmsMemoryIsPlannedBackToWhatTheProxyServesNeverTheOtherWay() {
        Cluster c = mixed();
        overrideKubelet(c);
        c.settle();
        Cluster.Member worker = c.member(1);
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        int before = c.timeline.size();
        c.config.put("auto-refresh", false); // no plan moves it before it looked

        // A revert the charm does not remember: its own in a hook killed before its commit (seeds 169936, 165826),
        // or an operator's. snapd now hides 201 from this machine's refresh candidates (snapmgr.go Block); read
        // without snapd's sequence, the unit told 200, what it went back to, as what the proxy serves, and the
        // other units were planned back to it.
        worker.machine.startRevert("kubelet");
        for (int i = 0; i < 3; i++) {
            c.everyoneLooks();
            c.settle();
        }

        // It tells nothing of kubelet while snapd hides what it went back from; an operator's refresh brings it back.
        assertThat(worker.databag.getOrDefault("offers", "")).doesNotContain("\"kubelet 1.29/stable\":200");
        assertThat(c.appData.get("offers")).doesNotContain("\"revision\":200");
        c.action(c.member(0), "refresh", Map.of());
        c.settle();
        c.everyoneLooks();
        c.settle();
        assertThat(c.appStatus.message()).isEqualTo("up to date (plan 2)");
        assertThat(c.timeline.subList(before, c.timeline.size()))
                .noneMatch(e -> e.cause() == RefreshEvent.Cause.REFRESH && e.toRevision() == 200);
        assertThat(worker.machine.installedRevision("kubelet")).contains(201);
        assertThat(c.member(0).machine.installedRevision("kubelet")).contains(201);
    }

    /** The unit whose view of kubelet the leader holds: it tells a change of kubelet at once. */
    private static String watcherOfKubelet(Cluster c) {
        return ((io.snapcoherence.coherence.PeerCodec.AppReading.Read) io.snapcoherence.coherence.PeerCodec
                .decodeApp(Cluster.APP, c.appData)).offers()
                .offer("amd64", new io.snapcoherence.coherence.SnapChannel("kubelet", CH)).orElseThrow().unit();
    }

    private static long looks(Cluster.Member m) {
        return m.machine.calls().stream().filter(call -> call.equals("snap refresh --list")).count();
    }

    @Test
    void aChangeIsToldByTheUnitWhoseViewTheLeaderHoldsAndTheOthersLookWithoutWriting() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        for (int n = 1; n <= 4; n++) {
            c.add(n, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        }
        c.settle();
        Cluster.Member watcher = c.members.get(watcherOfKubelet(c));
        List<Cluster.Member> others = c.members.values().stream()
                .filter(m -> m.role == Role.WORKER && m != watcher).toList();
        c.members.values().forEach(m -> m.relationWrites = 0);
        c.store.publish("kubelet", CH, 201);

        // A worker that looks before the watcher sees the change for the first time: it writes nothing yet.
        Cluster.Member early = others.get(0);
        c.hook(early, UPDATE_STATUS);
        assertThat(looks(early)).isPositive();
        assertThat(early.relationWrites).isZero();
        // The unit whose view of kubelet the leader holds tells it at once.
        c.hook(watcher, UPDATE_STATUS);
        assertThat(watcher.relationWrites).isEqualTo(1);
        assertThat(watcher.databag.get("offers")).contains("\"kubelet 1.29/stable\":201");
        // The leader takes it and asks a few units to look at everything now.
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("offers")).contains("\"revision\":201");
        List<String> asked = c.asked();
        assertThat(asked).hasSizeLessThanOrEqualTo(2);
        // The others look on their own update-status and find what the leader holds: they write nothing, the
        // early one on its second look neither.
        for (Cluster.Member worker : others) {
            long before = looks(worker);
            c.hook(worker, UPDATE_STATUS);
            assertThat(looks(worker)).isEqualTo(before + 1);
            if (!asked.contains(worker.unit)) {
                assertThat(worker.relationWrites).as(worker.unit).isZero();
            }
        }
    }

    @Test
    void withNobodyToTellAChangeAUnitThatSeesItTwiceTellsIt() {
        Cluster c = new Cluster();
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100);
        c.add(1, Role.WORKER, "kubelet", CH, 200);
        c.add(2, Role.WORKER, "kubelet", CH, 200);
        c.settle();
        // The unit whose view the leader holds is gone (its machine is down, say).
        Cluster.Member watcher = c.members.get(watcherOfKubelet(c));
        Cluster.Member other = c.members.values().stream().filter(m -> m.role == Role.WORKER && m != watcher)
                .findFirst().orElseThrow();
        c.members.remove(watcher.unit);
        c.members.values().forEach(m -> m.relationWrites = 0);
        c.store.publish("kubelet", CH, 201);

        c.hook(other, UPDATE_STATUS);
        assertThat(other.relationWrites).isZero();
        c.hook(other, UPDATE_STATUS);
        assertThat(other.relationWrites).isEqualTo(1);
        assertThat(other.databag.get("offers")).contains("\"kubelet 1.29/stable\":201");
    }

    @Test
    void theRefreshActionMakesTheUnitsItAsksLookAndPlansFromTheirAnswers() {
        Cluster c = new Cluster();
        c.config.put("auto-refresh", false);
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.add(2, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.settle();
        c.store.publish("kubelet", CH, 201); // nobody has looked since

        ModelState out = c.action(c.member(0), "refresh", Map.of());
        assertThat(out.action().results()).containsEntry("plan-created", "false").containsEntry("refresh-queued",
                "true");
        List<String> asked = c.asked();
        assertThat(asked).isNotEmpty();
        // Asked, a unit looks in whatever hook comes next (here a peer's change), not only on update-status.
        String worker = asked.stream().filter(u -> !u.equals(c.leader)).findFirst().orElseThrow();
        long before = c.members.get(worker).machine.calls().size();
        c.askedAnswer();
        assertThat(c.members.get(worker).machine.calls().subList((int) before,
                c.members.get(worker).machine.calls().size())).contains("snap refresh --list");
        assertThat(c.members.get(worker).databag.get("offers")).contains("\"answer\":true")
                .contains("\"kubelet 1.29/stable\":201");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.get("plan")).contains("\"snap\":\"kubelet\"").contains("\"revision\":201");
        assertThat(c.appData.getOrDefault("requested", "")).isEmpty();
    }

    @Test
    void aStoreErrorIsNoViewNowSaidInTheStatusNeverAHookErrorAndTheAnswerFollowsWhenItCan() {
        Cluster c = new Cluster();
        c.config.put("auto-refresh", false);
        c.store.publish("kube-apiserver", CH, 100).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubectl", CH, 300);
        c.settle();
        c.store.publish("kubectl", CH, 301);
        c.store.setOutage(true);

        c.action(c.member(0), "refresh", Map.of()); // every hook exits 0: Cluster.run checks
        c.askedAnswer();
        Cluster.Member worker = c.member(1);
        assertThat(worker.databag.get("offers"))
                .contains("\"none\":\"store unreachable: cannot list updates: Post ");
        assertThat(worker.status.message()).endsWith("; cannot check what the store serves: store unreachable: "
                + "cannot list updates: Post \"https://api.snapcraft.io/v2/snaps/refresh\": dial tcp api.snapcraft.io:443: connect: connection refused");
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.getOrDefault("plan", "")).isEmpty();

        // The store is back: the unit that owes its answer gives it when it looks next, and the plan follows.
        c.store.setOutage(false);
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.databag.get("offers")).contains("\"kubectl 1.29/stable\":301").doesNotContain("none");
        assertThat(worker.status.message()).doesNotContain("cannot check");
        // The leader, asked about kube-apiserver, which only it runs, owes its answer too: the request waits for it.
        c.hook(c.member(0), peerChanged());
        assertThat(c.appData.getOrDefault("plan", "")).isEmpty();
        assertThat(c.appStatus.message()).contains("updates available: kubectl 301 (1.29/stable, amd64); no plan while "
                + "no unit has told what the store serves kube-apiserver 1.29/stable (amd64) since the refresh at");
        c.hook(c.member(0), UPDATE_STATUS);
        assertThat(c.appData.get("plan")).contains("\"revision\":301");
    }

    @Test
    void aSnapTheCharmRevertedIsLeftOutOfItsViewSnapdHidesTheRevisionItWentBackFrom() {
        Cluster c = new Cluster();
        c.config.put("on-failure", "revert");
        c.store.publish("kube-apiserver", CH, 100).publish("kubelet", CH, 200).publish("kubectl", CH, 300);
        c.add(0, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        c.add(1, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.add(2, Role.WORKER, "kubelet", CH, 200, "kubectl", CH, 300);
        c.settle();
        // kubelet 201 starts and then its services fail on worker 1: reverted, the rollout halts.
        c.member(1).machine.breakServicesAfterRefresh("kubelet");
        c.store.publish("kubelet", CH, 201);
        c.settle();
        assertThat(c.member(1).databag.get("progress")).contains("\"phase\":\"reverted\"");
        assertThat(c.member(1).machine.installedRevision("kubelet")).contains(200);
        assertThat(c.member(1).machine.refreshCandidates()).noneMatch(rc -> rc.name().equals("kubelet"));

        // Its next look leaves kubelet out: it does not tell the leader the proxy serves 200.
        c.hook(c.member(1), UPDATE_STATUS);
        assertThat(c.member(1).unitStore.get("reverted")).isEqualTo("{\"kubelet\":200}");
        assertThat(c.member(1).databag.getOrDefault("offers", "")).doesNotContain("\"kubelet 1.29/stable\":200");
        c.settle();
        assertThat(c.appData.get("offers")).contains("\"kubelet 1.29/stable\":{\"revision\":201");
    }

    @Test
    void aSteadyUpdateStatusLooksAndWritesNothingAndThePlanActionNamesEachTargetsArchitecture() {
        Cluster c = mixed();
        for (Cluster.Member m : c.members.values()) {
            Map<String, String> store = m.unitStore;
            Map<String, String> databag = m.databag;
            long looks = looks(m);
            c.hook(m, UPDATE_STATUS);
            assertThat(looks(m)).as(m.unit).isEqualTo(looks + 1);
            assertThat(m.unitStore).as(m.unit).isEqualTo(store);
            assertThat(m.databag).as(m.unit).isEqualTo(databag);
        }
        c.config.put("auto-refresh", false);
        overrideKubelet(c);
        c.settle();
        ModelState plan = c.action(c.member(2), "plan", Map.of());
        assertThat(plan.action().results()).containsEntry("targets.0.snap", "kubelet")
                .containsEntry("targets.0.arch", "amd64").containsEntry("targets.0.revision", "201")
                .containsEntry("targets.1.arch", "arm64").containsEntry("targets.1.revision", "1201")
                .containsEntry("summary", "would refresh: kubelet 1.29/stable amd64 -> 201, kubelet 1.29/stable "
                        + "arm64 -> 1201");
    }

    @Test
    void aViewTakenWhileJujusAgentClearedProxyStoreIsNotReported() {
        Cluster c = mixed();
        Cluster.Member worker = c.member(1);
        String before = worker.databag.get("offers");
        // Juju's machine agent restarts while snapd asks the store: snapd may have asked upstream.
        worker.around = snaps -> (Snaps) Proxy.newProxyInstance(Snaps.class.getClassLoader(),
                new Class<?>[] {Snaps.class}, (proxy, method, args) -> {
                    Object answer = method.invoke(snaps, args);
                    if (method.getName().equals("refreshCandidates")) {
                        worker.machine.jujuAgentRestart();
                    }
                    return answer;
                });
        overrideKubelet(c);
        c.hook(worker, UPDATE_STATUS);
        assertThat(worker.databag.get("offers")).isEqualTo(before);
        assertThat(worker.status.message()).contains("cannot check what the proxy serves: proxy.store changed while "
                + "snapd asked the store (now unset)");
    }

    @Test
    void withProxyUrlEmptyANodeLeftRegisteredWithTheProxyCountsNoViewAndSaysWhy() {
        Cluster c = new Cluster();
        c.config.put("snaps", "kubelet");
        c.config.put("auto-refresh", false);
        c.store.publish("kubelet", CH, 200);
        c.add(0, Role.CONTROL_PLANE, "kubelet", CH, 200);
        c.add(1, Role.WORKER, "kubelet", CH, 200);
        c.add(2, Role.WORKER, "kubelet", CH, 200);
        c.settle();
        // proxy-url is empty, but worker 2 is left registered with the proxy (the model's snap-store-proxy, set
        // outside the charm): its snapd asks the proxy, the others upstream.
        Cluster.Member stray = c.member(2);
        stray.machine.ack(c.store.assertions());
        stray.machine.setSystem("proxy.store", c.store.storeId());
        c.store.override("amd64", "kubelet", CH, 201).publishUpstream("amd64", "kubelet", CH, 221);
        assertThat(stray.machine.refreshCandidates()).contains(new RefreshCandidate("kubelet", CH, 201, "v201"));

        c.settle();
        c.settle();

        // Its view is none, said in its status; the leader holds what the store serves and plans it.
        assertThat(stray.status.message()).contains("cannot check what the store serves: proxy.store is "
                + c.store.storeId() + " while proxy-url is empty");
        assertThat(stray.databag.getOrDefault("offers", "")).doesNotContain("201");
        assertThat(c.appData.get("offers")).contains("\"kubelet 1.29/stable\":{\"revision\":221");
        // Looking again changes nothing: no view told as news, no new check round.
        String app = c.appData.toString();
        c.settle();
        assertThat(c.appData.toString()).isEqualTo(app);
    }
}
