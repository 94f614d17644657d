package io.snapcoherence.snap;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parsers on the exact texts of snapd.md and of snapd 2.57.6 pointed at the fake store. */
class SnapOutputParsersTest {

    private static final String KUBECTL = """
            name:      kubectl
            summary:   kubectl
            publisher: Canonical**
            license:   Apache-2.0
            description: |
              kubectl
            snap-id: kubectlsnapid0000000000000000000
            channels:
              1.29/stable:    1.29.3 2026-11-01 (1342) 1kB classic
              1.29/candidate: 1.29.4 2026-11-01 (1350) 1kB classic
              1.29/beta:      ^                            \s
              1.29/edge:      ^                            \s
            """;

    @Test
    void infoOfOneSnapWithCaretChannels() {
        SnapInfo info = SnapInfoParser.parse(KUBECTL).snaps().get("kubectl");

        assertThat(info.channels()).isEqualTo(Map.of("1.29/stable", 1342, "1.29/candidate", 1350,
                "1.29/beta", 1350, "1.29/edge", 1350));
        assertThat(info.tracking()).isEmpty();
        assertThat(info.installedRevision()).isEmpty();
    }

    @Test
    void infoOfSeveralSnapsWithAnUnknownOneAmongThem() {
        // snapd 2.57.6: `snap info kubectl nosuch kubelet` exits 0; documents separated by ---, warning on stdout.
        String out = KUBECTL + "---\nwarning: no snap found for \"nosuch\"\n---\n" + KUBECTL.replace("kubectl", "kubelet")
                .replace("(1342)", "(2000)");

        SnapInfoParser.Result result = SnapInfoParser.parse(out);

        assertThat(result.snaps()).containsOnlyKeys("kubectl", "kubelet");
        assertThat(result.snaps().get("kubelet").revision("1.29/stable")).hasValue(2000);
        assertThat(result.notFound()).containsExactly("nosuch");
    }

    @Test
    void closedChannelsAreAbsentAndInstalledLinesAreRead() {
        String out = """
                name:      kubelet
                summary:   kubelet
                snap-id: kubeletsnapid
                tracking:     1.28/stable
                refresh-date: 3 days ago, at 10:00 UTC
                channels:
                  1.29/stable:    1.29.3 2026-11-01 (2000) 1kB classic
                  1.29/candidate: --
                  1.29/beta:      ^
                  1.28/stable:    1.28.9 2026-10-01 (1900) 1kB classic
                installed:        1.28.9             (1900) 1kB classic
                """;

        SnapInfo info = SnapInfoParser.parse(out).snaps().get("kubelet");

        assertThat(info.channels()).isEqualTo(Map.of("1.29/stable", 2000, "1.28/stable", 1900));
        assertThat(info.tracking()).hasValue("1.28/stable");
        assertThat(info.installedRevision()).hasValue(1900);
    }

    @Test
    void listParsesRowsAndTheEmptyMessage() {
        assertThat(SnapListParser.parse("")).isEmpty();
        assertThat(SnapListParser.parse("No snaps are installed yet. Try 'snap install hello-world'.\n")).isEmpty();
        List<InstalledSnap> rows = SnapListParser.parse("""
                Name     Version  Rev   Tracking     Publisher   Notes
                core20   20240111 2182  latest/stable canonical✓ base
                kubelet  1.29.3   2000  1.29/stable  canonical✓ classic,held
                """);
        assertThat(rows).containsExactly(
                new InstalledSnap("core20", "20240111", 2182, "latest/stable", Optional.empty()),
                new InstalledSnap("kubelet", "1.29.3", 2000, "1.29/stable", Optional.empty()));
    }

    @Test
    void servicesParsesRowsAndTheNoneMessage() {
        assertThat(SnapServicesParser.parse("There are no services provided by installed snaps.\n")).isEmpty();
        assertThat(SnapServicesParser.parse("""
                Service         Startup   Current   Notes
                kubelet.daemon  enabled   active    -
                kube-proxy.daemon disabled inactive -
                """)).containsExactly(new SnapService("kubelet", "kubelet.daemon", true, true),
                new SnapService("kube-proxy", "kube-proxy.daemon", false, false));
    }

    @Test
    void createCohortYaml() {
        assertThat(CohortParser.parse("cohorts:\n  kubectl:\n    cohort-key: MSBabc\n  kubelet:\n    cohort-key: MSBdef\n"))
                .isEqualTo(Map.of("kubectl", "MSBabc", "kubelet", "MSBdef"));
        assertThatThrownBy(() -> CohortParser.parse("hello")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void versionReadsTheSnapdLine() {
        SnapVersion version = SnapVersionParser.parse("""
                snap    2.57.6-1+deb12u1+b2
                snapd   2.57.6-1+deb12u1+b2
                series  16
                debian  12
                kernel  6.18.44-fc-v669
                """);
        assertThat(version.snapd()).isEqualTo("2.57.6-1+deb12u1+b2");
        assertThat(version.hasPerSnapHold()).isFalse();
        assertThat(SnapVersionParser.parse("snap 2.63\nsnapd 2.63+ubuntu22.04\n").hasPerSnapHold()).isTrue();
        assertThat(SnapVersionParser.parse("snap 2.57.6\nsnapd unavailable\n").hasPerSnapHold()).isFalse();
    }

    @Test
    void knownStoreReadsStoreHeadersOfWholeAssertions() {
        assertThat(KnownStoreParser.parse("")).isEmpty();
        String two = io.snapcoherence.snap.fakestore.FakeAssertions.store("one", "http://a") + "\n"
                + io.snapcoherence.snap.fakestore.FakeAssertions.store("two", "http://b");
        assertThat(KnownStoreParser.parse(two)).extracting(StoreAssertion::storeId, StoreAssertion::url)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("one", Optional.of("http://a")),
                        org.assertj.core.groups.Tuple.tuple("two", Optional.of("http://b")));
    }

    @Test
    void optionalIsUsedForAbsentValues() {
        assertThat(SnapInfoParser.parse("").snaps()).isEmpty();
        assertThat(SnapInfoParser.parse(KUBECTL).snaps().get("kubectl").revision("2.0/stable")).isEqualTo(Optional.empty());
    }
}
