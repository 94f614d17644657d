package io.snapcoherence.charm;

import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.HttpStoreProxy;
import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.realsnapd.RealSnapd;
import io.snapcoherence.snap.realsnapd.RealSnapdExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.ResourceLock;

import static org.assertj.core.api.Assertions.assertThat;

/** Registration through the production edges: real snapd 2.57, the HTTP client, the fake proxy. */
@ExtendWith(RealSnapdExtension.class)
@ResourceLock(RealSnapdExtension.LOCK)
class ProxyRegistrationContractTest {
    private static final Event CONFIG_CHANGED = new Event.Lifecycle(Event.LifecycleKind.CONFIG_CHANGED);

    private static ModelState unit(String proxyUrl) {
        return ModelState.of("snap-coherence/0").withConfigValue("proxy-url", proxyUrl)
                .withRelation(ModelState.RelationState.container("worker", "worker:1", "kubernetes-worker"));
    }

    @Test
    void snapdRefusingTheProxysAssertionsBlocksAndSetsNothing(RealSnapd snapd) {
        SnapdClient cli = snapd.client();
        String url = snapd.store().url().toString();

        ModelState after = new Scenario(cli, new HttpStoreProxy()).run(CONFIG_CHANGED, unit(url)).state();

        assertThat(after.unitStatus().kind()).isEqualTo(Status.Kind.BLOCKED);
        assertThat(after.unitStatus().message()).startsWith("snapd refused its assertions from store proxy " + url)
                .contains("failed signature verification");
        assertThat(cli.getSystem("proxy.store")).isEmpty();
        assertThat(after.unitStore()).doesNotContainKey(ProxyRegistration.Remembered.KEY.name());
    }

    @Test
    void registersOnceWhenTheStoreAssertionIsKnownAndUndoesWhenProxyUrlIsEmptied(RealSnapd snapd) {
        SnapdClient cli = snapd.client();
        String url = snapd.store().url().toString();
        snapd.installStoreAssertion("fake-store-id");
        Scenario scenario = new Scenario(cli, new HttpStoreProxy());

        ModelState registered = scenario.run(CONFIG_CHANGED, unit(url)).state();
        assertThat(registered.unitStatus().kind()).isNotEqualTo(Status.Kind.BLOCKED);
        assertThat(cli.getSystem("proxy.store")).hasValue("fake-store-id");

        scenario.run(new Event.Lifecycle(Event.LifecycleKind.UPDATE_STATUS), registered);
        assertThat(snapd.store().requests()).containsExactly("GET /v2/auth/store/assertions");

        scenario.run(CONFIG_CHANGED, registered.withConfigValue("proxy-url", ""));
        assertThat(cli.getSystem("proxy.store")).isEmpty();
    }
}
