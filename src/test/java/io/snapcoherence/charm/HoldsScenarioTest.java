package io.snapcoherence.charm;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.Status;
import io.snapcoherence.sim.RefreshEvent;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static io.snapcoherence.charm.Cluster.lifecycle;
import static org.assertj.core.api.Assertions.assertThat;

/** Holds that hold: per snap from snapd 2.58, and before it a refresh.hold that snapd caps and the status names. */
class HoldsScenarioTest {
    private static final String CH = "1.29/stable";
    private static final Event UPDATE_STATUS = lifecycle(Event.LifecycleKind.UPDATE_STATUS);
    private static final Event CONFIG_CHANGED = lifecycle(Event.LifecycleKind.CONFIG_CHANGED);
    private static final Instant START = Scenario.FIXED_CLOCK.instant();

    /** One worker with kubelet on an old snapd whose last auto-refresh was {@code daysAgo} days ago. */
    private static Cluster oldSnapd(int daysAgo) {
        Cluster c = new Cluster();
        c.store.publish("kubelet", CH, 200);
        c.add(0, Role.WORKER, "kubelet", CH, 200).machine.withVersion("2.57.6")
                .withLastRefresh(START.minus(Duration.ofDays(daysAgo)));
        c.member(0).machine.useClock(() -> c.clock.instant());
        return c;
    }

    private static void at(Cluster c, Duration sinceStart) {
        c.clock = Clock.fixed(START.plus(sinceStart), ZoneOffset.UTC);
    }

    @Test
    void from258EachManagedSnapIsHeldForeverAndRefreshHoldIsNotTouched() {
        Cluster c = new Cluster();
        c.store.publish("kubelet", CH, 200);
        Cluster.Member unit = c.add(0, Role.WORKER, "kubelet", CH, 200);
        c.settle();
        assertThat(unit.machine.calls()).contains("snap refresh --hold kubelet")
                .noneMatch(call -> call.contains("refresh.hold"));
        assertThat(unit.machine.installedSnaps().get(0).hold()).isPresent();
        assertThat(unit.status).isEqualTo(Status.active("up to date"));
    }

    @Test
    void before258TheStatusSaysWhenTheHoldLapsesAndRenewingDoesNotPretendOtherwise() {
        Cluster c = oldSnapd(90);
        c.settle();
        Cluster.Member unit = c.member(0);
        assertThat(unit.machine.systemConfig().get("refresh.hold")).isEqualTo(START.plus(Duration.ofDays(60)).toString());
        // snapd caps it at its last refresh + 95 days: 5 days from now, not 60.
        String lapse = START.plus(Duration.ofDays(5)).toString();
        assertThat(unit.status).isEqualTo(Status.active("up to date; refresh hold lapses " + lapse + ": snapd before "
                + "2.58 holds no longer than 95 days after its last refresh"));

        at(c, Duration.ofDays(4));
        c.hook(unit, UPDATE_STATUS);
        assertThat(unit.status.message()).contains("refresh hold lapses " + lapse);
    }

    @Test
    void before258OnANodeThatNeverAutoRefreshedTheLapseCountsFromSeedingAsSnapdSays() {
        // snapd caps the hold from seeding when it has not auto-refreshed yet (EffectiveRefreshHold): the charm
        // cannot see the seed time, so the lapse date is snapd's own answer, read back after setting the hold.
        Cluster c = new Cluster();
        c.store.publish("kubelet", CH, 200);
        Cluster.Member unit = c.add(0, Role.WORKER, "kubelet", CH, 200);
        unit.machine.withVersion("2.57.6").withSeedTime(START.minus(Duration.ofDays(80)));
        unit.machine.useClock(() -> c.clock.instant());

        c.settle();

        String lapse = START.plus(Duration.ofDays(15)).toString();
        assertThat(unit.status).isEqualTo(Status.active("up to date; refresh hold lapses " + lapse + ": snapd before "
                + "2.58 holds no longer than 95 days after its last refresh"));
    }

