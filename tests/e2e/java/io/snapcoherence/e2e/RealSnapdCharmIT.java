package io.snapcoherence.e2e;

import io.snapcoherence.Json;
import io.snapcoherence.juju.FakeJuju;
import io.snapcoherence.snap.contract.SnapdHttp;
import io.snapcoherence.snap.realsnapd.RealSnapdExtension;
import io.snapcoherence.snap.realsnapd.RealSnapdFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packed charm on a real snapd: the built .charm unpacked as Juju unpacks it, each hook run through its
 * {@code dispatch} with Juju's environment (nothing inherited: no JAVA_HOME, no HOME; PATH = the emulated hook tools
 * of tests/fake-juju-tools, then /usr/bin:/bin), against Debian 12's snapd 2.57 with snapd's fakestore as its store
 * (io.snapcoherence.snap.realsnapd), reached as production reaches it: the socket under {@code SNAPPY_GLOBAL_ROOT},
 * which Main reads once. One unit, the leader, on the control plane; what a hook writes to its unit store and
 * databags is kept for the next hook, as Juju does after a hook that succeeds.
 *
 * <p>Needs {@code mvn package} (the .charm) and what the real-snapd tests need (docs/real-snapd.md); without the
 * latter it is skipped with the reason, and fails under {@code CI=true}.
 */
class RealSnapdCharmIT {
    @RegisterExtension
    static final RealSnapdExtension.Fixture SNAPD = new RealSnapdExtension.Fixture(RealSnapdFixture.Kind.STORE);

    private static final Path CHARM = Path.of("target/snap-coherence.charm");
    private static final String UNIT = "snap-coherence/0";
    private static final String PEERS = "coherence:2";
    private static final String CONTROL_PLANE = "control-plane:1";
    private static final String CH = "1.29/stable";

    @TempDir
    static Path temp;
    private static Path charmDir;
    private FakeJuju juju;
    private Path logDir;
    /** Every tool call of every hook run, in order, for the assertions and for a failure's story. */
    private final List<FakeJuju.Call> calls = new ArrayList<>();
    private int lastChangeBefore;
    private int logBefore;

    @BeforeAll
    static void unpack() throws IOException {
        assertThat(CHARM).as("run after mvn package").exists();
        charmDir = temp.resolve("charm");
        JujuUnpack.unpack(CHARM, charmDir);
    }

    @BeforeEach
    void oneControlPlaneUnitLeading(TestInfo test) throws IOException {
        SNAPD.get().reset();
        lastChangeBefore = SNAPD.get().http().get("/v2/changes?select=all").resultList().stream()
                .mapToInt(c -> Integer.parseInt((String) c.get("id"))).max().orElse(0);
        logBefore = SNAPD.get().process().log().length();
        Path root = Files.createDirectories(temp.resolve(test.getTestMethod().orElseThrow().getName()));
        logDir = root;
        juju = FakeJuju.create(root.resolve("juju"), UNIT)
                .leader(true)
                .config(Map.of("snaps", "kubelet kubectl", "max-unavailable", 1, "auto-refresh", true, "hold", true,
                        "on-failure", "halt", "proxy-url", ""))
                .relation(CONTROL_PLANE, "kubernetes-control-plane")
                .unitData(CONTROL_PLANE, UNIT, Map.of())
                .unitData(CONTROL_PLANE, "kubernetes-control-plane/0", Map.of())
                .relation(PEERS, "snap-coherence")
                .unitData(PEERS, UNIT, Map.of());
    }

    /**
     * The refresh's services are held from starting, so snapd is still at the change when the refreshing hook has
     * waited its 40 s: the unit follows the change by id in its next hook, and reports done once snapd says Done
     * and the services run.
     */
    @Test
    void aNewRevisionIsRefreshedFollowedToDoneVerifiedAndReported() throws Exception {
        RealSnapdFixture snapd = SNAPD.get();
        try (KubeletHealthz kubelet = new KubeletHealthz()) {
            refreshedFollowedVerifiedAndReported(snapd, kubelet);
        }
    }

