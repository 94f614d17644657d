package io.snapcoherence.charm;

import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.Status;
import io.snapcoherence.sim.SimulatedMachine;
import io.snapcoherence.sim.SimulatedProxy;
import io.snapcoherence.sim.SimulatedStore;
import io.snapcoherence.snap.HttpStoreProxy;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.fakestore.FakeSnapStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 4: registration with the Snap Store Proxy, told as hooks on one unit. */
class ProxyRegistrationScenarioTest {
    private static final String URL = "http://snap-proxy.internal";
    private static final Event CONFIG_CHANGED = new Event.Lifecycle(Event.LifecycleKind.CONFIG_CHANGED);
    private static final Event UPDATE_STATUS = new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS);
    private static final Event INSTALL = new Event.Lifecycle(Event.LifecycleKind.INSTALL);
    private static FakeSnapStore fakeStore;

    private final SimulatedStore store = new SimulatedStore("proxy-store-id");
    private final SimulatedMachine machine = new SimulatedMachine("machine-0", store).withVersion("2.57.6");
    private final SimulatedProxy proxy = new SimulatedProxy(store);
    private final Scenario scenario = new Scenario(machine, proxy);

    @BeforeAll
    static void startFakeStore() throws IOException {
        fakeStore = new FakeSnapStore();
    }

    @AfterAll
    static void stopFakeStore() {
        fakeStore.close();
    }

    private static ModelState unit(String proxyUrl) {
        return ModelState.of("snap-coherence/0").withConfigValue("proxy-url", proxyUrl)
                .withRelation(ModelState.RelationState.container("worker", "worker:1", "kubernetes-worker"));
    }

    private static long sets(SimulatedMachine machine) {
        return machine.calls().stream().filter(c -> c.startsWith("snap set system proxy.store")).count();
    }

    @Test
    void registersOnceAndLaterHooksChangeNothing() {
        ModelState after = scenario.run(CONFIG_CHANGED, unit(URL)).state();

        assertThat(machine.systemConfig()).containsEntry("proxy.store", "proxy-store-id");
        assertThat(machine.knownStores()).extracting(StoreAssertion::storeId).containsExactly("proxy-store-id");
        assertThat(after.unitStatus().kind()).isNotIn(Status.Kind.BLOCKED);
        assertThat(after.unitStore()).containsKey(ProxyRegistration.Remembered.KEY.name());

        int callsAfterFirst = machine.calls().size();
        ModelState again = scenario.run(UPDATE_STATUS, after).state();
        scenario.run(UPDATE_STATUS, again);

        assertThat(proxy.fetches()).isEqualTo(1);
        assertThat(machine.calls().subList(callsAfterFirst, machine.calls().size()))
                .allMatch(c -> c.startsWith("snap get") || c.startsWith("snap known"));
        assertThat(sets(machine)).isEqualTo(1);
    }

    @Test
    void configuredStoreIdMustMatchTheProxys() {
        ModelState after = scenario.run(CONFIG_CHANGED, unit(URL).withConfigValue("store-id", "expected-id")).state();

        assertThat(after.unitStatus()).isEqualTo(Status.blocked(
                "store id mismatch: proxy " + URL + " says proxy-store-id, config says expected-id"));
        assertThat(sets(machine)).isZero();
        assertThat(machine.calls()).doesNotContain("snap ack");
    }

    enum BadProxy {
        SERVER_ERROR(FakeSnapStore.Fault.SERVER_ERROR, Status.Kind.WAITING, "HTTP 503"),
        SLOW(FakeSnapStore.Fault.SLOW, Status.Kind.WAITING, "no answer within"),
        EMPTY(FakeSnapStore.Fault.EMPTY, Status.Kind.BLOCKED, "empty response"),
        GARBAGE(FakeSnapStore.Fault.GARBAGE, Status.Kind.BLOCKED, "not an assertion stream"),
        WRONG_STORE_ID(FakeSnapStore.Fault.WRONG_STORE_ID, Status.Kind.BLOCKED, "store id mismatch");

        final FakeSnapStore.Fault fault;
        final Status.Kind status;
        final String reason;

        BadProxy(FakeSnapStore.Fault fault, Status.Kind status, String reason) {
            this.fault = fault;
            this.status = status;
            this.reason = reason;
        }
    }

    @ParameterizedTest
    @EnumSource(BadProxy.class)
    void aBadProxyAnswerGivesItsStatusAndTouchesNothing(BadProxy bad) {
        fakeStore.reset();
        fakeStore.fault(bad.fault);
        HttpStoreProxy client = new HttpStoreProxy(Duration.ofSeconds(2), Duration.ofSeconds(2), 64 * 1024);
        Scenario overHttp = new Scenario(machine, client);

        ModelState after = overHttp.run(CONFIG_CHANGED, unit(fakeStore.url().toString())).state();

        assertThat(after.unitStatus().kind()).isEqualTo(bad.status);
        assertThat(after.unitStatus().message()).contains(fakeStore.url() + "/v2/auth/store/assertions")
                .contains(bad.reason);
        assertThat(machine.calls()).doesNotContain("snap ack");
        assertThat(sets(machine)).isZero();
        assertThat(after.unitStore()).doesNotContainKey(ProxyRegistration.Remembered.KEY.name());
    }

    @Test
    void aProxyThatIsDownIsRetriedOnTheNextHook() {
        proxy.setMode(SimulatedProxy.Mode.DOWN);
        ModelState waiting = scenario.run(CONFIG_CHANGED, unit(URL)).state();
        assertThat(waiting.unitStatus().kind()).isEqualTo(Status.Kind.WAITING);

        proxy.setMode(SimulatedProxy.Mode.OK);
        scenario.run(UPDATE_STATUS, waiting);

        assertThat(machine.systemConfig()).containsEntry("proxy.store", "proxy-store-id");
        assertThat(proxy.fetches()).isEqualTo(2);
    }

    @Test
    void emptyingProxyUrlUndoesWhatTheCharmSet() {
        ModelState registered = scenario.run(CONFIG_CHANGED, unit(URL)).state();

        ModelState after = scenario.run(CONFIG_CHANGED, registered.withConfigValue("proxy-url", "")).state();

        assertThat(machine.systemConfig()).doesNotContainKey("proxy.store");
        // nothing remembered: state-set stores the empty value as such (jujuc/state-set.go)
        assertThat(after.unitStore().getOrDefault(ProxyRegistration.Remembered.KEY.name(), "")).isEmpty();
    }

    @Test
    void removalUndoesOnlyWhileTheNodeStillHoldsTheCharmsValue() {
        ModelState registered = scenario.run(CONFIG_CHANGED, unit(URL)).state();
        // The operator re-pointed the node at another store since.
        machine.ack(SimulatedStore.assertionsFor("operators-store"));
        machine.setSystem("proxy.store", "operators-store");

        scenario.run(new Event.Lifecycle(Event.LifecycleKind.STOP), registered);

        assertThat(machine.systemConfig()).containsEntry("proxy.store", "operators-store");
    }

    @Test
    void removalWithUnusableConfigStillUndoesTheCharmsSetting() {
        ModelState registered = scenario.run(CONFIG_CHANGED, unit(URL)).state();
        assertThat(machine.systemConfig()).containsEntry("proxy.store", "proxy-store-id");

        scenario.run(new Event.Lifecycle(Event.LifecycleKind.REMOVE),
                registered.withConfigValue("max-unavailable", 0));

        assertThat(machine.systemConfig()).doesNotContainKey("proxy.store");
    }

    @Test
    void principalRelationBrokenUndoesTheCharmsSetting() {
        ModelState registered = scenario.run(CONFIG_CHANGED, unit(URL)).state();
        Event broken = new Event.Relation("worker", Event.RelationKind.BROKEN, "worker:1", Optional.empty(),
                Optional.of("kubernetes-worker"), Optional.empty());

        scenario.run(broken, registered);

        assertThat(machine.systemConfig()).doesNotContainKey("proxy.store");
    }

    @Test
    void aStoreTheCharmDidNotSetIsNeverUndone() {
        machine.ack(store.assertions());
        machine.setSystem("proxy.store", "proxy-store-id");
        int before = machine.calls().size();
        ModelState adopted = scenario.run(CONFIG_CHANGED, unit(URL)).state();
        assertThat(machine.calls().subList(before, machine.calls().size()))
                .noneMatch(c -> c.equals("snap ack") || c.startsWith("snap set"));

        scenario.run(new Event.Lifecycle(Event.LifecycleKind.REMOVE), adopted);

        assertThat(machine.systemConfig()).containsEntry("proxy.store", "proxy-store-id");
    }

    @Test
    void withoutProxyUrlTheProxySettingsAreNeverTouched() {
        machine.ack(SimulatedStore.assertionsFor("juju-managed"));
        machine.setSystem("proxy.store", "juju-managed");
        int before = machine.calls().size();

        scenario.run(CONFIG_CHANGED, unit(""));
        scenario.run(new Event.Lifecycle(Event.LifecycleKind.REMOVE), unit(""));

        assertThat(machine.calls().subList(before, machine.calls().size())).noneMatch(c -> c.contains("proxy"));
        assertThat(machine.systemConfig()).containsEntry("proxy.store", "juju-managed");
        assertThat(proxy.fetches()).isZero();
    }

    @Test
    void aStoreAssertionPointingSnapdAtAnotherHostIsRefusedNamingBoth() {
        SimulatedStore elsewhere = new SimulatedStore("proxy-store-id", "https://store.elsewhere.internal:8443");
        SimulatedMachine node = new SimulatedMachine("machine-1", elsewhere);

        ModelState after = new Scenario(node, new SimulatedProxy(elsewhere)).run(CONFIG_CHANGED, unit(URL)).state();

        assertThat(after.unitStatus()).isEqualTo(Status.blocked("the store assertion of proxy-store-id points snapd at "
                + "https://store.elsewhere.internal:8443 (host store.elsewhere.internal:8443), not at the host of "
                + "proxy-url " + URL + " (snap-proxy.internal)"));
        assertThat(node.calls()).doesNotContain("snap ack");
        assertThat(node.systemConfig()).doesNotContainKey("proxy.store");
    }

    @Test
    void anAcknowledgedStoreAssertionOnAnotherHostKeepsTheNodeFromRefreshing() {
        // snapd already holds this store's assertion, with a url elsewhere; the proxy's own stream is fine.
        machine.ack(SimulatedStore.assertionsFor("proxy-store-id", "http://old-proxy.internal"));
        machine.setSystem("proxy.store", "proxy-store-id");

        ModelState after = scenario.run(CONFIG_CHANGED, unit(URL)).state();

        assertThat(after.unitStatus()).isEqualTo(Status.blocked("the store assertion of proxy-store-id points snapd "
                + "at http://old-proxy.internal (host old-proxy.internal), not at the host of proxy-url " + URL
                + " (snap-proxy.internal)"));
    }

    @Test
    void aProxyThatSendsNoStoreIdHeaderIsRegisteredFromItsStoreAssertion() {
        fakeStore.reset();
        fakeStore.fault(FakeSnapStore.Fault.NO_STORE_ID);
        SimulatedMachine node = new SimulatedMachine("machine-2", store);
        Scenario overHttp = new Scenario(node, new HttpStoreProxy());

        ModelState after = overHttp.run(CONFIG_CHANGED, unit(fakeStore.url().toString())).state();

        assertThat(after.unitStatus().kind()).isNotEqualTo(Status.Kind.BLOCKED);
        assertThat(node.systemConfig()).containsEntry("proxy.store", "fake-store-id");
    }

    @Test
    void proxyStoreClearedByJujusMachineAgentIsSetAgainOnUpdateStatusAndStart() {
        ModelState registered = scenario.run(CONFIG_CHANGED, unit(URL)).state();
        machine.jujuAgentRestart();
        ModelState again = scenario.run(UPDATE_STATUS, registered).state();
        assertThat(machine.systemConfig()).containsEntry("proxy.store", "proxy-store-id");

        machine.jujuAgentRestart();
        scenario.run(new Event.Lifecycle(Event.LifecycleKind.START), again);
        assertThat(machine.systemConfig()).containsEntry("proxy.store", "proxy-store-id");
        assertThat(sets(machine)).isEqualTo(3);
    }

    @Test
    void aProxyStoreTheCharmDidNotSetIsLeftAloneAndTheStatusSaysSo() {
        ModelState registered = scenario.run(CONFIG_CHANGED, unit(URL)).state();
        // The model's snap-store-proxy, set by Juju's machine agent when it starts.
        machine.ack(SimulatedStore.assertionsFor("model-store"));
        machine.setSystem("proxy.store", "model-store");
        int before = machine.calls().size();

        ModelState after = scenario.run(UPDATE_STATUS, registered).state();

        assertThat(after.unitStatus()).isEqualTo(Status.blocked("proxy.store is model-store, not set by this charm "
                + "(the model's snap-store-proxy?): left as it is; no refresh until it names the store of proxy-url "
                + URL));
        assertThat(machine.calls().subList(before, machine.calls().size())).noneMatch(c -> c.startsWith("snap set"));
        assertThat(machine.systemConfig()).containsEntry("proxy.store", "model-store");
        assertThat(new ProxyRegistration(new UnitStore(new io.snapcoherence.juju.StateHookTools(after)), machine, proxy,
                machine)
                .reconcile(CharmConfig.parse(Map.of("proxy-url", URL)), UPDATE_STATUS).allowsRefresh()).isFalse();
    }

    @Test
    void aNewUnitOnANodeUsingTheModelsStoreLeavesItAlone() {
        machine.ack(SimulatedStore.assertionsFor("model-store"));
        machine.setSystem("proxy.store", "model-store");

        ModelState after = scenario.run(CONFIG_CHANGED, unit(URL)).state();

        assertThat(after.unitStatus().message()).startsWith("proxy.store is model-store, not set by this charm");
        assertThat(machine.systemConfig()).containsEntry("proxy.store", "model-store");
        assertThat(machine.calls()).noneMatch(c -> c.equals("snap set system proxy.store=proxy-store-id"));
    }

    /** The install hook that registered was killed before its commit: Juju never wrote its unit store. */
    private ModelState registeredByAKilledInstallThenRetried(ModelState initial) {
        scenario.run(INSTALL, initial);
        assertThat(machine.systemConfig()).containsEntry("proxy.store", "proxy-store-id");
        ModelState retried = scenario.run(INSTALL, initial).state();
        assertThat(retried.unitStatus().kind()).isNotIn(Status.Kind.BLOCKED);
        return scenario.run(UPDATE_STATUS, retried).state();
    }

    @Test
    void aRegistrationWhoseHookWasKilledBeforeItsCommitIsUndoneWhenProxyUrlIsEmptied() {
        ModelState registered = registeredByAKilledInstallThenRetried(unit(URL));
        assertThat(machine.charmFiles()).as("the intent goes once the unit store holds the registration").isEmpty();

        scenario.run(CONFIG_CHANGED, registered.withConfigValue("proxy-url", ""));

        assertThat(machine.systemConfig()).doesNotContainKey("proxy.store");
    }

    @Test
    void aRegistrationWhoseHookWasKilledBeforeItsCommitIsUndoneOnRemoval() {
        ModelState registered = registeredByAKilledInstallThenRetried(unit(URL));

        scenario.run(new Event.Lifecycle(Event.LifecycleKind.STOP), registered);

        assertThat(machine.systemConfig()).doesNotContainKey("proxy.store");
    }

    @Test
    void theIntentIsKeptUntilACommittedUnitStoreHoldsTheRegistration() {
        ModelState initial = unit(URL);
        scenario.run(INSTALL, initial); // killed before its commit
        scenario.run(INSTALL, initial); // killed again: the claim it remembered is lost too
        assertThat(machine.charmFiles()).containsKey(ProxyRegistration.INTENT_FILE);

        ModelState retried = scenario.run(INSTALL, initial).state();
        scenario.run(CONFIG_CHANGED, retried.withConfigValue("proxy-url", ""));

        assertThat(machine.systemConfig()).doesNotContainKey("proxy.store");
        assertThat(machine.charmFiles()).isEmpty();
    }

    @Test
    void aSetWhoseAnswerWasLostIsTheCharmsAndIsUndoneOnRemoval() {
        machine.noAnswerTo("snap set system proxy.store");
        ModelState waited = scenario.run(CONFIG_CHANGED, unit(URL)).state();

        assertThat(waited.unitStatus().kind()).isEqualTo(Status.Kind.WAITING);
        assertThat(waited.unitStatus().message()).contains("no answer from snapd in time");
        assertThat(machine.systemConfig()).as("snapd ran the change").containsEntry("proxy.store", "proxy-store-id");
        assertThat(machine.charmFiles()).as("the outcome is unknown: the intent stays")
                .containsKey(ProxyRegistration.INTENT_FILE);

        ModelState next = scenario.run(UPDATE_STATUS, waited).state();
        scenario.run(new Event.Lifecycle(Event.LifecycleKind.STOP), next);

        assertThat(machine.systemConfig()).doesNotContainKey("proxy.store");
        assertThat(machine.charmFiles()).isEmpty();
    }

    @Test
    void anIntentThatIsUnreadableOrNamesAnotherStoreClaimsNothing() {
        machine.ack(store.assertions());
        machine.setSystem("proxy.store", "proxy-store-id"); // set outside the charm
        for (String bad : new String[] {"{\"url\": \"" + URL + "\", \"store-id\": \"other-store\"}", "{\"url\": ",
                "{\"url\": \"" + URL + "\"}"}) {
            machine.write(ProxyRegistration.INTENT_FILE, bad);
            ModelState adopted = scenario.run(CONFIG_CHANGED, unit(URL)).state();

            scenario.run(new Event.Lifecycle(Event.LifecycleKind.STOP), adopted);

            assertThat(machine.systemConfig()).as(bad).containsEntry("proxy.store", "proxy-store-id");
            assertThat(machine.charmFiles()).as(bad).isEmpty();
        }
    }

    @Test
    void pureDecisions() {
        var mine = Optional.of(new ProxyRegistration.Remembered(URL, "id", true));
        var theirs = Optional.of(new ProxyRegistration.Remembered(URL, "id", false));
        assertThat(ProxyRegistration.planTeardown(mine, Optional.of("id"))).isEqualTo(ProxyRegistration.Teardown.UNSET_AND_FORGET);
        assertThat(ProxyRegistration.planTeardown(mine, Optional.of("other"))).isEqualTo(ProxyRegistration.Teardown.FORGET);
        assertThat(ProxyRegistration.planTeardown(theirs, Optional.of("id"))).isEqualTo(ProxyRegistration.Teardown.FORGET);
        assertThat(ProxyRegistration.planTeardown(Optional.empty(), Optional.of("id"))).isEqualTo(ProxyRegistration.Teardown.NOTHING);
        var known = java.util.List.of(new StoreAssertion("id", Optional.of(URL)));
        assertThat(ProxyRegistration.isRegistered(java.net.URI.create(URL), Optional.empty(), mine, Optional.of("id"),
                known)).isTrue();
        assertThat(ProxyRegistration.isRegistered(java.net.URI.create(URL), Optional.of("x"), mine, Optional.of("id"),
                known)).isFalse();
        assertThat(ProxyRegistration.isRegistered(java.net.URI.create("http://elsewhere"), Optional.empty(), mine,
                Optional.of("id"), known)).isFalse();
        assertThat(ProxyRegistration.isRegistered(java.net.URI.create(URL), Optional.empty(), mine, Optional.of("id"),
                java.util.List.of(new StoreAssertion("id", Optional.of("http://other-host"))))).isFalse();

        var intent = Optional.of(new ProxyRegistration.Intent(URL, "id"));
        var claimed = Optional.of(new ProxyRegistration.Remembered(URL, "id", true));
        assertThat(ProxyRegistration.recovered(Optional.empty(), intent, Optional.of("id"))).isEqualTo(claimed);
        assertThat(ProxyRegistration.recovered(theirs, intent, Optional.of("id"))).isEqualTo(claimed);
        assertThat(ProxyRegistration.recovered(Optional.empty(), intent, Optional.of("other"))).isEmpty();
        assertThat(ProxyRegistration.recovered(theirs, intent, Optional.empty())).isEqualTo(theirs);
        assertThat(ProxyRegistration.recovered(Optional.empty(), Optional.empty(), Optional.of("id"))).isEmpty();
        assertThat(ProxyRegistration.intentSettled(mine, intent, Optional.of("id"))).isTrue();
        assertThat(ProxyRegistration.intentSettled(theirs, intent, Optional.of("id"))).isFalse();
        assertThat(ProxyRegistration.intentSettled(Optional.empty(), intent, Optional.of("id"))).isFalse();
        assertThat(ProxyRegistration.intentSettled(Optional.empty(), intent, Optional.empty())).isTrue();
        assertThat(ProxyRegistration.intentSettled(Optional.empty(), Optional.empty(), Optional.of("id"))).isTrue();

        assertThat(ProxyRegistration.mayHaveTakenEffect(new SnapError.Timeout("PUT /v2/snaps/system/conf"))).isTrue();
        assertThat(ProxyRegistration.mayHaveTakenEffect(new SnapError.BadResponse("PUT", "truncated"))).isTrue();
        assertThat(ProxyRegistration.mayHaveTakenEffect(new SnapError.SnapdUnavailable("restarting"))).isTrue();
        assertThat(ProxyRegistration.mayHaveTakenEffect(new SnapError.NoMatchingStoreAssertion("id"))).isFalse();
        assertThat(ProxyRegistration.mayHaveTakenEffect(new SnapError.StoreAssertionWithoutUrl("id"))).isFalse();
        assertThat(ProxyRegistration.mayHaveTakenEffect(new SnapError.Other(0, "", "cannot perform the following "
                + "tasks:\n- Run configure hook of \"core\" snap"))).isFalse();
    }
}
