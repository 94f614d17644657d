package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.HttpStoreProxy;
import io.snapcoherence.snap.ProxyException;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.SnapCli;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.fakestore.FakeAssertions;
import io.snapcoherence.snap.fakestore.FakeSnapStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link SnapCli} against a real snapd 2.57 (own root, test keys) whose store is the fake proxy. */
@ExtendWith(RealSnapdExtension.class)
@ResourceLock(RealSnapdExtension.LOCK)
class SnapCliContractTest {

    private static SnapError failure(Runnable call) {
        return catchThrowableOfType(call::run, SnapException.class).error();
    }

    @Test
    void versionIsReadFromSnapd(RealSnapd snapd) {
        assertThat(snapd.cli().systemInfo().version()).startsWith("2.");
    }

    @Test
    void infoOfSeveralSnapsWithAnUnknownOneAndAnOverride(RealSnapd snapd) {
        FakeSnapStore store = snapd.store();
        store.release("kubectl", "1.29/stable", 1342, "1.29.3").release("kubectl", "1.29/candidate", 1350, "1.29.4");
        store.release("kubelet", "1.29/stable", 2000, "1.29.3");
        store.override("kubelet", "1.29/stable", 1990); // older than what the channel had

        var info = snapd.cli().info(List.of("kubectl", "nosuch", "kubelet"));

        assertThat(info).containsOnlyKeys("kubectl", "kubelet");
        assertThat(info.get("kubectl").channels()).containsEntry("1.29/stable", 1342)
                .containsEntry("1.29/candidate", 1350).containsEntry("1.29/edge", 1350);
        assertThat(info.get("kubelet").revision("1.29/stable")).hasValue(1990);
        assertThat(store.requests()).anyMatch(r -> r.startsWith("GET /v2/snaps/info/nosuch?architecture=amd64&fields="));
    }

    @Test
    void infoOfOnlyUnknownSnapsIsEmpty(RealSnapd snapd) {
        assertThat(snapd.cli().info(List.of("nosuch"))).isEmpty();
        assertThat(snapd.cli().info(List.of("nosuch", "nosuch2"))).isEmpty();
    }

    @Test
    void ackOfGarbageIsATypedError(RealSnapd snapd) {
        assertThat(failure(() -> snapd.cli().ack("<html>oops</html>\n".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(new SnapError.AssertionsRejected("unexpected EOF"));
    }

    @Test
    void ackOfAnEmptyBodyIsAcceptedSoOurProxyClientRejectsItFirst(RealSnapd snapd) {
        snapd.cli().ack(new byte[0]); // snapd says nothing and exits 0

        snapd.store().fault(FakeSnapStore.Fault.EMPTY);
        ProxyException e = catchThrowableOfType(() -> new HttpStoreProxy().fetchAssertions(snapd.store().url()),
                ProxyException.class);
        assertThat(e.getMessage()).endsWith("empty response");
        assertThat(snapd.cli().knownStores()).isEmpty();
    }

    @Test
    void ackOfSelfSignedStoreAssertionsIsRefusedAtSignatureVerification(RealSnapd snapd) {
        byte[] stream = new HttpStoreProxy().fetchAssertions(snapd.store().url()).body();

        SnapError error = failure(() -> snapd.cli().ack(stream));

        assertThat(error).isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(error.describe()).contains("failed signature verification");
        assertThat(snapd.cli().knownStores()).isEmpty();
    }

    @Test
    void proxyStoreIsRefusedWithoutAStoreAssertion(RealSnapd snapd) {
        assertThat(failure(() -> snapd.cli().setSystem("proxy.store", "fake-store-id")))
                .isEqualTo(new SnapError.NoMatchingStoreAssertion("fake-store-id"));
        assertThat(snapd.cli().getSystem("proxy.store")).isEmpty();
    }

    @Test
    void proxyStoreIsAcceptedWithAMatchingStoreAssertionAndUnset(RealSnapd snapd) {
        SnapCli cli = snapd.cli();
        snapd.installStoreAssertion("fake-store-id");

        assertThat(cli.knownStores()).extracting(StoreAssertion::storeId).containsExactly("fake-store-id");
        cli.setSystem("proxy.store", "fake-store-id");
        assertThat(cli.getSystem("proxy.store")).hasValue("fake-store-id");

        cli.unsetSystem("proxy.store");
        assertThat(cli.getSystem("proxy.store")).isEmpty();
    }

    @Test
    void nothingInstalled(RealSnapd snapd) {
        assertThat(snapd.cli().list()).isEmpty();
        assertThat(snapd.cli().services()).isEmpty();
        assertThat(snapd.cli().knownStores()).isEmpty();
    }

    @Test
    void theFakeStoresAssertionsParseAsOurProxyClientExpects(RealSnapd snapd) {
        assertThat(new String(new HttpStoreProxy().fetchAssertions(snapd.store().url()).body(), StandardCharsets.UTF_8))
                .isEqualTo(FakeAssertions.streamFor("fake-store-id", snapd.store().url().toString()));
    }
}