    private void refreshedFollowedVerifiedAndReported(RealSnapdFixture snapd, KubeletHealthz kubelet) throws Exception {
        snapd.install("kubelet", CH, 1);
        snapd.install("kubectl", CH, 1);
        snapd.publish("kubelet", 2);
        snapd.holdServiceStarts("kubelet");

        runNewUnitUntil(() -> juju.unitStore().containsKey("refresh-run"));

        Map<String, Object> change = onlyNewRefreshChange();
        assertThat(change).containsEntry("status", "Doing").containsEntry("ready", false);
        assertThat(revision("kubelet")).as("linked while the change runs").isEqualTo("2");
        assertThat(juju.unitStore().get("refresh-run")).contains("\"kubelet\":\"" + change.get("id") + "\"");
        assertThat(juju.unitData(PEERS, UNIT)).doesNotContainKey("progress");
        assertThat(installedReport()).as("reported at its old revision until snapd is done")
                .containsEntry("kubelet", Map.of("channel", CH, "revision", 1));
        assertThat(lastUnitStatus())
                .startsWith("maintenance -- refreshing kubelet 2 (plan 1, attempt 1): snapd still at it since ");

        snapd.releaseServiceStarts("kubelet");
        // A hook after the refreshing one reads the change once, without waiting for it (docs/protocol.md, "A refresh
        // is a snapd change"): the next hook that finds it Done verifies and reports.
        awaitRefreshChange("Done", Duration.ofSeconds(60));
        hook("update-status");

        assertThat(onlyNewRefreshChange()).containsEntry("status", "Done");
        assertThat(revision("kubelet")).isEqualTo("2");
        assertThat(revision("kubectl")).isEqualTo("1");
        assertThat(snapdLogOfThisTest()).as("the services were checked").contains("GET /v2/apps?select=service");
        assertThat(kubelet.requests).as("then the node's kubelet, once healthy").containsExactly(
                "GET /healthz?verbose");
        Map<String, Object> progress = Json.objectMap(juju.unitData(PEERS, UNIT).get("progress"));
        assertThat(progress).containsEntry("phase", "done").containsEntry("plan", 1);
        assertThat(installedReport()).containsEntry("kubelet", Map.of("channel", CH, "revision", 2));
        assertThat(juju.unitStore()).doesNotContainKey("refresh-run");
        // held from snapd's own refreshes meanwhile: snapd 2.57 has only the system-wide refresh.hold, which lapses;
        // the date shown is snapd's effective hold, as /v2/system-info gives it (to the minute)
        assertThat(snapd.http().get("/v2/snaps/system/conf?keys=refresh.hold").resultMap()).containsKey("refresh.hold");
        @SuppressWarnings("unchecked")
        Map<String, Object> refresh = (Map<String, Object>) snapd.http().get("/v2/system-info").resultMap()
                .get("refresh");
        String hold = java.time.OffsetDateTime.parse((String) refresh.get("hold")).toInstant().toString();
        assertThat(lastUnitStatus()).isEqualTo("active -- on plan 1 (attempt 1, verified); refresh hold lapses " + hold
                + ": snapd before 2.58 holds no longer than 95 days after its last refresh");
    }

    @Test
    void aRevisionWhoseServicesFailIsUndoneBySnapdAndReportedInItsWords() throws Exception {
        RealSnapdFixture snapd = SNAPD.get();
        snapd.install("kubelet", CH, 1);
        snapd.install("kubectl", CH, 1);
        snapd.publishBroken("kubelet", 2);

        runNewUnitUntil(() -> juju.unitData(PEERS, UNIT).containsKey("progress"));

        assertThat(revision("kubelet")).as("snapd undid the refresh").isEqualTo("1");
        Map<String, Object> change = onlyNewRefreshChange();
        assertThat(change).containsEntry("status", "Error");
        String snapdSaid = ((String) change.get("err")).strip().replaceAll("\\s*\\n\\s*", " ");
        assertThat(snapdSaid).startsWith("cannot perform the following tasks: - Start snap \"kubelet\" (2) services "
                + "(systemctl command [start snap.kubelet.daemon.service] failed with exit status 1: ");
        Map<String, Object> progress = Json.objectMap(juju.unitData(PEERS, UNIT).get("progress"));
        assertThat(progress).containsEntry("phase", "failed").containsEntry("plan", 1);
        assertThat(progress.get("failure")).isEqualTo(Map.of("snap", "kubelet", "revision", 2, "error", snapdSaid));
        assertThat(installedReport()).containsEntry("kubelet", Map.of("channel", CH, "revision", 1));
        assertThat(lastUnitStatus()).isEqualTo("blocked -- kubelet 2 failed (plan 1, attempt 1): " + snapdSaid);

        hook("update-status");
        assertThat(lastUnitStatus()).as("a failure stays until resume")
                .isEqualTo("blocked -- kubelet 2 failed (plan 1, attempt 1): " + snapdSaid);
        assertThat(juju.appData(PEERS, "snap-coherence")).containsKey("halt");
    }