    @Test
    void aLapsedHoldIsSetAgainAfterSnapdRefreshedAndTheStatusMovesOn() {
        Cluster c = oldSnapd(90);
        c.settle();
        Cluster.Member unit = c.member(0);
        c.store.publish("kubelet", CH, 201);

        at(c, Duration.ofDays(6)); // past the cap: snapd clears refresh.hold and refreshes on its own
        assertThat(unit.machine.autoRefreshTick()).extracting(RefreshEvent::cause)
                .containsExactly(RefreshEvent.Cause.AUTO);
        assertThat(unit.machine.systemConfig()).doesNotContainKey("refresh.hold");

        c.hook(unit, UPDATE_STATUS);
        Instant now = START.plus(Duration.ofDays(6));
        assertThat(unit.machine.systemConfig().get("refresh.hold")).isEqualTo(now.plus(Duration.ofDays(60)).toString());
        assertThat(unit.status.message()).contains("refresh hold lapses " + now.plus(Duration.ofDays(60)));
    }

    /**
     * hold=false, the config-changed hook releases the holds in snapd and is killed before its store write; hold=true
     * again before its retry (seed 185957). The unit store still says held: snapd's listing, which shows none, is
     * what the hook goes by, and it holds every managed snap again before snapd's timer can take them.
     */
    @Test
    void aReleaseWhoseHookWasKilledIsHeldAgainWhenSnapdListsNoHold() {
        Cluster c = new Cluster();
        c.store.publish("kubelet", CH, 200);
        Cluster.Member unit = c.add(0, Role.WORKER, "kubelet", CH, 200);
        c.settle();
        assertThat(unit.machine.installedSnaps().get(0).hold()).isPresent();

        c.config.put("hold", false);
        c.killedHook(unit, CONFIG_CHANGED);
        assertThat(unit.machine.installedSnaps().get(0).hold()).as("released in snapd, the store not written").isEmpty();

        c.config.put("hold", true);
        c.hook(unit, CONFIG_CHANGED);
        assertThat(unit.machine.installedSnaps().get(0).hold()).as("held again").isPresent();
        c.store.publish("kubelet", CH, 201);
        unit.machine.autoRefreshTick();
        assertThat(unit.machine.installedRevision("kubelet")).contains(200);
    }

    @Test
    void theReleaseUnsetsRefreshHoldNeverSetsItEmpty() {
        Cluster c = oldSnapd(10);
        c.settle();
        Cluster.Member unit = c.member(0);
        assertThat(unit.machine.systemConfig()).containsKey("refresh.hold");

        c.config.put("hold", false);
        c.hook(unit, CONFIG_CHANGED);

        assertThat(unit.machine.systemConfig()).doesNotContainKey("refresh.hold");
        assertThat(unit.machine.calls()).contains("snap unset system refresh.hold")
                .noneMatch(call -> call.equals("snap set system refresh.hold="));
        assertThat(unit.status).isEqualTo(Status.active("up to date"));
    }

    @Test
    void aRefreshHoldTheOperatorSetIsLeftAsItIsAndNamedInTheStatus() {
        Cluster c = oldSnapd(10);
        String operators = START.plus(Duration.ofDays(20)).toString();
        c.member(0).machine.setSystem("refresh.hold", operators);
        c.settle();
        Cluster.Member unit = c.member(0);

        assertThat(unit.machine.systemConfig().get("refresh.hold")).isEqualTo(operators);
        assertThat(unit.machine.calls()).filteredOn(call -> call.startsWith("snap set system refresh.hold="))
                .containsExactly("snap set system refresh.hold=" + operators); // the operator's own
        assertThat(unit.status.message()).contains("refresh hold lapses " + operators + " (refresh.hold=" + operators
                + " set outside the charm, left as is)");

        c.config.put("hold", false);
        c.hook(unit, CONFIG_CHANGED);
        assertThat(unit.machine.systemConfig().get("refresh.hold")).isEqualTo(operators);
    }
}
