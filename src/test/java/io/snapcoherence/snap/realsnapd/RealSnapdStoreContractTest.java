package io.snapcoherence.snap.realsnapd;

import io.snapcoherence.snap.contract.SnapdApiContract;
import io.snapcoherence.snap.contract.SnapdFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract on Debian 12's snapd 2.57 (rebuilt with test keys) with snapd's fakestore as its store, and the
 * same operations as operators see them with the snap CLI of that version (docs/real-snapd.md).
 */
class RealSnapdStoreContractTest extends SnapdApiContract {
    @RegisterExtension
    static final RealSnapdExtension.Fixture SNAPD = new RealSnapdExtension.Fixture(RealSnapdFixture.Kind.STORE);

    @Override
    protected SnapdFixture fixture() {
        return SNAPD.get();
    }

    record Run(int exit, String out, String err) {
    }

    private static Run snap(Path cli, String... args) {
        List<String> command = new ArrayList<>(List.of(cli.toString()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).start();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            String out = read(process.getInputStream());
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("snap " + String.join(" ", args) + " did not finish");
            }
            return new Run(process.exitValue(), out, err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String read(java.io.InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What the charm's view of the store stands on: {@code find?select=refresh} asks what refreshing every snap would
     * get, and snapd leaves out a revision the snap was reverted from (the sequence after the current revision,
     * snapmgr.go Block, dropped in store/store_action.go), so the reverted machine seems to be served what it went
     * back to. An explicit refresh to that revision still goes ahead, and afterwards nothing is left out.
     */
    @Test
    void refreshCandidatesLeaveOutTheRevisionASnapWasRevertedFrom() {
        RealSnapdFixture snapd = SNAPD.get();
        snapd.install("kubelet", "1.29/stable", 1);
        snapd.install("kubectl", "1.29/stable", 1);
        snapd.publish("kubelet", 2);
        done(http().post("/v2/snaps/kubelet", refreshTo(2)).change());
        done(http().post("/v2/snaps/kubelet", java.util.Map.of("action", "revert")).change());
        assertThat(http().get("/v2/snaps/kubelet").resultMap().get("revision")).isEqualTo("1");
        snapd.publish("kubectl", 2);

        // The store serves 2 of both; the reverted snap is not offered it, the other is.
        assertThat(http().get("/v2/find?select=refresh").resultList()).extracting(c -> c.get("name"))
                .containsExactly("kubectl");

        done(http().post("/v2/snaps/kubelet", refreshTo(2)).change());
        snapd.publish("kubelet", 3);
        assertThat(http().get("/v2/find?select=refresh").resultList()).extracting(c -> c.get("name") + " "
                + c.get("revision")).containsExactlyInAnyOrder("kubelet 3", "kubectl 2");
    }

    private static java.util.Map<String, Object> refreshTo(int revision) {
        return java.util.Map.of("action", "refresh", "channel", "1.29/stable", "revision", Integer.toString(revision));
    }

    private void done(String change) {
        assertThat(awaitChange(change, c -> Boolean.TRUE.equals(c.get("ready"))).get("status")).isEqualTo("Done");
    }

    @Test
    void theCliShowsTheSameChangesAsOperatorsSeeThem() {
        RealSnapdFixture snapd = SNAPD.get();
        Path cli = snapd.cli();
        snapd.install("kubelet", "1.29/stable", 1);
        snapd.install("kubectl", "1.29/stable", 1);
        snapd.publish("kubelet", 2);
        snapd.holdServiceStarts("kubelet");

        Run started = snap(cli, "refresh", "--no-wait", "--channel=1.29/stable", "--revision=2", "kubelet");
        assertThat(started.exit()).as(started.err()).isZero();
        assertThat(started.out()).matches("[0-9]+\n");
        String change = started.out().trim();
        awaitChange(change, c -> "Doing".equals(statusOf(c, "start-snap-services")));

        Run conflict = snap(cli, "refresh", "--channel=1.29/stable", "--revision=2", "kubelet");
        Run changes = snap(cli, "changes");
        Run tasks = snap(cli, "tasks", change);
        snapd.releaseServiceStarts("kubelet");
        awaitChange(change, c -> Boolean.TRUE.equals(c.get("ready")));
        Run noServices = snap(cli, "services", "kubectl");
        Run services = snap(cli, "services");

        System.out.println("snap changes:\n" + changes.out() + "\nsnap tasks " + change + ":\n" + tasks.out()
                + "\nsnap services:\n" + services.out());
        assertThat(conflict.exit()).isEqualTo(10);
        assertThat(conflict.err()).isEqualTo("error: snap \"kubelet\" has \"refresh-snap\" change in progress\n");
        assertThat(changes.out()).startsWith("ID   Status  Spawn")
                .containsPattern("(?m)^" + change + " +Doing +.*Refresh \"kubelet\" snap from \"1.29/stable\" channel$");
        assertThat(tasks.out()).startsWith("Status  Spawn")
                .containsPattern("(?m)^Done +.*Make snap \"kubelet\" \\(2\\) available to the system$")
                .containsPattern("(?m)^Doing +.*Start snap \"kubelet\" \\(2\\) services$");
        assertThat(noServices.exit()).isEqualTo(1);
        assertThat(noServices.err()).isEqualTo("error: snap \"kubectl\" has no services\n");
        assertThat(services.out()).isEqualTo("Service         Startup  Current  Notes\nkubelet.daemon  enabled  active   -\n");
    }

    /** The CLI's view of an unreachable store, during the contract's own test of it. */
    @Override
    protected Runnable alsoWhileTheStoreRefusesConnections() {
        return () -> {
            Path cli = SNAPD.get().cli();
            CompletableFuture<Run> list = CompletableFuture.supplyAsync(() -> snap(cli, "refresh", "--list"));
            Run refresh = snap(cli, "refresh", "--channel=1.29/stable", "--revision=2", "kubectl");

            // the CLI wraps snapd's message to the terminal width; no "unable to contact snap store" (that is for
            // a network-timeout kind) and no exit 10: only the text tells an outage from a failed refresh
            assertThat(refresh.exit()).isEqualTo(1);
            assertThat(oneLine(refresh.err())).startsWith("error: cannot refresh \"kubectl\": Post \"http://127.0.0.1:")
                    .endsWith("/v2/snaps/refresh\": dial tcp 127.0.0.1:" + portOf(refresh.err())
                            + ": connect: connection refused");
            Run listed = list.join();
            assertThat(listed.exit()).isEqualTo(1);
            assertThat(oneLine(listed.err())).startsWith("error: cannot list updates: Post \"http://127.0.0.1:")
                    .endsWith("connect: connection refused");
        };
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s+", " ");
    }

    private static String portOf(String message) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("127\\.0\\.0\\.1:([0-9]+)/").matcher(message);
        return m.find() ? m.group(1) : "?";
    }

    @SuppressWarnings("unchecked")
    private static String statusOf(java.util.Map<String, Object> change, String kind) {
        for (Object task : (List<Object>) change.getOrDefault("tasks", List.of())) {
            java.util.Map<String, Object> t = (java.util.Map<String, Object>) task;
            if (kind.equals(t.get("kind"))) {
                return (String) t.get("status");
            }
        }
        return "";
    }
}