    /**
     * The hooks of a new unit (install, leader-elected, config-changed, start), then update-status as Juju runs it
     * every few minutes, until {@code done} holds after a hook (at most six update-status hooks). The leader writes
     * a plan and grants itself in one hook and refreshes in a later one (docs/protocol.md, "The leader's own
     * refresh").
     */
    private void runNewUnitUntil(java.util.function.BooleanSupplier done) throws Exception {
        List<String> hooks = new ArrayList<>(List.of("install", "leader-elected", "config-changed", "start"));
        hooks.addAll(java.util.Collections.nCopies(6, "update-status"));
        for (String name : hooks) {
            hook(name);
            if (done.getAsBoolean()) {
                return;
            }
        }
        throw new AssertionError("not reached after " + hooks + "; unit statuses: " + statuses());
    }

    /** Runs one hook through dispatch; it must exit 0. Its writes are kept for the next hook. */
    private void hook(String name) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("JUJU_DISPATCH_PATH", "hooks/" + name);
        env.put("JUJU_HOOK_NAME", name);
        env.put("JUJU_UNIT_NAME", UNIT);
        env.put("JUJU_MODEL_NAME", "k8s");
        env.put("JUJU_MODEL_UUID", "0b4a5d9c-7a4e-4b5e-8f6a-3a1f2e9d7c10");
        env.put("JUJU_VERSION", "3.6.1");
        env.put("JUJU_CHARM_DIR", charmDir.toString());
        env.put("JUJU_PRINCIPAL_UNIT", "kubernetes-control-plane/0");
        Map<String, String> full = juju.environment(env);
        full.put("SNAPPY_GLOBAL_ROOT", SNAPD.get().process().root().toString());

        Path output = logDir.resolve("hook-" + calls.size() + "-" + name + ".log");
        ProcessBuilder builder = new ProcessBuilder(charmDir.resolve("dispatch").toString())
                .directory(charmDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().clear();
        builder.environment().putAll(full);
        long started = System.nanoTime();
        Process process = builder.start();
        // a bound on the wait only guards against a hung hook: a hook waits for snapd at most 40 s
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not finish");
        }
        System.out.printf("hook %s: %d ms%n", name, (System.nanoTime() - started) / 1_000_000);
        assertThat(process.exitValue()).as("%s exit code; output:%n%s", name, Files.readString(output)).isZero();
        List<FakeJuju.Call> hookCalls = juju.calls();
        assertThat(hookCalls).as(name).allSatisfy(call -> assertThat(call.exit()).as("%s", call).isZero());
        calls.addAll(hookCalls);
        juju.keepWrites();
    }

    private String revision(String snap) {
        return (String) SNAPD.get().http().get("/v2/snaps/" + snap).resultMap().get("revision");
    }

    /** The one refresh-snap change of this test (snapd keeps earlier tests' changes; ids count up). */
    private Map<String, Object> onlyNewRefreshChange() {
        SnapdHttp.Response changes = SNAPD.get().http().get("/v2/changes?select=all&for=kubelet");
        List<Map<String, Object>> refreshes = changes.resultList().stream()
                .filter(c -> "refresh-snap".equals(c.get("kind")))
                .filter(c -> Integer.parseInt((String) c.get("id")) > lastChangeBefore).toList();
        assertThat(refreshes).as(changes.raw()).hasSize(1);
        return refreshes.get(0);
    }

    /** Polls snapd until this test's refresh change has {@code status}, failing after {@code limit}. */
    private void awaitRefreshChange(String status, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!status.equals(onlyNewRefreshChange().get("status"))) {
            assertThat(System.nanoTime() - deadline).as("change %s within %s", status, limit).isNegative();
            Thread.sleep(100);
        }
    }

    /** What snapd logged since this test began (with SNAPD_DEBUG it logs each request but a change's polling). */
    private String snapdLogOfThisTest() {
        return SNAPD.get().process().log().substring(logBefore);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> installedReport() {
        return (Map<String, Object>) (Map<?, ?>) Json.objectMap(juju.unitData(PEERS, UNIT).get("installed"));
    }

    /** The unit statuses set, as "kind -- message". */
    private List<String> statuses() {
        return calls.stream().filter(call -> call.tool().equals("status-set"))
                .filter(call -> call.args().get(0).equals("--application=False"))
                .map(call -> call.args().get(1) + " -- " + call.args().get(3)).toList();
    }

    private String lastUnitStatus() {
        List<String> statuses = statuses();
        return statuses.get(statuses.size() - 1);
    }
}
