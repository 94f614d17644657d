package io.snapcoherence.e2e;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A kubelet's healthz endpoint where the packed charm asks it, {@code http://127.0.0.1:10248/healthz} (Kubernetes'
 * default healthz port, which Charmed Kubernetes leaves as it is): 200 with the verbose body Kubernetes' healthz
 * handler writes. The packed charm's hooks on a machine without Kubernetes refresh kubelet too; this is the node
 * answering. Fails to start when the port is taken (a real kubelet on the machine).
 */
final class KubeletHealthz implements AutoCloseable {
    static final int PORT = 10248;
    private final HttpServer server;
    final List<String> requests = new CopyOnWriteArrayList<>();

    KubeletHealthz() throws IOException {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT), 0);
        } catch (BindException e) {
            throw new IllegalStateException("127.0.0.1:" + PORT + " is taken (a kubelet on this machine?): the "
                    + "packed charm's health check would ask it", e);
        }
        server.createContext("/healthz", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            byte[] body = "[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
