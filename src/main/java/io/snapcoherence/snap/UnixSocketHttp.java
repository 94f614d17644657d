package io.snapcoherence.snap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP/1.0 exchange on a UNIX socket: connect, write the request, read the answer until the server closes or
 * its Content-Length is reached, all within one deadline. HTTP/1.0 because a request then never gets a chunked
 * body and the server closes the connection after its answer (Go's net/http, which snapd serves with, does both),
 * so a response is just a status line, headers and bytes; one connection per request, as snapd's own CLI does.
 * Non-blocking I/O under a {@link Selector} enforces the deadline on every phase without a thread.
 */
final class UnixSocketHttp {

    /** An answer: status code, headers (names in lower case) and the body. */
    record Response(int status, Map<String, String> headers, byte[] body) {
    }

    /** Nothing listens on the socket (missing, refused, or its backlog is full). */
    static final class Unreachable extends IOException {
        Unreachable(String message) {
            super(message);
        }
    }

    /** The deadline passed; {@code phase} says in which step. */
    static final class TimedOut extends IOException {
        TimedOut(String phase) {
            super(phase);
        }
    }

    /** The answer is not HTTP as we asked for it: garbage, truncated, chunked or too large. */
    static final class Malformed extends IOException {
        Malformed(String message) {
            super(message);
        }
    }

    private final Path socket;
    private final int maxResponseBytes;

    UnixSocketHttp(Path socket, int maxResponseBytes) {
        this.socket = socket;
        this.maxResponseBytes = maxResponseBytes;
    }

    Path socket() {
        return socket;
    }

    /**
     * Sends {@code method target} with an optional body and returns the answer.
     *
     * @throws Unreachable when nothing accepts the connection
     * @throws TimedOut    when the whole exchange does not finish within {@code limit}
     * @throws Malformed   when the answer cannot be read as HTTP
     * @throws IOException when the connection breaks in the middle
     */
    Response exchange(String method, String target, Optional<byte[]> body, String contentType, Duration limit)
            throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            boolean connected;
            try {
                connected = channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new Unreachable("cannot connect to " + socket + ": " + reason(e));
            }
            SelectionKey key = channel.register(selector, 0);
            if (!connected) {
                awaitReady(selector, key, SelectionKey.OP_CONNECT, deadline, "connecting");
                try {
                    channel.finishConnect();
                } catch (IOException e) {
                    throw new Unreachable("cannot connect to " + socket + ": " + reason(e));
                }
            }
            ByteBuffer request = ByteBuffer.wrap(request(method, target, body, contentType));
            while (request.hasRemaining()) {
                if (channel.write(request) == 0) {
                    awaitReady(selector, key, SelectionKey.OP_WRITE, deadline, "sending the request");
                }
            }
            return read(channel, selector, key, deadline);
        }
    }

    private static byte[] request(String method, String target, Optional<byte[]> body, String contentType) {
        StringBuilder head = new StringBuilder(160);
        head.append(method).append(' ').append(target).append(" HTTP/1.0\r\nHost: localhost\r\n")
                .append("User-Agent: snap-coherence\r\n");
        if (body.isPresent()) {
            head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ")
                    .append(body.get().length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (body.isEmpty()) {
            return headBytes;
        }
        byte[] all = new byte[headBytes.length + body.get().length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body.get(), 0, all, headBytes.length, body.get().length);
        return all;
    }

    private Response read(SocketChannel channel, Selector selector, SelectionKey key, long deadline)
            throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream(8192);
        ByteBuffer buffer = ByteBuffer.allocate(16384);
        int headerEnd = -1;
        Response head = null;
        long expected = -1;
        while (true) {
            int n = channel.read(buffer);
            if (n < 0) {
                break;
            }
            if (n == 0) {
                awaitReady(selector, key, SelectionKey.OP_READ, deadline, "reading the answer");
                continue;
            }
            received.write(buffer.array(), 0, buffer.position());
            buffer.clear();
            if (received.size() > maxResponseBytes) {
                throw new Malformed("answer larger than " + maxResponseBytes + " bytes");
            }
            if (headerEnd < 0) {
                headerEnd = indexOfBlankLine(received.toByteArray());
                if (headerEnd >= 0) {
                    head = parseHead(new String(received.toByteArray(), 0, headerEnd, StandardCharsets.ISO_8859_1));
                    expected = contentLength(head);
                }
            }
            if (expected >= 0 && received.size() - (headerEnd + 4) >= expected) {
                break; // all of a Content-Length body: no need to wait for the close
            }
        }
        byte[] all = received.toByteArray();
        if (all.length == 0) {
            // What a server that stops or restarts while answering leaves: not an answer, the connection broke.
            throw new IOException("connection closed without an answer");
        }
        if (headerEnd < 0) {
            throw new Malformed("answer ends inside its headers after " + all.length + " bytes");
        }
        int bodyLength = all.length - (headerEnd + 4);
        if (expected >= 0 && bodyLength != expected) {
            throw new Malformed("body of " + bodyLength + " bytes, Content-Length says " + expected);
        }
        byte[] body = new byte[bodyLength];
        System.arraycopy(all, headerEnd + 4, body, 0, bodyLength);
        return new Response(head.status(), head.headers(), body);
    }

    private static void awaitReady(Selector selector, SelectionKey key, int operation, long deadline, String phase)
            throws IOException {
        key.interestOps(operation);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimedOut(phase);
            }
            // select(0) would wait forever: round a last fraction of a millisecond up to one.
            selector.select(Math.max(1, left / 1_000_000));
            if (selector.selectedKeys().remove(key)) {
                return;
            }
        }
    }

    private static int indexOfBlankLine(byte[] bytes) {
        for (int i = 0; i + 3 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static Response parseHead(String head) throws Malformed {
        String[] lines = head.split("\r\n", -1);
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].matches("HTTP/1\\.[01]") || !status[1].matches("[1-5][0-9][0-9]")) {
            throw new Malformed("not an HTTP status line: " + abbreviate(lines[0]));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                throw new Malformed("not a header line: " + abbreviate(lines[i]));
            }
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                    lines[i].substring(colon + 1).strip());
        }
        if (headers.containsKey("transfer-encoding")) {
            throw new Malformed("Transfer-Encoding " + headers.get("transfer-encoding") + " in an HTTP/1.0 answer");
        }
        return new Response(Integer.parseInt(status[1]), headers, new byte[0]);
    }

    private long contentLength(Response head) throws Malformed {
        String value = head.headers().get("content-length");
        if (value == null) {
            return -1;
        }
        try {
            long length = Long.parseLong(value);
            if (length < 0) {
                throw new NumberFormatException();
            }
            if (length > maxResponseBytes) {
                throw new Malformed("Content-Length " + length + " is larger than " + maxResponseBytes + " bytes");
            }
            return length;
        } catch (NumberFormatException e) {
            throw new Malformed("Content-Length is not a size: " + abbreviate(value));
        }
    }

    private static String reason(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
