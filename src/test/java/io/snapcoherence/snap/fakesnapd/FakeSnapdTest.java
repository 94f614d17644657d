package io.snapcoherence.snap.fakesnapd;

import io.snapcoherence.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fake snapd's answers on the wire, as a real snapd gave them: each expectation here was observed on Debian's
 * snapd 2.57.6 running under its own root (SNAPPY_GLOBAL_ROOT, no systemd, a store that answers 404), asked with
 * curl over the socket. The tests only ask {@link #socket()}, so they run unchanged against a real snapd:
 * {@code -Dreal.snapd.socket=<root>/run/snapd.socket} of a freshly started 2.57.6 (they passed so, 2026-11-30).
 */
class FakeSnapdTest {
    @TempDir
    Path dir;
    private FakeSnapd snapd;

    @BeforeEach
    void start() throws IOException {
        snapd = FakeSnapd.at(dir.resolve("run/snapd.socket"), new FakeSnapdState(Clock.systemUTC()).version("2.57.6"));
    }

    @AfterEach
    void stop() {
        snapd.close();
    }

    private Path socket() {
        String real = System.getProperty("real.snapd.socket", "");
        return real.isEmpty() ? snapd.socket() : Path.of(real);
    }

    /** One HTTP/1.0 exchange, read to the close: status line, headers, body. */
    private record Answer(String statusLine, Map<String, String> headers, String body) {
        Map<String, Object> json() {
            return Json.objectMap(body);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> result() {
            return (Map<String, Object>) json().get("result");
        }
    }

    private Answer ask(String method, String target, String body) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket()));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            String head = method + " " + target + " HTTP/1.0\r\nHost: localhost\r\n"
                    + (body.isEmpty() ? "" : "Content-Type: application/json\r\nContent-Length: " + bytes.length
                    + "\r\n")
                    + "\r\n";
            channel.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            channel.write(ByteBuffer.wrap(bytes));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            String text = out.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new java.util.LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                headers.put(lines[i].substring(0, lines[i].indexOf(':')).toLowerCase(java.util.Locale.ROOT),
                        lines[i].substring(lines[i].indexOf(':') + 1).strip());
            }
            return new Answer(lines[0], headers, text.substring(end + 4));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Answer get(String target) {
        return ask("GET", target, "");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return (Map<String, Object>) value;
    }

    /** The change once ready (polled with a deadline: a real snapd runs it after answering). */
    private Map<String, Object> awaitChange(String id) {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (true) {
            Map<String, Object> change = get("/v2/changes/" + id).result();
            if (Boolean.TRUE.equals(change.get("ready")) || System.nanoTime() > deadline) {
                return change;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return change;
            }
        }
    }

    @Test
    void anHttp10AnswerHasALengthOnlyWhenItFitsGosBufferAndEndsWithTheClose() {
        Answer small = get("/v2/system-info");
        assertThat(small.statusLine()).isEqualTo("HTTP/1.0 200 OK");
        assertThat(small.headers()).containsEntry("content-type", "application/json")
                .containsEntry("content-length", String.valueOf(small.body().getBytes(StandardCharsets.UTF_8).length));
        assertThat(small.json()).containsEntry("type", "sync").containsEntry("status-code", 200)
                .containsEntry("status", "OK");

        for (int i = 0; i < 4; i++) {
            ask("PUT", "/v2/snaps/system/conf", "{\"proxy.store\":\"abc\"}");
        }
        Answer large = get("/v2/changes?select=all");
        assertThat(large.body().length()).isGreaterThan(2048);
        assertThat(large.headers()).doesNotContainKey("content-length");
        assertThat(large.json().get("result")).asList().hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void aSeededMachineHasItsSeedChangeAndTheTwoHourHoldOfSeeding() {
        Map<String, Object> seed = awaitChange("1");
        assertThat(seed).containsEntry("kind", "seed").containsEntry("summary", "Initialize system state")
                .containsEntry("status", "Done").containsEntry("ready", true);
        String hold = (String) get("/v2/snaps/system/conf?keys=refresh.hold").result().get("refresh.hold");
        Instant seeded = OffsetDateTime.parse((String) seed.get("spawn-time")).toInstant();
        Instant twoHoursLater = seeded.plus(java.time.Duration.ofHours(2));
        assertThat(OffsetDateTime.parse(hold).toInstant()).isBetween(twoHoursLater.minusSeconds(60),
                twoHoursLater.plusSeconds(60));
    }

    @Test
    void optionsNotSetAreOptionNotFoundNamingTheMissingPart() {
        Answer answer = get("/v2/snaps/system/conf?keys=proxy.store");
        assertThat(answer.statusLine()).isEqualTo("HTTP/1.0 400 Bad Request");
        assertThat(answer.json()).containsEntry("type", "error").containsEntry("status-code", 400);
        assertThat(answer.result()).isEqualTo(Map.of("message", "snap \"core\" has no \"proxy\" configuration option",
                "kind", "option-not-found", "value", Map.of("SnapName", "core", "Key", "proxy")));
        assertThat(get("/v2/snaps/kubectl/conf?keys=x").result()).containsEntry("kind", "option-not-found")
                .containsEntry("message", "snap \"kubectl\" has no \"x\" configuration option");
        assertThat(ask("PUT", "/v2/snaps/kubectl/conf", "{\"x\":\"1\"}").result()).isEqualTo(Map.of(
                "message", "snap \"kubectl\" is not installed", "kind", "snap-not-found", "value", "kubectl"));
    }

    @Test
    void aRefusedValueFailsTheConfigureChangeInItsRunHookTask() {
        String id = (String) ask("PUT", "/v2/snaps/system/conf", "{\"proxy.store\":\"abc\"}").json().get("change");
        Map<String, Object> change = awaitChange(id);
        assertThat(change).containsEntry("kind", "configure-snap").containsEntry("status", "Error")
                .containsEntry("summary", "Change configuration of \"core\" snap")
                .containsEntry("err", "cannot perform the following tasks:\n- Run configure hook of \"core\" snap "
                        + "(run hook \"configure\": cannot set proxy.store to \"abc\" without a matching store "
                        + "assertion)");
        @SuppressWarnings("unchecked")
        Map<String, Object> task = ((List<Map<String, Object>>) change.get("tasks")).get(0);
        assertThat(task).containsEntry("kind", "run-hook").containsEntry("status", "Error");
        assertThat((List<?>) task.get("log")).singleElement().asString().endsWith(" ERROR run hook \"configure\": "
                + "cannot set proxy.store to \"abc\" without a matching store assertion");

        String forever = (String) ask("PUT", "/v2/snaps/system/conf", "{\"refresh.hold\":\"forever\"}").json()
                .get("change");
        assertThat(awaitChange(forever).get("err")).isEqualTo("cannot perform the following tasks:\n- Run configure "
                + "hook of \"core\" snap (run hook \"configure\": refresh.hold cannot be parsed: parsing time "
                + "\"forever\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"forever\" as \"2006\")");
    }

    @Test
    void anEmptyHoldIsSetButHoldsNothingAndNullRemovesIt() {
        awaitChange((String) ask("PUT", "/v2/snaps/system/conf", "{\"refresh.hold\":\"2099-12-20T00:00:00Z\"}")
                .json().get("change"));
        @SuppressWarnings("unchecked")
        Map<String, Object> refresh = (Map<String, Object>) get("/v2/system-info").result().get("refresh");
        assertThat(refresh).containsKey("hold").containsEntry("timer", "00:00~24:00/4");

        awaitChange((String) ask("PUT", "/v2/snaps/system/conf", "{\"refresh.hold\":\"\"}").json().get("change"));
        assertThat(get("/v2/snaps/system/conf?keys=refresh.hold").result()).isEqualTo(Map.of("refresh.hold", ""));
        assertThat(asMap(get("/v2/system-info").result().get("refresh"))).doesNotContainKey("hold");

        awaitChange((String) ask("PUT", "/v2/snaps/system/conf", "{\"refresh.hold\":null}").json().get("change"));
        assertThat(get("/v2/snaps/system/conf?keys=refresh.hold").result()).containsEntry("kind", "option-not-found");
    }

    @Test
    void assertionsThatAreNotAStreamAreRefusedAndAnEmptyBodyIsAccepted() {
        Answer garbage = ask("POST", "/v2/assertions", "<html>oops</html>");
        assertThat(garbage.statusLine()).isEqualTo("HTTP/1.0 400 Bad Request");
        assertThat(garbage.result()).isEqualTo(Map.of("message",
                "cannot decode request body into assertions: unexpected EOF"));
        Answer empty = ask("POST", "/v2/assertions", "");
        assertThat(empty.json()).containsEntry("type", "sync").containsEntry("result", null);
    }

    @Test
    void snapd257HasNoHoldOrUnholdOfSeveralSnaps() {
        for (String action : List.of("hold", "unhold")) {
            Answer answer = ask("POST", "/v2/snaps", "{\"action\":\"" + action + "\",\"snaps\":[\"kubectl\"],"
                    + "\"time\":\"forever\",\"hold-level\":\"general\"}");
            assertThat(answer.result()).isEqualTo(Map.of("message", "unsupported multi-snap operation \"" + action
                    + "\""));
        }
    }

    @Test
    void aSnapThatIsNotInstalled() {
        assertThat(ask("POST", "/v2/snaps/kubectl", "{\"action\":\"refresh\",\"channel\":\"1.29/stable\","
                + "\"revision\":\"1342\"}").result()).isEqualTo(Map.of("message", "snap \"kubectl\" is not installed",
                "kind", "snap-not-installed", "value", "kubectl"));
        assertThat(ask("POST", "/v2/snaps/kubectl", "{\"action\":\"revert\"}").result()).isEqualTo(Map.of(
                "message", "cannot revert \"kubectl\": no revision to revert to"));
        assertThat(get("/v2/apps?select=service&names=kubectl").result()).isEqualTo(Map.of(
                "message", "snap \"kubectl\" not found", "kind", "snap-not-found", "value", "kubectl"));
        Answer find = get("/v2/find?name=kubectl");
        assertThat(find.statusLine()).isEqualTo("HTTP/1.0 404 Not Found");
        assertThat(find.result()).isEqualTo(Map.of("message", "snap not found", "kind", "snap-not-found",
                "value", "kubectl"));
        assertThat(get("/v2/snaps").json()).containsEntry("result", List.of())
                .containsEntry("sources", List.of("local"));
        assertThat(get("/v2/apps?select=service").json()).containsEntry("result", List.of());
        assertThat(get("/v2/find?select=refresh").json()).containsEntry("result", List.of());
        assertThat(get("/v2/assertions/store?json=headers").json()).containsEntry("result", List.of());
    }

    @Test
    void unknownChangesPathsAndMethods() {
        assertThat(get("/v2/changes/99").result()).isEqualTo(Map.of("message", "cannot find change with id \"99\""));
        assertThat(get("/v2/nosuch").result()).isEqualTo(Map.of("message", "not found"));
        Answer delete = ask("DELETE", "/v2/snaps", "");
        assertThat(delete.statusLine()).isEqualTo("HTTP/1.0 405 Method Not Allowed");
        assertThat(delete.result()).isEqualTo(Map.of("message", "method \"DELETE\" not allowed"));
    }

    @Test
    void systemInfoNamesVersionArchitectureAndTheRefreshTimer() {
        Map<String, Object> info = get("/v2/system-info").result();
        assertThat((String) info.get("version")).startsWith("2.57.6");
        assertThat(info).containsEntry("architecture", "amd64").containsEntry("series", "16")
                .containsEntry("on-classic", true);
        assertThat(asMap(info.get("refresh"))).containsEntry("timer", "00:00~24:00/4");
    }
}
