package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.sim.RefreshEvent;
import io.snapcoherence.juju.Status;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Config {@code soak}: the canary's soak before the rest of the control plane, the control plane's before the
 * workers, ended by the leader's clock and a check of the soaking units' own services.
 */
class SoakScenarioTest {
    private static final String CH = "1.29/stable";
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    /**
     * Units 0 to 2 control plane (kube-apiserver 100, kubectl 300), 3 and 4 workers (kubelet 200, kubectl 300);
     * 0 leads, so snap-coherence/1 is the canary (the leader goes last in its tier). soak 30m.
     */
    private static Cluster cluster() {
        Cluster c = Cluster.kubernetes(CH, 3, 2);
        c.config.put("soak", "30m"); // read from the next hook on, before any plan
        return c;
    }

    private static void at(Cluster c, Duration later) {
        c.clock = Clock.offset(Scenario.FIXED_CLOCK, later);
    }

    private static String until(Duration later) {
        return HH_MM.format(Scenario.FIXED_CLOCK.instant().plus(later));
    }

    /** Minutes pass and everyone's hooks run; the other control-plane units are still on kube-apiserver 100. */
    private static void othersStayOnTheOldApiServerUntil(Cluster c, int minutes) {
        at(c, Duration.ofMinutes(minutes));
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);
    }

    @Test
    void noOtherControlPlaneUnitStartsBeforeTheCanarysSoakEnds() {
        Cluster c = cluster();
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();

        assertThat(c.member(1).machine.installedRevision("kube-apiserver")).contains(101);
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.appStatus.message()).startsWith("soaking kube-apiserver 101 on snap-coherence/1 until "
                + until(Duration.ofMinutes(30)) + "; rolling out plan 1");
        assertThat(c.member(2).status).isEqualTo(Status.waiting("control plane canary soaking until "
                + until(Duration.ofMinutes(30)) + " (plan 1)"));
        assertThat(c.appData.get("soak")).contains("\"stage\":\"canary\"", "\"unit\":\"snap-coherence/1\"");

        at(c, Duration.ofMinutes(29));
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);

        at(c, Duration.ofMinutes(31));
        c.hook(c.member(1), Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.member(1).databag.get("soak-check")).contains("\"stage\":\"canary\"");
        c.settle();
        // The canary checked its services after the end; the rest of the control plane went, and the plan, which
        // has nothing for the workers, completed (the check is dropped with it).
        assertThat(c.member(1).databag).doesNotContainKey("soak-check");
        c.members.values().stream().filter(m -> m.role == Role.CONTROL_PLANE)
                .forEach(m -> assertThat(m.machine.installedRevision("kube-apiserver")).as(m.unit).contains(101));
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 1)"));
        assertThat(c.appData).doesNotContainKey("soak");
    }

    @Test
    void theSoakEndsOnlyWithACheckFromTheCanaryMadeAfterItsEnd() {
        Cluster c = cluster();
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        at(c, Duration.ofMinutes(31));
        // Only the leader has run a hook since the soak's end: it has no check from the canary yet, and says so.
        c.hook(c.member(0), Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        assertThat(c.appStatus.message()).startsWith("soaking kube-apiserver 101 on snap-coherence/1 until "
                + until(Duration.ofMinutes(30)) + "; ended, waiting for a check of its services from snap-coherence/1");
        c.hook(c.member(2), Cluster.peerChanged());
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(101);
    }

    @Test
    void aCanaryWhoseServicesBreakDuringTheSoakHaltsTheRollout() {
        Cluster c = haltedOnItsCanaryBrokenWhileSoaking();
        assertThat(c.member(1).status).isEqualTo(Status.blocked("kube-apiserver 101 failed (plan 1, attempt 1): enabled "
                + "services not active: kube-apiserver.daemon (found while soaking)"));
        othersStayOnTheOldApiServerUntil(c, 60);
        assertThat(c.appStatus.kind()).isEqualTo(Status.Kind.BLOCKED);
    }

    /**
     * The canary's kube-apiserver broke while it soaked and the rollout halted on it; the operator removed it and
     * resumed (wide seed 178268). It is no canary any more: the next control-plane unit goes alone and soaks before
     * the last one starts, rather than both going together once a soak restarted on the removed unit ran out.
     */
    @Test
    void afterAResumeACanaryRemovedAfterItFailedIsNoCanaryAndTheNextGoesAloneAndSoaks() {
        Cluster c = haltedOnItsCanaryBrokenWhileSoaking();

        c.members.remove("snap-coherence/1");
        c.members.values().forEach(m -> c.hook(m, Cluster.departed("snap-coherence/1")));
        at(c, Duration.ofMinutes(15));
        c.action(c.member(0), "resume", Map.of());
        c.settle();
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(101);
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.appData.get("soak")).contains("\"stage\":\"canary\"", "\"unit\":\"snap-coherence/2\"",
                "\"attempt\":2");
        assertThat(c.appStatus.message()).startsWith("soaking kube-apiserver 101 on snap-coherence/2 until ");

        // It soaks from its done (at the resume here); the last one goes only after its end.
        at(c, Duration.ofMinutes(15 + 29));
        c.settle();
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);
        at(c, Duration.ofMinutes(15 + 31));
        c.settle();
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(101);
    }

    /**
     * The canary's API server broke while it soaked and the rollout halted on it; a control-plane unit added since is
     * elected leader before its {@code -joined} hook for the canary ran, so the canary, in the relation all along,
     * is out of its view, and the operator resumes on it (wide seed 186105). Out of view is not gone: the canary
     * is granted again, alone, verifies again (its services repaired) and soaks before anyone else of the control
     * plane starts.
     */
    @Test
    void afterAResumeOnALeaderThatHasNotJoinedTheCanaryTheCanaryStillGoesFirstAndSoaksAgain() {
        Cluster c = haltedOnItsCanaryBrokenWhileSoaking();
        c.member(1).machine.repairServices();
        Cluster.Member added = c.add(5, Role.CONTROL_PLANE, "kube-apiserver", CH, 100, "kubectl", CH, 300);
        added.hidden.add("snap-coherence/1");
        c.hook(added, Cluster.lifecycle(Event.LifecycleKind.INSTALL));
        c.leader = added.unit;
        c.hook(added, Cluster.lifecycle(Event.LifecycleKind.LEADER_ELECTED));
        at(c, Duration.ofMinutes(15));
        c.action(added, "resume", Map.of());
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\"]");

        c.hook(c.member(1), Cluster.peerChanged()); // verifies again on its grant
        added.hidden.remove("snap-coherence/1");
        c.hook(added, Cluster.peerChanged()); // its -joined for the canary, at last
        c.settle();
        assertThat(c.appData.get("soak")).contains("\"stage\":\"canary\"", "\"unit\":\"snap-coherence/1\"",
                "\"attempt\":2");
        for (int n : new int[] {0, 2, 5}) {
            assertThat(c.member(n).machine.installedRevision("kube-apiserver")).as("unit " + n).contains(100);
        }
    }

    /** Plan 1 of kube-apiserver 101, halted on its canary snap-coherence/1, whose API server broke while it soaked. */
    private static Cluster haltedOnItsCanaryBrokenWhileSoaking() {
        Cluster c = cluster();
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        at(c, Duration.ofMinutes(10));
        c.member(1).machine.breakServices("kube-apiserver");
        c.settle();
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1 kube-apiserver 101 failed");
        return c;
    }

    /**
     * Plan 1 halted on its canary, whose kube-apiserver broke while it soaked; the operator's refresh, with the
     * proxy still serving 101, replaces plan 1 with plan 2 of the same target (seed 207035).
     */
    private static Cluster replacedWhileTheProxyServesWhatFailed(boolean repairedFirst) {
        Cluster c = haltedOnItsCanaryBrokenWhileSoaking();
        if (repairedFirst) {
            c.member(1).machine.repairServices();
        }
        at(c, Duration.ofMinutes(15));
        ModelState out = c.action(c.member(0), "refresh", Map.of());
        assertThat(out.action().results()).containsEntry("replaces-plan", "1");
        c.askedAnswer();
        c.hook(c.member(0), Cluster.peerChanged());
        assertThat(c.appData.get("plan")).contains("\"id\":2", "\"revision\":101", "\"replaces\":1");
        return c;
    }

    @Test
    void aRefreshThatReplacesAPlanHaltedOnABrokenCanaryAsksTheCanaryAgainBeforeAnyoneElseStarts() {
        Cluster c = replacedWhileTheProxyServesWhatFailed(false);
        // The canary runs plan 2's target, but its failure of plan 1 stands: it is granted first, alone, and
        // verifies for plan 2 before any other control-plane unit moves.
        assertThat(c.appData.get("grants")).isEqualTo("[\"snap-coherence/1\"]");
        c.settle();

        // Still broken: nobody else refreshed to 101 beside its broken API server, and plan 2 halts on it.
        assertThat(c.timeline).extracting(RefreshEvent::machine).containsExactly("machine-1");
        assertThat(c.member(1).status).isEqualTo(Status.blocked("kube-apiserver 101 failed (plan 2, attempt 1): "
                + "enabled services not active: kube-apiserver.daemon"));
        assertThat(c.appStatus.message()).startsWith("halted at plan 2: snap-coherence/1 kube-apiserver 101 failed");
        othersStayOnTheOldApiServerUntil(c, 90);
        assertThat(c.timeline).extracting(RefreshEvent::machine).containsExactly("machine-1");
    }

    @Test
    void aRefreshThatReplacesAPlanHaltedOnACanaryHealthyAgainLetsTheRestFollowOnceItVerified() {
        Cluster c = replacedWhileTheProxyServesWhatFailed(true);
        c.settle();
        // Healthy again, the canary verifies for plan 2 (no refresh: it runs the target) and soaks as its canary;
        // nobody else has moved yet.
        assertThat(c.member(1).databag.get("progress")).contains("\"plan\":2", "\"phase\":\"done\"");
        assertThat(c.appStatus.message()).startsWith("soaking kube-apiserver 101 on snap-coherence/1 until "
                + until(Duration.ofMinutes(45)));
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);

        at(c, Duration.ofMinutes(46));
        c.hook(c.member(1), Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS));
        c.settle();
        c.members.values().stream().filter(m -> m.role == Role.CONTROL_PLANE)
                .forEach(m -> assertThat(m.machine.installedRevision("kube-apiserver")).as(m.unit).contains(101));
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 2)"));
    }

    @Test
    void withRevertACanaryWhoseServicesBreakDuringTheSoakRevertsAndHalts() {
        Cluster c = cluster();
        c.config.put("on-failure", "revert");
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        at(c, Duration.ofMinutes(10));
        c.member(1).machine.breakServices("kube-apiserver");
        c.settle();

        assertThat(c.member(1).machine.calls()).contains("snap revert kube-apiserver");
        assertThat(c.member(1).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.member(1).databag.get("progress")).contains("\"phase\":\"reverted\"");
        assertThat(c.member(1).status.message()).startsWith("kube-apiserver 101 failed (plan 1, attempt 1): enabled "
                + "services not active: kube-apiserver.daemon (found while soaking)");
        assertThat(c.appStatus.message()).startsWith("halted at plan 1: snap-coherence/1");
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);
    }

    @Test
    void aLeaderChangeMidSoakKeepsItsEndTime() {
        Cluster c = cluster();
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        String soak = c.appData.get("soak");

        at(c, Duration.ofMinutes(20));
        c.leader = "snap-coherence/2";
        c.settle();
        assertThat(c.appData.get("soak")).isEqualTo(soak);
        assertThat(c.appStatus.message()).startsWith("soaking kube-apiserver 101 on snap-coherence/1 until "
                + until(Duration.ofMinutes(30)));
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);
        assertThat(c.member(2).machine.installedRevision("kube-apiserver")).contains(100);

        at(c, Duration.ofMinutes(29));
        c.settle();
        assertThat(c.member(0).machine.installedRevision("kube-apiserver")).contains(100);

        at(c, Duration.ofMinutes(31));
        c.settle();
        c.members.values().stream().filter(m -> m.role == Role.CONTROL_PLANE)
                .forEach(m -> assertThat(m.machine.installedRevision("kube-apiserver")).as(m.unit).contains(101));
    }

    @Test
    void workersWaitForTheControlPlanesSoak() {
        Cluster c = cluster();
        c.store.publish("kubectl", CH, 301);
        c.settle();
        at(c, Duration.ofMinutes(31));
        c.settle();

        c.members.values().stream().filter(m -> m.role == Role.CONTROL_PLANE)
                .forEach(m -> assertThat(m.machine.installedRevision("kubectl")).as(m.unit).contains(301));
        assertThat(c.member(3).machine.installedRevision("kubectl")).contains(300);
        assertThat(c.member(4).machine.installedRevision("kubectl")).contains(300);
        String secondEnd = HH_MM.format(c.lastHookAt.plus(Duration.ofMinutes(30)));
        assertThat(c.appStatus.message()).startsWith("soaking kubectl 301 on the control plane until " + secondEnd);
        assertThat(c.member(3).status).isEqualTo(Status.waiting("control plane soaking until " + secondEnd
                + " (plan 1)"));

        at(c, Duration.ofMinutes(31 + 29));
        c.settle();
        assertThat(c.member(3).machine.installedRevision("kubectl")).contains(300);

        at(c, Duration.ofMinutes(31 + 31));
        // Every control-plane unit checks its services after the second soak's end.
        c.members.values().stream().filter(m -> m.role == Role.CONTROL_PLANE).forEach(m -> {
            c.hook(m, Cluster.lifecycle(Event.LifecycleKind.UPDATE_STATUS));
            assertThat(m.databag.get("soak-check")).as(m.unit).contains("control-plane");
        });
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).as(m.unit).contains(301));
        assertThat(c.lastRefreshIndex(Role.CONTROL_PLANE)).isLessThan(c.firstRefreshIndex(Role.WORKER));
        assertThat(c.appStatus).isEqualTo(Status.active("up to date (plan 1)"));
    }

    @Test
    void withoutSoakTheControlPlaneGoesOnAtOnce() {
        Cluster c = cluster();
        c.config.put("soak", "0");
        c.store.publish("kubectl", CH, 301);
        c.settle();
        c.members.values().forEach(m -> assertThat(m.machine.installedRevision("kubectl")).as(m.unit).contains(301));
        assertThat(c.appData).doesNotContainKey("soak");
    }

    @Test
    void anUnreadableSoakEntryStopsTheRollout() {
        Cluster c = cluster();
        c.appData = new java.util.LinkedHashMap<>(c.appData);
        c.appData.put("soak", "{\"plan\":1}");
        c.store.publish("kube-apiserver", CH, 101);
        c.settle();
        assertThat(c.appStatus.message()).startsWith("rollout data unreadable");
        c.members.values().stream().filter(m -> m.role == Role.CONTROL_PLANE)
                .forEach(m -> assertThat(m.machine.installedRevision("kube-apiserver")).contains(100));
        assertThat(c.member(1).status.message()).startsWith("rollout data unreadable");
        assertThat(Map.copyOf(c.appData)).containsEntry("soak", "{\"plan\":1}");
    }
}
