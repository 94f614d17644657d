package io.snapcoherence.snap.realsnapd;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.snapcoherence.snap.fakestore.FakeSnapStore;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * snapd's own test store ({@code tests/lib/fakestore} in snapd's source, built with test keys) on loopback, in the
 * way snapd's spread tests use it (tests/lib/store.sh {@code make_snap_installable}): a snap-declaration per snap,
 * a snap-revision per file, both signed with the test store key, and the snap file in the store directory.
 *
 * <p>What it can and cannot do (tests/lib/fakestore/store/store.go): it serves, for each snap name, the one
 * {@code .snap} file in its directory, whatever channel or revision snapd asks for; the revision is the one the
 * file's snap-revision assertion names. So "publishing" a revision replaces the file. It has no cohorts and no
 * {@code /v2/snaps/info} (no channel map: {@code snap info} and {@code find?name=} find nothing).
 *
 * <p>snapd reaches it through a front on {@link #url()}, a loopback HTTP server of this class that passes every
 * request on to the fakestore (on a port of its own) and its answer back, except {@code GET /v2/snaps/info/<name>},
 * which it answers itself in the store's format ({@link FakeSnapStore#infoDocument}, the project's store proxy's,
 * held to real snapd 2.57 by SnapdClientRealSnapdTest): the published revision on the channels
 * {@link #publish} names, 404 for a snap without one. So the charm's store check ({@code Snaps.info}) works on this
 * store too. Downloads go straight to the fakestore (its answers name its own address). {@link #stop} closes both:
 * snapd's connections to {@link #url()} are refused.
 */
public final class SnapdFakestore implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(15);
    private static final Duration FORWARD_LIMIT = Duration.ofSeconds(30);
    /** Headers that belong to one hop, or that the front's HTTP client or server sets itself. */
    private static final Set<String> HOP_HEADERS = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection", "date");

    private final Path binary;
    private final Path dir;
    private final Path log;
    private final int port;
    private final int fakestorePort;
    private final Set<String> declared = new HashSet<>();
    private final Set<Path> revisioned = new HashSet<>();
    private final Map<String, Map<String, FakeSnapStore.Release>> channelMaps = new HashMap<>();
    private final HttpClient forwarder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    private HttpServer front;

    /** A store in a new directory (realsnapdstore…, removed on close); call {@link #start}. */
    public SnapdFakestore(Path binary) {
        this.binary = binary;
        try {
            this.dir = SnapdProcess.ownedTempDirectory("realsnapdstore");
            this.log = dir.resolve("fakestore.log");
            Files.createDirectories(dir.resolve("asserts"));
            port = freePort();
            fakestorePort = freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** Where snapd finds the store (its front). */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    public synchronized void start() {
        if (process == null || !process.isAlive()) {
            startFakestore();
        }
        if (front == null) {
            try {
                front = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen on port " + port + " again", e);
            }
            front.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread thread = new Thread(r, "snapd-fakestore-front");
                thread.setDaemon(true);
                return thread;
            }));
            front.createContext("/", this::handle);
            front.start();
        }
    }

    private void startFakestore() {
        try {
            process = new ProcessBuilder(binary.toString(), "run", "--dir", dir.toString(), "--addr",
                    "127.0.0.1:" + fakestorePort)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            Instant deadline = Instant.now().plus(START_LIMIT);
            while (!answers(fakestorePort)) {
                if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("fakestore did not listen on port " + fakestorePort + ": "
                            + Files.readString(log, StandardCharsets.UTF_8));
                }
                Thread.sleep(20); // polling a condition with a deadline
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the store; snapd's requests are then refused at connect. */
    public synchronized void stop() {
        if (front != null) {
            front.stop(0);
            ((ExecutorService) front.getExecutor()).shutdownNow();
            front = null;
        }
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /**
     * The store now serves this file (revision {@code revision}) for its snap, and no other file of that snap; its
     * channel map lists it on {@code channels}.
     */
    public synchronized void publish(String snap, Path file, int revision, String version, Set<String> channels) {
        try {
            if (declared.add(snap)) {
                fakestore(List.of("new-snap-declaration", "--dir", dir.toString(), file.toString()));
            }
            if (revisioned.add(file)) {
                Path json = dir.resolve("revision.json");
                Files.writeString(json, "{\"snap-revision\":\"" + revision + "\"}");
                fakestore(List.of("new-snap-revision", "--dir", dir.toString(), "--snap-rev-json", json.toString(),
                        file.toString()));
            }
            unpublish(snap);
            Files.copy(file, dir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            Map<String, FakeSnapStore.Release> channelMap = new LinkedHashMap<>();
            for (String channel : new TreeSet<>(channels)) {
                channelMap.put(channel, new FakeSnapStore.Release(revision, version));
            }
            channelMaps.put(snap, channelMap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The store serves no file of this snap (its assertions stay). */
    public synchronized void unpublish(String snap) {
        channelMaps.remove(snap);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, snap + "_*.snap")) {
            for (Path served : files) {
                Files.delete(served);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void fakestore(List<String> args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        TestSnaps.run(command);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (exchange.getRequestMethod().equals("GET") && path.startsWith("/v2/snaps/info/")) {
                info(exchange, path.substring("/v2/snaps/info/".length()));
            } else {
                forward(exchange);
            }
        }
    }

    private void info(HttpExchange exchange, String name) throws IOException {
        Map<String, FakeSnapStore.Release> channels;
        synchronized (this) {
            channels = channelMaps.getOrDefault(name, Map.of());
        }
        if (channels.isEmpty()) {
            send(exchange, 404, "application/json", FakeSnapStore.infoNotFound(name).getBytes(StandardCharsets.UTF_8));
        } else {
            send(exchange, 200, "application/json", FakeSnapStore.infoDocument(name, channels,
                    URI.create("http://127.0.0.1:" + fakestorePort)).getBytes(StandardCharsets.UTF_8));
        }
    }

    private void forward(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        URI asked = exchange.getRequestURI();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fakestorePort
                        + asked.getRawPath() + (asked.getRawQuery() == null ? "" : "?" + asked.getRawQuery())))
                .timeout(FORWARD_LIMIT)
                .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            if (HOP_HEADERS.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                continue;
            }
            for (String value : header.getValue()) {
                try {
                    request.header(header.getKey(), value);
                } catch (IllegalArgumentException restricted) {
                    // a header java.net.http sets itself
                }
            }
        }
        HttpResponse<byte[]> answer;
        try {
            answer = forwarder.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        for (Map.Entry<String, List<String>> header : answer.headers().map().entrySet()) {
            if (!HOP_HEADERS.contains(header.getKey().toLowerCase(Locale.ROOT)) && !header.getKey().startsWith(":")) {
                exchange.getResponseHeaders().put(header.getKey(), header.getValue());
            }
        }
        send(exchange, answer.statusCode(), null, answer.body());
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        boolean empty = body.length == 0 || status == 204 || status == 304;
        exchange.sendResponseHeaders(status, empty ? -1 : body.length);
        if (!empty) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        stop();
        SnapdProcess.cleanUp(dir);
    }
}
