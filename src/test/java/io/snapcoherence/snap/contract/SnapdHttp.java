package io.snapcoherence.snap.contract;

import io.snapcoherence.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The contract tests' own client of snapd's REST API: HTTP/1.0 over snapd's UNIX socket, one connection per
 * request (snapd answers and closes), a deadline on every call. Deliberately not the charm's client, so the
 * contract checks snapd, not a client against itself.
 */
public final class SnapdHttp {
    private static final Duration CALL_LIMIT = Duration.ofSeconds(30);

    private final Path socket;
    private final Duration limit;

    public SnapdHttp(Path socket) {
        this(socket, CALL_LIMIT);
    }

    private SnapdHttp(Path socket, Duration limit) {
        this.socket = socket;
        this.limit = limit;
    }

    /** The same client with another limit per call. */
    public SnapdHttp withLimit(Duration callLimit) {
        return new SnapdHttp(socket, callLimit);
    }

    /**
     * One answer of snapd: status code, content type, the raw body and its JSON document (empty when the body is
     * not JSON: GET /v2/assertions/… answers an assertion stream).
     */
    public record Response(int status, String contentType, String raw, Map<String, Object> body) {
        /** sync, async or error. */
        public String type() {
            return (String) body.get("type");
        }

        public Object result() {
            return body.get("result");
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> resultMap() {
            return (Map<String, Object>) body.get("result");
        }

        @SuppressWarnings("unchecked")
        public List<Map<String, Object>> resultList() {
            return (List<Map<String, Object>>) body.get("result");
        }

        /** An error's kind, empty when snapd gave none. */
        public Optional<String> kind() {
            return body.get("result") instanceof Map<?, ?> m ? Optional.ofNullable((String) m.get("kind")) : Optional.empty();
        }

        public String message() {
            return body.get("result") instanceof Map<?, ?> m && m.get("message") instanceof String s ? s : "";
        }

        /** The change id of an async answer. */
        public String change() {
            return (String) body.get("change");
        }

        @Override
        public String toString() {
            return status + " " + contentType + " " + raw;
        }
    }

    public Response get(String path) {
        return send("GET", path, null, new byte[0]);
    }

    public Response post(String path, Object json) {
        return send("POST", path, "application/json", Json.write(json).getBytes(StandardCharsets.UTF_8));
    }

    public Response put(String path, Object json) {
        return send("PUT", path, "application/json", Json.write(json).getBytes(StandardCharsets.UTF_8));
    }

    /** A snap file sent as snapd's sideload form (multipart, fields "dangerous" and "snap"), as {@code snap install --dangerous}. */
    public Response sideload(byte[] snapFile, String fileName) {
        String boundary = "contract" + Long.toHexString(System.nanoTime());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"dangerous\"\r\n\r\ntrue\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"snap\"; filename=\"" + fileName
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
        body.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        body.writeBytes(snapFile);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send("POST", "/v2/snaps", "multipart/form-data; boundary=" + boundary, body.toByteArray());
    }

    /** Any request; contentType null sends none. Refused connections and timeouts are UncheckedIOExceptions. */
    public Response send(String method, String path, String contentType, byte[] body) {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.0\r\nHost: localhost\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (body.length > 0 || !method.equals("GET")) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer request = ByteBuffer.allocate(headBytes.length + body.length).put(headBytes).put(body).flip();
        Instant deadline = Instant.now().plus(limit);
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (true) {
                long left = Duration.between(Instant.now(), deadline).toMillis();
                if (left <= 0) {
                    throw new UncheckedIOException(new IOException(method + " " + path + ": snapd did not answer within "
                            + limit.toSeconds() + " s"));
                }
                selector.select(left);
                if (key.isWritable() && request.hasRemaining()) {
                    channel.write(request);
                    if (!request.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                } else if (key.isReadable()) {
                    int n = channel.read(in.clear());
                    if (n < 0) {
                        break;
                    }
                    answer.write(in.array(), 0, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on " + socket, e);
        }
        return parse(method + " " + path, answer.toString(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static Response parse(String request, String text) {
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0) {
            throw new IllegalStateException(request + ": not an HTTP answer: " + Json.abbreviate(text));
        }
        int status = Integer.parseInt(text.substring(9, 12));
        String contentType = "";
        for (String line : text.substring(0, end).split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:")) {
                contentType = line.substring("content-type:".length()).trim();
            }
        }
        String raw = text.substring(end + 4);
        if (!contentType.startsWith("application/json")) {
            return new Response(status, contentType, raw, Map.of());
        }
        Object document = Json.parse(raw);
        if (!(document instanceof Map<?, ?>)) {
            throw new IllegalStateException(request + ": answer is not a JSON object: " + Json.abbreviate(raw));
        }
        return new Response(status, contentType, raw, (Map<String, Object>) document);
    }
}
