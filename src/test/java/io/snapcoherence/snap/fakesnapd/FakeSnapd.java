package io.snapcoherence.snap.fakesnapd;

import io.snapcoherence.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A fake snapd on a UNIX socket, for process-level tests, the hook benchmark and the build's training run: the
 * requests the charm makes (and those of {@code snap list}/{@code snap changes}, for the benchmark), answered
 * from a {@link FakeSnapdState} (where each answer comes from is written there), with a log of every request and
 * switchable misbehaviour for the client's tests.
 *
 * <p>HTTP as snapd serves it (Go's net/http): the answer's status line has the request's HTTP version; an HTTP/1.0
 * request gets the connection closed after the answer, with a Content-Length only when the body fits net/http's
 * 2048-byte buffer (bufferBeforeChunkingSize) and otherwise none (the close ends it); HTTP/1.1 requests get a
 * Content-Length and {@code Connection: close}.
 *
 * <p>As a program ({@code java -cp <test classes>:<charm JAR> io.snapcoherence.snap.fakesnapd.FakeSnapd
 * --root DIR [--state FILE] [--log FILE]}) it listens on {@code DIR/run/snapd.socket}, where the charm and the
 * {@code snap} CLI find it with {@code SNAPPY_GLOBAL_ROOT=DIR}, prints "ready" once listening and runs until
 * killed. The state file is JSON: {@code {"version": "2.63", "store": {"kubelet": {"1.29/stable": 1342}},
 * "installed": {"kubelet": {"channel": "1.29/stable", "revision": 1342, "services": ["daemon"]}},
 * "config": {...}, "trusted-sign-keys": [...], "refresh": {"kubelet": {"takes-ms": 4000,
 * "fails-after-link-snap": "..."}}}}. The log gets one line per request: {@code METHOD target[ body]}.
 */
public final class FakeSnapd implements AutoCloseable {
    /** Go net/http's bufferBeforeChunkingSize: larger answers to HTTP/1.0 go without a Content-Length. */
    static final int GO_BUFFER = 2048;

    /** Ways to answer wrongly, for the client's tests. */
    public enum Misbehaviour {
        /** Reads the request and never answers (the connection stays open until the fake closes). */
        NEVER_ANSWER,
        /** Closes the connection without a byte. */
        CLOSE_AT_ONCE,
        /** Bytes that are not HTTP. */
        GARBAGE,
        /** Content-Length says more than is sent before the close. */
        TRUNCATED,
        /** A valid answer of 5 MiB. */
        OVERSIZE,
        /** HTTP 200 with a body that is not JSON. */
        NOT_JSON,
        /** snapd's envelope whose result has the wrong shape (a string where an object or list belongs). */
        WRONG_SHAPE
    }

    private final Path socket;
    private final FakeSnapdState state;
    private final ServerSocketChannel server;
    private final ExecutorService workers;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> parked = new CopyOnWriteArrayList<>();
    private final Map<String, Misbehaviour> misbehaviours = new ConcurrentHashMap<>();
    private final Optional<Path> log;
    private volatile boolean closed;

    private FakeSnapd(Path socket, FakeSnapdState state, Optional<Path> log) throws IOException {
        this.socket = socket;
        this.state = state;
        this.log = log;
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-snapd");
            t.setDaemon(true);
            return t;
        });
        Thread acceptor = new Thread(this::accept, "fake-snapd-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on {@code root}/run/snapd.socket: the socket {@code SNAPPY_GLOBAL_ROOT=root} points at. */
    public static FakeSnapd underRoot(Path root) throws IOException {
        return new FakeSnapd(root.resolve("run/snapd.socket"), new FakeSnapdState(Clock.systemUTC()), Optional.empty());
    }

    public static FakeSnapd at(Path socket, FakeSnapdState state) throws IOException {
        return new FakeSnapd(socket, state, Optional.empty());
    }

    public Path socket() {
        return socket;
    }

    public FakeSnapdState state() {
        return state;
    }

    /** Every request so far, as {@code METHOD target[ body]}. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    /** Answers requests whose target starts with {@code targetPrefix} wrongly, until {@link #behave()}. */
    public FakeSnapd misbehave(String targetPrefix, Misbehaviour misbehaviour) {
        misbehaviours.put(targetPrefix, misbehaviour);
        return this;
    }

    public FakeSnapd behave() {
        misbehaviours.clear();
        return this;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (SocketChannel channel : parked) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        workers.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // a socket file left behind is replaced by the next start
        }
    }

    private void accept() {
        while (!closed) {
            try {
                SocketChannel channel = server.accept();
                workers.execute(() -> serve(channel));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private record Request(String method, String target, String version, Map<String, String> headers, byte[] body) {
    }

    private void serve(SocketChannel channel) {
        boolean keepOpen = false;
        try {
            Optional<Request> read = read(channel);
            if (read.isEmpty()) {
                return;
            }
            Request request = read.get();
            record(request);
            Optional<Misbehaviour> misbehaviour = misbehaviours.entrySet().stream()
                    .filter(e -> request.target().startsWith(e.getKey())).map(Map.Entry::getValue).findFirst();
            if (misbehaviour.isPresent()) {
                keepOpen = misbehave(channel, request, misbehaviour.get());
                return;
            }
            int query = request.target().indexOf('?');
            String path = query < 0 ? request.target() : request.target().substring(0, query);
            FakeSnapdState.Reply reply = state.handle(request.method(), path,
                    query < 0 ? Map.of() : parseQuery(request.target().substring(query + 1)),
                    request.headers().getOrDefault("content-type", ""), request.body());
            if (!reply.delay().isZero()) {
                Thread.sleep(reply.delay().toMillis()); // snapd's retries of an unreachable store take this long
            }
            answer(channel, request, reply.status(), reply.contentType(), reply.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            // a client that went away, or a fake bug: the client sees the connection close
        } finally {
            if (!keepOpen) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private boolean misbehave(SocketChannel channel, Request request, Misbehaviour misbehaviour) throws IOException {
        switch (misbehaviour) {
            case NEVER_ANSWER -> {
                parked.add(channel);
                return true;
            }
            case CLOSE_AT_ONCE -> {
                return false;
            }
            case GARBAGE -> write(channel, "SSH-2.0-OpenSSH_9.6\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            case TRUNCATED -> write(channel, ("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"type\":\"sync\",\"status-code\":200,")
                    .getBytes(StandardCharsets.UTF_8));
            case OVERSIZE -> answer(channel, request, 200, Oversize.BODY);
            case NOT_JSON -> answer(channel, request, 200, "<html><body>It works!</body></html>"
                    .getBytes(StandardCharsets.UTF_8));
            case WRONG_SHAPE -> answer(channel, request, 200, ("{\"type\":\"sync\",\"status-code\":200,"
                    + "\"status\":\"OK\",\"result\":\"surprise\"}").getBytes(StandardCharsets.UTF_8));
            default -> throw new IllegalStateException("unhandled " + misbehaviour);
        }
        return false;
    }

    /** A valid sync answer of 5 MiB, built once. */
    private static final class Oversize {
        static final byte[] BODY;

        static {
            StringBuilder big = new StringBuilder("{\"type\":\"sync\",\"status-code\":200,\"result\":[");
            while (big.length() < 5 << 20) {
                big.append("\"padding padding padding padding padding padding padding\",");
            }
            BODY = big.append("\"end\"]}").toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    private void answer(SocketChannel channel, Request request, int status, byte[] body) throws IOException {
        answer(channel, request, status, "application/json", body);
    }

    private void answer(SocketChannel channel, Request request, int status, String contentType, byte[] body)
            throws IOException {
        boolean http10 = request.version().equals("HTTP/1.0");
        StringBuilder head = new StringBuilder();
        head.append(request.version()).append(' ').append(status).append(' ')
                .append(FakeSnapdState.statusText(status)).append("\r\n");
        head.append("Content-Type: ").append(contentType).append("\r\n");
        if (!http10 || body.length <= GO_BUFFER) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        if (!http10) {
            head.append("Connection: close\r\n");
        }
        head.append("\r\n");
        write(channel, head.toString().getBytes(StandardCharsets.ISO_8859_1));
        write(channel, body);
    }

    private static void write(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static Optional<Request> read(SocketChannel channel) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        int headerEnd = -1;
        while (headerEnd < 0) {
            buffer.clear();
            if (channel.read(buffer) < 0) {
                return Optional.empty();
            }
            received.write(buffer.array(), 0, buffer.position());
            headerEnd = received.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
        }
        byte[] all = received.toByteArray();
        String[] lines = new String(all, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3) {
            return Optional.empty();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(all, headerEnd + 4, all.length - headerEnd - 4);
        while (body.size() < length) {
            buffer.clear();
            if (channel.read(buffer) < 0) {
                break;
            }
            body.write(buffer.array(), 0, buffer.position());
        }
        return Optional.of(new Request(requestLine[0], requestLine[1], requestLine[2], headers, body.toByteArray()));
    }

    private void record(Request request) {
        String body = new String(request.body(), StandardCharsets.UTF_8);
        String line = request.method() + " " + request.target()
                + (body.isEmpty() ? "" : " " + body.replace("\n", "\\n"));
        requests.add(line);
        log.ifPresent(file -> {
            try {
                Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static Map<String, String> parseQuery(String query) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            values.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return values;
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path root = null;
        Optional<Path> stateFile = Optional.empty();
        Optional<Path> log = Optional.empty();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[i + 1]);
                case "--state" -> stateFile = Optional.of(Path.of(args[i + 1]));
                case "--log" -> log = Optional.of(Path.of(args[i + 1]));
                default -> {
                    System.err.println("usage: FakeSnapd --root DIR [--state FILE] [--log FILE]");
                    System.exit(2);
                }
            }
        }
        if (root == null || args.length % 2 != 0) {
            System.err.println("usage: FakeSnapd --root DIR [--state FILE] [--log FILE]");
            System.exit(2);
        }
        FakeSnapdState state = new FakeSnapdState(Clock.systemUTC());
        if (stateFile.isPresent()) {
            state.load(Json.objectMap(Files.readString(stateFile.get(), StandardCharsets.UTF_8)));
        }
        FakeSnapd snapd = new FakeSnapd(root.resolve("run/snapd.socket"), state, log);
        Runtime.getRuntime().addShutdownHook(new Thread(snapd::close));
        System.out.println("ready " + snapd.socket());
        System.out.flush();
        Thread.currentThread().join(); // until killed
    }

    /** For tests that want the parsed log entries of one kind. */
    public List<String> requests(String prefix) {
        List<String> matching = new ArrayList<>();
        for (String request : requests) {
            if (request.startsWith(prefix)) {
                matching.add(request);
            }
        }
        return matching;
    }
}
