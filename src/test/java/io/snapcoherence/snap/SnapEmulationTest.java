package io.snapcoherence.snap;

import io.snapcoherence.snap.fakestore.FakeAssertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The emulated snap CLI that process-level tests put on PATH (tests/snap-emulation/snap), driven through the real
 * {@link SnapCli}: its output must satisfy the same parsers and error classification as snapd's.
 */
class SnapEmulationTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;
    private Path state;
    private SnapCli cli;

    @BeforeEach
    void emulation() throws IOException {
        // Without SNAP_EMULATION_DIR the script keeps its state next to itself: a private copy per test.
        Path script = dir.resolve("snap");
        Files.copy(Path.of("tests/snap-emulation/snap"), script, StandardCopyOption.COPY_ATTRIBUTES);
        state = dir.resolve("state");
        cli = new SnapCli(script, CLOCK);
        write("store/kubelet", "1.29/stable 1342 1.29.3\n1.30/stable 1400 1.30.1\n");
        write("store/kubectl", "1.29/stable 900 1.29.3\n");
        write("installed/kubelet", "1342 1.29/stable 1.29.3\n");
    }

    private void write(String name, String content) throws IOException {
        Path file = state.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private List<String> calls() throws IOException {
        return Files.readAllLines(state.resolve("calls"));
    }

    @Test
    void listAndInfoParseAsSnapdsDo() {
        assertThat(cli.list()).extracting(InstalledSnap::name, InstalledSnap::revision, InstalledSnap::tracking)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("kubelet", 1342, "1.29/stable"));

        Map<String, SnapInfo> info = cli.info(List.of("kubelet", "kubectl", "nosuch"));

        assertThat(info).containsOnlyKeys("kubelet", "kubectl");
        assertThat(info.get("kubelet").channels())
                .containsEntry("1.29/stable", 1342).containsEntry("1.30/stable", 1400);
        assertThat(info.get("kubelet").tracking()).hasValue("1.29/stable");
        assertThat(info.get("kubectl").tracking()).isEmpty();
        assertThat(cli.info(List.of("nosuch"))).isEmpty();
    }

    @Test
    void holdIsPerSnap() throws IOException {
        cli.hold(List.of("kubelet"));
        assertThat(state.resolve("held/kubelet")).exists();
        assertThat(calls()).contains("snap refresh --hold kubelet");
    }

    @Test
    void aStoreCanBeRegisteredOnlyAfterItsAssertionIsAcked() {
        assertThat(cli.getSystem("proxy.store")).isEmpty();
        SnapException refused = catchThrowableOfType(() -> cli.setSystem("proxy.store", "abc"), SnapException.class);
        assertThat(refused.error()).isInstanceOf(SnapError.NoMatchingStoreAssertion.class);

        cli.ack(FakeAssertions.streamFor("abc", "http://proxy:8000").getBytes(StandardCharsets.UTF_8));
        cli.setSystem("proxy.store", "abc");

        assertThat(cli.knownStores()).extracting(StoreAssertion::storeId).containsExactly("abc");
        assertThat(cli.getSystem("proxy.store")).hasValue("abc");
        cli.setSystem("proxy.store", "");
        assertThat(cli.getSystem("proxy.store")).isEqualTo(Optional.empty());
    }

    @Test
    void garbageAssertionsAreRefusedAsSnapdRefusesThem() {
        SnapException e = catchThrowableOfType(() -> cli.ack("<html>oops</html>\n".getBytes(StandardCharsets.UTF_8)),
                SnapException.class);
        assertThat(e.error()).isInstanceOf(SnapError.AssertionsRejected.class);
    }

    @Test
    void servicesAndVersionParse() {
        assertThat(cli.services()).isEmpty();
        assertThat(cli.systemInfo().perSnapHolds()).isTrue();
    }
}
