package io.snapcoherence.snap.fakestore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.snapcoherence.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A Snap Store Proxy on loopback for tests: the registration endpoint ({@code /v2/auth/store/assertions}) and
 * the store API snapd 2.57 calls (snap info, cohorts, refresh/install actions, sections), with channel maps,
 * proxy-style overrides that point a channel at any revision, and fault modes for the registration endpoint.
 * Every request is logged (method, path with query, body) for tests that assert what snapd asked.
 */
public final class FakeSnapStore implements AutoCloseable {
    /** The store's JSON is built and read with Jackson's trees (the charm's own Json has no tree model). */
    static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

    static JsonNode tree(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + text, e);
        }
    }


    /** How the registration endpoint misbehaves. */
    public enum Fault { NONE, SERVER_ERROR, SLOW, EMPTY, GARBAGE, WRONG_STORE_ID, WRONG_CONTENT_TYPE, NOT_FOUND, NO_STORE_ID }

    public record Release(int revision, String version) {
    }

    private final HttpServer server;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Map<String, Map<String, Release>> channels = new LinkedHashMap<>();
    private final Map<String, Map<String, Integer>> overrides = new LinkedHashMap<>();
    private final Map<String, Map<String, Release>> cohorts = new LinkedHashMap<>();
    private final List<String> requests = new ArrayList<>();
    private String storeId = "fake-store-id";
    private Fault fault = Fault.NONE;
    private int cohortCounter;

    public FakeSnapStore() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-snap-store");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public synchronized String storeId() {
        return storeId;
    }

    public synchronized FakeSnapStore storeId(String id) {
        this.storeId = id;
        return this;
    }

    public synchronized void fault(Fault fault) {
        this.fault = fault;
    }

    /** Publishes {@code revision} to {@code snap}'s {@code channel} (e.g. {@code 1.29/stable}). */
    public synchronized FakeSnapStore release(String snap, String channel, int revision, String version) {
        channels.computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(channel, new Release(revision, version));
        return this;
    }

    /** {@code snap-proxy override <snap> <channel>=<revision>}: older or newer than what upstream serves. */
    public synchronized void override(String snap, String channel, int revision) {
        overrides.computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(channel, revision);
    }

    public synchronized void deleteOverride(String snap, String channel) {
        overrides.getOrDefault(snap, new LinkedHashMap<>()).remove(channel);
    }

    /** Back to a store with no snaps, no overrides, no faults and the default store id. */
    public synchronized void reset() {
        channels.clear();
        overrides.clear();
        cohorts.clear();
        requests.clear();
        fault = Fault.NONE;
        storeId = "fake-store-id";
    }

    public synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    /** What a channel serves now: the override if there is one, else the release. */
    public synchronized Map<String, Release> effectiveChannels(String snap) {
        Map<String, Release> effective = new LinkedHashMap<>(channels.getOrDefault(snap, Map.of()));
        overrides.getOrDefault(snap, Map.of()).forEach((channel, revision) -> effective.put(channel,
                new Release(revision, Optional.ofNullable(effective.get(channel)).map(Release::version).orElse("override"))));
        return effective;
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            synchronized (this) {
                requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI()
                        + (body.isEmpty() ? "" : " " + body));
            }
            if (path.equals("/v2/auth/store/assertions")) {
                assertions(exchange);
            } else if (path.startsWith("/v2/snaps/info/") && exchange.getRequestMethod().equals("GET")) {
                info(exchange, path.substring("/v2/snaps/info/".length()));
            } else if (path.equals("/v2/cohorts") && exchange.getRequestMethod().equals("POST")) {
                cohorts(exchange, body);
            } else if (path.equals("/v2/snaps/refresh") && exchange.getRequestMethod().equals("POST")) {
                refresh(exchange, body);
            } else if (path.equals("/api/v1/snaps/sections")) {
                send(exchange, 200, "application/hal+json", "{\"_embedded\":{\"clickindex:sections\":[]}}");
            } else {
                send(exchange, 404, "application/json", notFound("no such endpoint: " + path));
            }
        }
    }

    private void assertions(HttpExchange exchange) throws IOException {
        Fault current;
        String id;
        synchronized (this) {
            current = fault;
            id = storeId;
        }
        String contentType = "application/x.ubuntu.assertion";
        String stream = FakeAssertions.streamFor(id, url().toString());
        switch (current) {
            case SERVER_ERROR -> send(exchange, 503, "text/plain", "service unavailable");
            case NOT_FOUND -> send(exchange, 404, "text/plain", "not found");
            case SLOW -> {
                try {
                    // Never answers while the test runs: the client must give up on its own timeout.
                    closing.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            case EMPTY -> sendAssertions(exchange, contentType, id, "");
            case GARBAGE -> sendAssertions(exchange, contentType, id, "<html><body>Welcome to nginx</body></html>\n");
            case WRONG_STORE_ID -> sendAssertions(exchange, contentType, "other-store-id", stream);
            case WRONG_CONTENT_TYPE -> sendAssertions(exchange, "text/html", id, stream);
            case NO_STORE_ID -> sendAssertions(exchange, contentType, "", stream);
            case NONE -> sendAssertions(exchange, contentType, id, stream);
        }
    }

    private static void sendAssertions(HttpExchange exchange, String contentType, String headerId, String body)
            throws IOException {
        if (!headerId.isEmpty()) {
            exchange.getResponseHeaders().add("X-Assertion-Store-Id", headerId);
        }
        send(exchange, 200, contentType, body);
    }

    private void info(HttpExchange exchange, String name) throws IOException {
        Map<String, Release> map = effectiveChannels(name);
        if (map.isEmpty()) {
            send(exchange, 404, "application/json", infoNotFound(name));
            return;
        }
        send(exchange, 200, "application/json", infoDocument(name, map, url()));
    }

    /**
     * The store's answer to {@code GET /v2/snaps/info/<name>} (store/details_v2.go storeInfo as snapd 2.57 reads
     * it: the snap's details and one channel-map entry per channel), downloads named under {@code storeUrl}.
     */
    public static String infoDocument(String name, Map<String, Release> channels, URI storeUrl) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("name", name);
        root.put("snap-id", snapId(name));
        root.set("snap", snapDetails(name));
        ArrayNode channelMap = root.putArray("channel-map");
        channels.forEach((channel, release) -> channelMap.add(channelEntry(name, channel, release, storeUrl)));
        return root.toString();
    }

    /** The store's 404 for a snap it does not know (snapd answers snap-not-found). */
    public static String infoNotFound(String name) {
        return notFound("No snap named '" + name + "' found in series '16'.");
    }

    private void cohorts(HttpExchange exchange, String body) throws IOException {
        JsonNode request = tree(body);
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode keys = root.putObject("cohort-keys");
        synchronized (this) {
            for (JsonNode snap : request.path("snaps")) {
                String key = "MSBfake" + snap.asText() + "cohort" + (++cohortCounter);
                cohorts.put(key, effectiveChannels(snap.asText()));
                keys.put(snap.asText(), key);
            }
        }
        send(exchange, 200, "application/json", root.toString());
    }

    private void refresh(HttpExchange exchange, String body) throws IOException {
        JsonNode request = tree(body);
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode results = root.putArray("results");
        for (JsonNode action : request.path("actions")) {
            String name = action.path("name").asText(action.path("snap-id").asText().replace("snapid", ""));
            String channel = action.path("channel").asText("latest/stable");
            Map<String, Release> map;
            synchronized (this) {
                map = action.hasNonNull("cohort-key") && cohorts.containsKey(action.get("cohort-key").asText())
                        ? cohorts.get(action.get("cohort-key").asText()) : effectiveChannels(name);
            }
            Optional<Release> release = action.hasNonNull("revision")
                    ? Optional.of(new Release(action.get("revision").asInt(), "pinned"))
                    : Optional.ofNullable(map.get(channel));
            ObjectNode result = results.addObject();
            result.put("instance-key", action.path("instance-key").asText());
            result.put("name", name);
            if (release.isEmpty()) {
                result.put("result", "error");
                result.putObject("error").put("code", "not-found").put("message", "no release of " + name + " in " + channel);
                continue;
            }
            result.put("result", action.path("action").asText("refresh"));
            result.put("snap-id", snapId(name));
            result.put("effective-channel", channel);
            ObjectNode snap = snapDetails(name);
            snap.setAll(channelEntry(name, channel, release.get(), url()));
            result.set("snap", snap);
        }
        send(exchange, 200, "application/json", root.toString());
    }

    private static ObjectNode snapDetails(String name) {
        ObjectNode snap = MAPPER.createObjectNode();
        snap.put("name", name).put("snap-id", snapId(name)).put("summary", name).put("description", name)
                .put("license", "Apache-2.0").put("type", "app").put("private", false);
        snap.putObject("publisher").put("id", "canonical").put("username", "canonical")
                .put("display-name", "Canonical").put("validation", "verified");
        return snap;
    }

    private static ObjectNode channelEntry(String name, String channel, Release release, URI storeUrl) {
        ObjectNode entry = MAPPER.createObjectNode();
        String[] parts = channel.split("/");
        ObjectNode ch = entry.putObject("channel");
        ch.put("architecture", "amd64").put("name", channel).put("released-at", "2026-11-01T00:00:00.000000+00:00")
                .put("risk", parts[parts.length - 1]).put("track", parts.length > 1 ? parts[0] : "latest");
        entry.put("confinement", "classic").put("created-at", "2026-11-01T00:00:00.000000+00:00");
        entry.putObject("download").put("size", 1000).put("sha3-384", "0".repeat(96))
                .put("url", storeUrl + "/download/" + name + "_" + release.revision() + ".snap");
        entry.put("revision", release.revision()).put("type", "app").put("version", release.version());
        ObjectNode epoch = entry.putObject("epoch");
        epoch.putArray("read").add(0);
        epoch.putArray("write").add(0);
        entry.put("base", "core20");
        return entry;
    }

    private static String snapId(String name) {
        String id = (name.replace("-", "") + "snapid00000000000000000000000000");
        return id.substring(0, 32);
    }

    private static String notFound(String message) {
        return "{\"error-list\":[{\"code\":\"resource-not-found\",\"message\":" + Json.write(message) + "}]}";
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
