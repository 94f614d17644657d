package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.HttpStoreProxy;
import io.snapcoherence.snap.ProxyException;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapdClient;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.fakestore.FakeAssertions;
import io.snapcoherence.snap.fakestore.FakeSnapStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link SnapdClient} against a real snapd 2.57 whose store is the fake proxy. */
@ExtendWith(RealSnapdExtension.class)
@ResourceLock(RealSnapdExtension.LOCK)
class SnapdClientRealSnapdTest {

    private static SnapError failure(Runnable call) {
        return catchThrowableOfType(SnapException.class, call::run).error();
    }

    @Test
    void systemInfoNamesSnapdsVersionAndArchitecture(RealSnapd snapd) {
        var info = snapd.client().systemInfo();
        assertThat(info.version()).startsWith("2.57");
        assertThat(info.perSnapHolds()).isFalse();
        assertThat(info.architecture()).isNotBlank();
    }

    @Test
    void ackOfGarbageIsATypedError(RealSnapd snapd) {
        SnapError error = failure(() -> snapd.client().ack("<html>oops</html>\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(error).isEqualTo(new SnapError.AssertionsRejected(
                "cannot decode request body into assertions: unexpected EOF"));
    }

    @Test
    void anEmptyStreamIsNeverSentAndOurProxyClientRejectsItFirst(RealSnapd snapd) {
        assertThat(failure(() -> snapd.client().ack(new byte[0]))).isInstanceOf(SnapError.AssertionsRejected.class);

        snapd.store().fault(FakeSnapStore.Fault.EMPTY);
        ProxyException e = catchThrowableOfType(ProxyException.class,
                () -> new HttpStoreProxy().fetchAssertions(snapd.store().url()));
        assertThat(e.getMessage()).endsWith("empty response");
        assertThat(snapd.client().knownStores()).isEmpty();
    }

    @Test
    void ackOfSelfSignedStoreAssertionsIsRefusedAtSignatureVerification(RealSnapd snapd) {
        byte[] stream = new HttpStoreProxy().fetchAssertions(snapd.store().url()).body();

        SnapError error = failure(() -> snapd.client().ack(stream));

        assertThat(error).isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(error.describe()).contains("failed signature verification");
        assertThat(snapd.client().knownStores()).isEmpty();
    }

    @Test
    void proxyStoreIsRefusedWithoutAStoreAssertion(RealSnapd snapd) {
        assertThat(failure(() -> snapd.client().setSystem("proxy.store", "fake-store-id")))
                .isEqualTo(new SnapError.NoMatchingStoreAssertion("fake-store-id"));
        assertThat(snapd.client().getSystem("proxy.store")).isEmpty();
    }

    @Test
    void proxyStoreIsAcceptedWithAMatchingStoreAssertionAndUnset(RealSnapd snapd) {
        SnapdClient client = snapd.client();
        snapd.installStoreAssertion("fake-store-id");

        assertThat(client.knownStores()).containsExactly(new StoreAssertion("fake-store-id",
                java.util.Optional.of(snapd.store().url().toString())));
        client.setSystem("proxy.store", "fake-store-id");
        assertThat(client.getSystem("proxy.store")).hasValue("fake-store-id");

        client.unsetSystem("proxy.store");
        assertThat(client.getSystem("proxy.store")).isEmpty();
    }

    @Test
    void refreshAndRevertOfASnapThatIsNotInstalled(RealSnapd snapd) {
        SnapdClient client = snapd.client();
        assertThat(failure(() -> client.startRefresh("kubectl", "1.29/stable", 1342)))
                .isEqualTo(new SnapError.NotInstalled("kubectl"));
        // overlord/snapstate/snapstate.go Revert looks for a previous revision before anything else.
        assertThat(failure(() -> client.startRevert("kubectl"))).isEqualTo(new SnapError.NoRevisionToRevert("kubectl"));
    }

    @Test
    void nothingInstalled(RealSnapd snapd) {
        assertThat(snapd.client().list()).isEmpty();
        assertThat(snapd.client().services()).isEmpty();
        assertThat(snapd.client().knownStores()).isEmpty();
        assertThat(snapd.client().refreshCandidates()).isEmpty();
    }

    @Test
    void snapd257HasNoPerSnapHoldButASystemWideRefreshHold(RealSnapd snapd) {
        SnapdClient client = snapd.client();

        assertThat(failure(() -> client.hold(List.of("kubectl")))).isEqualTo(
                new SnapError.Other(400, "", "unsupported multi-snap operation \"hold\""));

        client.setSystem("refresh.hold", "2099-01-01T00:00:00Z");
        assertThat(client.getSystem("refresh.hold")).hasValue("2099-01-01T00:00:00Z");
        client.unsetSystem("refresh.hold");
        assertThat(client.getSystem("refresh.hold")).isEmpty();
    }

    @Test
    void theFakeStoresAssertionsParseAsOurProxyClientExpects(RealSnapd snapd) {
        assertThat(new String(new HttpStoreProxy().fetchAssertions(snapd.store().url()).body(), StandardCharsets.UTF_8))
                .isEqualTo(FakeAssertions.streamFor("fake-store-id", snapd.store().url().toString()));
    }
}
