package io.snapcoherence.snap.contract;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What snapd answers to every request the charm makes on its socket: the one set of expected outputs. Subclasses
 * provide the snapd ({@link #fixture()}): a real snapd (2.57 with a store, 2.68 with local snaps and holds) and the
 * project's fake snapd. Each expectation was first observed on a real snapd (docs/real-snapd.md lists them with
 * the version); a test that only applies to a store-backed snapd or to per-snap holds is skipped elsewhere.
 *
 * <p>Test snaps ({@link SnapdFixture}): {@code kubectl} (no services) and {@code kubelet} (service
 * {@code snap.kubelet.daemon}); revision n has version 1.29.n.
 */
public abstract class SnapdApiContract {
    private static final Duration CHANGE_LIMIT = Duration.ofSeconds(60);

    protected abstract SnapdFixture fixture();

    protected SnapdHttp http() {
        return new SnapdHttp(fixture().socket());
    }

    @BeforeEach
    void startFromAKnownState() {
        fixture().reset();
    }

    // ---- the machine ---------------------------------------------------------------------------------------

    @Test
    void systemInfoNamesVersionAndArchitectureAndNoHoldOrLastRefreshUntilThereIsOne() {
        SnapdHttp.Response answer = http().get("/v2/system-info");

        assertSync(answer);
        Map<String, Object> info = answer.resultMap();
        assertThat(info.get("version")).isEqualTo(fixture().version());
        assertThat(info.get("architecture")).isEqualTo(dpkgArchitecture());
        assertThat(map(info.get("refresh"))).containsKey("timer").doesNotContainKeys("hold", "last");
    }

    @Test
    void listGivesTheFullTrackingChannelAndRevisionsAsStrings() {
        SnapdFixture snapd = fixture();
        snapd.install("kubelet", "1.29/stable/hotfix", 1);
        snapd.install("kubectl", "1.29/stable", 2);

        SnapdHttp.Response answer = http().get("/v2/snaps");

        assertSync(answer);
        Map<String, Object> kubelet = byName(answer.resultList(), "kubelet");
        Map<String, Object> kubectl = byName(answer.resultList(), "kubectl");
        assertThat(kubelet.get("version")).isEqualTo("1.29.1");
        assertThat(kubectl.get("version")).isEqualTo("1.29.2");
        if (snapd.storeBacked()) {
            assertThat(kubelet).containsEntry("revision", "1").containsEntry("tracking-channel", "1.29/stable/hotfix");
            assertThat(kubectl).containsEntry("revision", "2").containsEntry("tracking-channel", "1.29/stable");
        } else {
            // a local snap: revision x<n>, no tracking channel at all (not an empty one)
            assertThat(kubelet).containsEntry("revision", "x1").doesNotContainKey("tracking-channel");
        }
        assertThat(kubelet).doesNotContainKey("hold");
        // the base and the snapd snap are listed like any snap
        assertThat(answer.resultList()).extracting(s -> s.get("name")).contains("bare", "snapd");
    }

    @Test
    void servicesOfAllSnapsListOnlySnapsWithServicesAndAskingForOneWithoutFails() {
        fixture().install("kubelet", "1.29/stable", 1);
        fixture().install("kubectl", "1.29/stable", 1);

        SnapdHttp.Response all = http().get("/v2/apps?select=service");
        assertSync(all);
        assertThat(all.resultList()).hasSize(1);
        assertThat(all.resultList().get(0)).containsEntry("snap", "kubelet").containsEntry("name", "daemon")
                .containsEntry("daemon", "simple").containsEntry("enabled", true).containsEntry("active", true);

        SnapdHttp.Response kubectl = http().get("/v2/apps?select=service&names=kubectl");
        assertError(kubectl, 404, "app-not-found", "snap \"kubectl\" has no services");
        assertError(http().get("/v2/apps?select=service&names=kubelet,kubectl"), 404, "app-not-found",
                "snap \"kubectl\" has no services");
        assertError(http().get("/v2/apps?select=service&names=nosuch"), 404, "snap-not-found", "snap \"nosuch\" not found");
    }

    // ---- changes -------------------------------------------------------------------------------------------

    @Test
    void aRefreshIsAChangeWhoseNewRevisionIsListedBeforeItsServicesStart() {
        SnapdFixture snapd = fixture();
        snapd.install("kubelet", "1.29/stable", 1);
        snapd.holdServiceStarts("kubelet");

        String change = startSecondRevision("kubelet");

        Map<String, Object> running = awaitChange(change, c -> taskStatus(c, "start-snap-services").equals("Doing"));
        assertThat(running).containsEntry("status", "Doing").containsEntry("ready", false).doesNotContainKey("err");
        assertThat(taskStatus(running, "link-snap")).isEqualTo("Done");
        Map<String, Object> listed = http().get("/v2/snaps/kubelet").resultMap();
        assertThat(listed.get("revision")).isEqualTo(snapd.storeBacked() ? "2" : "x2");
        assertThat(listed.get("version")).isEqualTo("1.29.2");
        // the service was stopped before link-snap and is not started yet: "active" is left out rather than false
        assertThat(map(((List<?>) listed.get("apps")).get(0))).doesNotContainKey("active");

        snapd.releaseServiceStarts("kubelet");
        Map<String, Object> done = awaitChange(change, c -> Boolean.TRUE.equals(c.get("ready")));

        assertThat(done).containsEntry("status", "Done").containsEntry("ready", true).doesNotContainKey("err");
        List<String> kinds = taskKinds(done);
        assertThat(kinds.indexOf("link-snap")).isLessThan(kinds.indexOf("start-snap-services"));
        assertThat(tasks(done)).allSatisfy(task -> assertThat(task.get("status")).isEqualTo("Done"));
        Map<String, Object> service = http().get("/v2/apps?select=service").resultList().get(0);
        assertThat(service).containsEntry("active", true);
    }

    @Test
    void aRefreshWhoseServicesFailIsUndoneToThePreviousRevisionAndEndsInError() {
        SnapdFixture snapd = fixture();
        snapd.install("kubelet", "1.29/stable", 1);
        snapd.holdServiceStarts("kubelet"); // the broken revision fails at once; the undo then waits here

        String change = startBrokenSecondRevision("kubelet");

        Map<String, Object> undoing = awaitChange(change, c -> c.get("status").equals("Undoing"));
        assertThat(undoing).containsEntry("ready", false);
        assertThat(taskStatus(undoing, "start-snap-services")).isEqualTo("Error");
        snapd.releaseServiceStarts("kubelet");
        Map<String, Object> failed = awaitChange(change, c -> Boolean.TRUE.equals(c.get("ready")));

        assertThat(failed).containsEntry("status", "Error").containsEntry("ready", true);
        String started = snapd.storeBacked() ? "(2)" : "(unset)";
        assertThat((String) failed.get("err")).startsWith("cannot perform the following tasks:\n- Start snap \"kubelet\" "
                + started + " services (systemctl command [start snap.kubelet.daemon.service] failed with exit status 1: ")
                .contains("Job for snap.kubelet.daemon.service failed because the control process exited with error code.");
        Map<String, Object> failedTask = task(failed, "start-snap-services");
        assertThat(failedTask.get("status")).isEqualTo("Error");
        assertThat((List<?>) failedTask.get("log")).singleElement().asString()
                .contains(" ERROR systemctl command [start snap.kubelet.daemon.service] failed with exit status 1: ");
        assertThat(taskStatus(failed, "link-snap")).isEqualTo("Undone");
        assertThat(taskStatus(failed, "mount-snap")).isEqualTo("Undone");
        // what would have run after the failure never did
        assertThat(taskStatus(failed, "cleanup")).isEqualTo("Hold");

        Map<String, Object> listed = http().get("/v2/snaps/kubelet").resultMap();
        assertThat(listed.get("revision")).isEqualTo(snapd.storeBacked() ? "1" : "x1");
        assertThat(http().get("/v2/apps?select=service").resultList().get(0)).containsEntry("active", true);
    }

    @Test
    void aSecondChangeOfTheSameSnapWhileTheFirstRunsIsAConflict() {
        SnapdFixture snapd = fixture();
        snapd.install("kubelet", "1.29/stable", 1);
        snapd.holdServiceStarts("kubelet");
        String first = startSecondRevision("kubelet");
        awaitChange(first, c -> taskStatus(c, "start-snap-services").equals("Doing"));
        String kind = snapd.storeBacked() ? "refresh-snap" : "install-snap";

        SnapdHttp.Response revert = http().post("/v2/snaps/kubelet", Map.of("action", "revert"));

        assertError(revert, 409, "snap-change-conflict", "snap \"kubelet\" has \"" + kind + "\" change in progress");
        assertThat(map(revert.resultMap().get("value"))).containsEntry("change-kind", kind).containsEntry("snap-name", "kubelet");
        if (snapd.storeBacked()) {
            SnapdHttp.Response again = http().post("/v2/snaps/kubelet", refresh("1.29/stable", 2));
            assertError(again, 409, "snap-change-conflict", "snap \"kubelet\" has \"refresh-snap\" change in progress");
        }
        snapd.releaseServiceStarts("kubelet");
        assertThat(awaitChange(first, c -> Boolean.TRUE.equals(c.get("ready")))).containsEntry("status", "Done");
    }

    @Test
    void refreshToTheInstalledRevisionRestartsItsServicesAndWithoutARevisionThereIsNoUpdate() {
        assumeTrue(fixture().storeBacked(), "a store to refresh from");
        fixture().install("kubelet", "1.29/stable", 1);

        SnapdHttp.Response same = http().post("/v2/snaps/kubelet", refresh("1.29/stable", 1));

        assertThat(same.status()).isEqualTo(202);
        Map<String, Object> done = awaitChange(same.change(), c -> Boolean.TRUE.equals(c.get("ready")));
        assertThat(done).containsEntry("status", "Done");
        // not a no-op: snapd relinks the revision it has, so the services stop and start again
        assertThat(taskKinds(done)).contains("prepare-snap", "stop-snap-services", "link-snap", "start-snap-services")
                .doesNotContain("download-snap");

        SnapdHttp.Response noRevision = http().post("/v2/snaps/kubelet", Map.of("action", "refresh", "channel", "1.29/stable"));
        assertError(noRevision, 400, "snap-no-update-available", "snap has no updates available");
    }

    @Test
    void refreshOfALocalSnapOrOfASnapNotInstalledIsRefused() {
        if (fixture().storeBacked()) {
            assertError(http().post("/v2/snaps/nosuch", refresh("1.29/stable", 2)), 400, "snap-not-installed",
                    "snap \"nosuch\" is not installed");
        } else {
            fixture().install("kubelet", "", 1);
            assertError(http().post("/v2/snaps/kubelet", refresh("1.29/stable", 2)), 400, "snap-local",
                    "cannot perform operation on local snap");
        }
    }

    @Test
    void revertGoesToThePreviousRevisionAndWithNoneLeftItIsAnErrorWithoutKind() {
        SnapdFixture snapd = fixture();
        snapd.install("kubelet", "1.29/stable", 1);
        awaitDone(startSecondRevision("kubelet"));

        SnapdHttp.Response revert = http().post("/v2/snaps/kubelet", Map.of("action", "revert"));

        assertThat(revert.status()).isEqualTo(202);
        assertThat(revert.type()).isEqualTo("async");
        Map<String, Object> done = awaitDone(revert.change());
        assertThat(done.get("kind")).isEqualTo("revert-snap");
        Map<String, Object> listed = http().get("/v2/snaps/kubelet").resultMap();
        assertThat(listed.get("revision")).isEqualTo(snapd.storeBacked() ? "1" : "x1");
        if (snapd.storeBacked()) {
            assertThat(listed.get("tracking-channel")).isEqualTo("1.29/stable");
        }
        SnapdHttp.Response nothing = http().post("/v2/snaps/kubelet", Map.of("action", "revert"));
        assertError(nothing, 400, null, "cannot revert \"kubelet\": no revision to revert to");
        // a snap that is not installed gets the same answer, not snap-not-installed
        assertError(http().post("/v2/snaps/nosuch", Map.of("action", "revert")), 400, null,
                "cannot revert \"nosuch\": no revision to revert to");
    }

    // ---- the store ---------------------------------------------------------------------------------------

    @Test
    void findRefreshListsWhatARefreshWouldGetEvenForHeldSnaps() {
        SnapdFixture snapd = fixture();
        assumeTrue(snapd.storeBacked(), "a store to ask");
        snapd.install("kubelet", "1.29/stable", 1);
        snapd.install("kubectl", "1.29/stable", 1);

        SnapdHttp.Response none = http().get("/v2/find?select=refresh");
        assertSync(none);
        assertThat(none.resultList()).isEmpty();

        snapd.publish("kubelet", 2);
        SnapdHttp.Response one = http().get("/v2/find?select=refresh");
        assertThat(one.resultList()).singleElement().satisfies(candidate -> assertThat(candidate)
                .containsEntry("name", "kubelet").containsEntry("revision", "2").containsEntry("version", "1.29.2")
                .containsEntry("status", "available"));

        setSystem("refresh.hold", Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(http().get("/v2/find?select=refresh").resultList()).extracting(c -> c.get("name")).containsExactly("kubelet");
    }

    @Test
    void aStoreThatRefusesConnectionsIsAnErrorWithoutKindAfterSnapdsOwnRetries() {
        SnapdFixture snapd = fixture();
        assumeTrue(snapd.storeBacked(), "a store to lose");
        snapd.install("kubectl", "1.29/stable", 1);
        snapd.publish("kubectl", 2);
        snapd.stopStore();
        SnapdHttp patient = http().withLimit(Duration.ofSeconds(90));

        // all at once: each takes snapd's retries (about 30 s) before it answers
        Instant start = Instant.now();
        java.util.concurrent.CompletableFuture<SnapdHttp.Response> refreshing = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> patient.post("/v2/snaps/kubectl", refresh("1.29/stable", 2)));
        java.util.concurrent.CompletableFuture<Void> more = java.util.concurrent.CompletableFuture
                .runAsync(alsoWhileTheStoreRefusesConnections());
        SnapdHttp.Response find = patient.get("/v2/find?select=refresh");
        Duration findTook = Duration.between(start, Instant.now());
        SnapdHttp.Response refresh = refreshing.join();
        more.join();

        assertError(find, 500, null, "cannot list updates: Post \"");
        assertThat(find.message()).contains("/v2/snaps/refresh\": dial tcp 127.0.0.1:").endsWith("connect: connection refused");
        assertError(refresh, 400, null, "cannot refresh \"kubectl\": Post \"");
        assertThat(refresh.message()).endsWith("connect: connection refused");
        // snapd retries for about half a minute before it answers (store/store.go retry strategy)
        assertThat(findTook).isGreaterThan(Duration.ofSeconds(20));
    }

    /**
     * More checks to run while the store refuses connections, at the same time as the contract's own (each waits
     * about 30 s for snapd's retries): kubectl is installed at revision 1 and revision 2 is published.
     */
    protected Runnable alsoWhileTheStoreRefusesConnections() {
        return () -> { };
    }

    // ---- configuration, assertions, holds ------------------------------------------------------------------

    @Test
    void refreshHoldSetToADateSetEmptyAndUnset() {
        Instant until = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);

        setSystem("refresh.hold", until.toString());
        assertThat(getSystem("refresh.hold").resultMap()).containsEntry("refresh.hold", until.toString());
        // system-info gives the effective hold, to the minute
        assertThat(map(http().get("/v2/system-info").resultMap().get("refresh")))
                .containsEntry("hold", until.truncatedTo(ChronoUnit.MINUTES).toString());

        setSystem("refresh.hold", "");
        assertThat(getSystem("refresh.hold").resultMap()).containsEntry("refresh.hold", "");
        assertThat(map(http().get("/v2/system-info").resultMap().get("refresh"))).doesNotContainKey("hold");

        setSystem("refresh.hold", null);
        assertError(getSystem("refresh.hold"), 400, "option-not-found", "snap \"core\" has no \"refresh.hold\" configuration option");
        assertThat(map(http().get("/v2/system-info").resultMap().get("refresh"))).doesNotContainKey("hold");
    }

    @Test
    void refreshHoldForeverIsAcceptedFrom258AndFailsItsChangeBefore() {
        SnapdHttp.Response answer = http().put("/v2/snaps/system/conf", Map.of("refresh.hold", "forever"));

        // configuration is a change: the answer is async whether or not the value is acceptable
        assertThat(answer.status()).isEqualTo(202);
        Map<String, Object> change = awaitChange(answer.change(), c -> Boolean.TRUE.equals(c.get("ready")));
        assertThat(change.get("kind")).isEqualTo("configure-snap");
        if (fixture().perSnapHolds()) {
            assertThat(change).containsEntry("status", "Done");
            assertThat(getSystem("refresh.hold").resultMap()).containsEntry("refresh.hold", "forever");
            // system-info shows it as a date about 292 years ahead (the largest time.Duration), like a per-snap hold
            String hold = (String) map(http().get("/v2/system-info").resultMap().get("refresh")).get("hold");
            assertThat(Instant.parse(hold)).isAfter(Instant.now().plus(Duration.ofDays(365 * 200)));
        } else {
            assertThat(change).containsEntry("status", "Error");
            assertThat((String) change.get("err")).isEqualTo("cannot perform the following tasks:\n"
                    + "- Run configure hook of \"core\" snap (run hook \"configure\": refresh.hold cannot be parsed: "
                    + "parsing time \"forever\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"forever\" as \"2006\")");
            assertError(getSystem("refresh.hold"), 400, "option-not-found", "");
        }
    }

    @Test
    void proxyStoreWithoutAMatchingStoreAssertionFailsItsChange() {
        SnapdHttp.Response answer = http().put("/v2/snaps/system/conf", Map.of("proxy.store", "abc"));

        assertThat(answer.status()).isEqualTo(202);
        Map<String, Object> change = awaitChange(answer.change(), c -> Boolean.TRUE.equals(c.get("ready")));
        assertThat(change).containsEntry("status", "Error");
        assertThat((String) change.get("err")).isEqualTo("cannot perform the following tasks:\n"
                + "- Run configure hook of \"core\" snap (run hook \"configure\": cannot set proxy.store to \"abc\" "
                + "without a matching store assertion)");
        assertThat((List<?>) task(change, "run-hook").get("log")).singleElement().asString()
                .endsWith("ERROR run hook \"configure\": cannot set proxy.store to \"abc\" without a matching store assertion");
        assertError(getSystem("proxy.store"), 400, "option-not-found", "snap \"core\" has no \"proxy.store\" configuration option");
    }

    @Test
    void perSnapHoldsFrom258() {
        SnapdFixture snapd = fixture();
        snapd.install("kubelet", "1.29/stable", 1);
        Map<String, Object> hold = new LinkedHashMap<>();
        hold.put("action", "hold");
        hold.put("snaps", List.of("kubelet"));
        hold.put("time", "forever");
        hold.put("hold-level", "general");

        SnapdHttp.Response held = http().post("/v2/snaps", hold);

        if (!snapd.perSnapHolds()) {
            assertError(held, 400, null, "unsupported multi-snap operation \"hold\"");
            return;
        }
        assertThat(held.status()).isEqualTo(202);
        assertThat(awaitDone(held.change()).get("kind")).isEqualTo("hold-snap");
        // "forever" is stored as a date about 292 years ahead (the largest time.Duration)
        Instant until = Instant.parse((String) http().get("/v2/snaps/kubelet").resultMap().get("hold"));
        assertThat(until).isAfter(Instant.now().plus(Duration.ofDays(365 * 200)));

        SnapdHttp.Response unheld = http().post("/v2/snaps", Map.of("action", "unhold", "snaps", List.of("kubelet")));
        assertThat(unheld.status()).isEqualTo(202);
        assertThat(awaitDone(unheld.change()).get("kind")).isEqualTo("unhold-snap");
        assertThat(http().get("/v2/snaps/kubelet").resultMap()).doesNotContainKey("hold");

        hold.remove("hold-level");
        assertError(http().post("/v2/snaps", hold), 400, null, "hold action requires a non-empty hold-level value");
        hold.put("hold-level", "general");
        hold.put("snaps", List.of("nosuch"));
        assertError(http().post("/v2/snaps", hold), 400, null, "cannot hold \"nosuch\": snap \"nosuch\" is not installed");
    }

    @Test
    void assertionsGarbageIsRefusedAnEmptyBodyAcceptedAndNoStoreIsKnown() {
        SnapdHttp.Response garbage = http().send("POST", "/v2/assertions", null,
                "<html>oops</html>\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertError(garbage, 400, null, "cannot decode request body into assertions: unexpected EOF");

        SnapdHttp.Response empty = http().send("POST", "/v2/assertions", null, new byte[0]);
        assertThat(empty.status()).isEqualTo(200);
        assertThat(empty.type()).isEqualTo("sync");
        assertThat(empty.result()).isNull();

        SnapdHttp.Response stores = http().get("/v2/assertions/store");
        assertThat(stores.status()).isEqualTo(200);
        assertThat(stores.contentType()).isEqualTo("application/x.ubuntu.assertion; bundle=y");
        assertThat(stores.raw()).isEmpty();
        assertThat(http().get("/v2/assertions/store?json=true").resultList()).isEmpty();
    }

    @Test
    void aMultiSnapRequestNeedsAJsonContentType() {
        SnapdHttp.Response answer = http().send("POST", "/v2/snaps", null,
                "{\"action\":\"refresh\",\"snaps\":[\"kubelet\"]}".getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.kind()).isEmpty();
        assertThat(answer.message()).startsWith("cannot parse content type: ").isNotEmpty();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /** Store: refresh to revision 2 (published first). Local: revision 2's file as a new local revision. */
    private String startSecondRevision(String snap) {
        if (fixture().storeBacked()) {
            fixture().publish(snap, 2);
            SnapdHttp.Response answer = http().post("/v2/snaps/" + snap, refresh("1.29/stable", 2));
            assertThat(answer.status()).isEqualTo(202);
            assertThat(answer.type()).isEqualTo("async");
            assertThat(answer.change()).matches("[0-9]+");
            return answer.change();
        }
        return fixture().sideload(snap, 2, false);
    }

    private String startBrokenSecondRevision(String snap) {
        if (fixture().storeBacked()) {
            fixture().publishBroken(snap, 2);
            SnapdHttp.Response answer = http().post("/v2/snaps/" + snap, refresh("1.29/stable", 2));
            assertThat(answer.status()).isEqualTo(202);
            return answer.change();
        }
        return fixture().sideload(snap, 2, true);
    }

    private static Map<String, Object> refresh(String channel, int revision) {
        return Map.of("action", "refresh", "channel", channel, "revision", Integer.toString(revision));
    }

    private void setSystem(String key, String value) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(key, value);
        SnapdHttp.Response answer = http().put("/v2/snaps/system/conf", body);
        assertThat(answer.status()).isEqualTo(202);
        awaitDone(answer.change());
    }

    private SnapdHttp.Response getSystem(String key) {
        return http().get("/v2/snaps/system/conf?keys=" + key);
    }

    private Map<String, Object> awaitDone(String change) {
        Map<String, Object> result = awaitChange(change, c -> Boolean.TRUE.equals(c.get("ready")));
        assertThat(result.get("status")).as("change %s: %s", change, result.get("err")).isEqualTo("Done");
        return result;
    }

    /** Polls GET /v2/changes/{id} until the condition holds; fails with the last state after a deadline. */
    protected Map<String, Object> awaitChange(String change, Predicate<Map<String, Object>> condition) {
        Instant deadline = Instant.now().plus(CHANGE_LIMIT);
        while (true) {
            SnapdHttp.Response answer = http().get("/v2/changes/" + change);
            assertSync(answer);
            Map<String, Object> state = answer.resultMap();
            if (condition.test(state)) {
                return state;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("change " + change + " not as expected after " + CHANGE_LIMIT.toSeconds()
                        + " s: " + answer.raw());
            }
            try {
                Thread.sleep(20); // paces a poll with a deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static void assertSync(SnapdHttp.Response answer) {
        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        assertThat(answer.type()).isEqualTo("sync");
    }

    /** An error answer: status, kind (null: snapd gives none) and the message's start. */
    private static void assertError(SnapdHttp.Response answer, int status, String kind, String messageStart) {
        assertThat(answer.status()).as(answer.raw()).isEqualTo(status);
        assertThat(answer.type()).isEqualTo("error");
        assertThat(answer.kind()).as(answer.raw()).isEqualTo(Optional.ofNullable(kind));
        assertThat(answer.message()).startsWith(messageStart);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    private static Map<String, Object> byName(List<Map<String, Object>> snaps, String name) {
        return snaps.stream().filter(s -> name.equals(s.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not listed: " + snaps));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tasks(Map<String, Object> change) {
        return (List<Map<String, Object>>) change.getOrDefault("tasks", List.of());
    }

    private static List<String> taskKinds(Map<String, Object> change) {
        List<String> kinds = new ArrayList<>();
        tasks(change).forEach(t -> kinds.add((String) t.get("kind")));
        return kinds;
    }

    private static Map<String, Object> task(Map<String, Object> change, String kind) {
        return tasks(change).stream().filter(t -> kind.equals(t.get("kind"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " task in " + change));
    }

    private static String taskStatus(Map<String, Object> change, String kind) {
        return (String) task(change, kind).get("status");
    }

    /** The machine's architecture as dpkg names it (snapd's arch.DpkgArchitecture). */
    private static String dpkgArchitecture() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch;
        };
    }
}
