package io.snapcoherence.snap;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The proxy's registration endpoint over HTTP: {@code GET <proxy-url>/v2/auth/store/assertions}. Everything is
 * checked before it can reach snapd, because snapd itself acknowledges an empty body silently: status 200,
 * content type, a non-empty body within {@link #maxBytes}, the shape of an assertion stream, one {@code store}
 * assertion, and {@code X-Assertion-Store-Id}, when sent, equal to that assertion's {@code store:} header.
 * Comparing with the operator's {@code store-id} config is the registration's job.
 */
public final class HttpStoreProxy implements StoreProxy {
    public static final String PATH = "/v2/auth/store/assertions";
    public static final String CONTENT_TYPE = "application/x.ubuntu.assertion";
    public static final String STORE_ID_HEADER = "X-Assertion-Store-Id";
    /** A proxy's stream is a few kB (three assertions); anything far larger is not what we asked for. */
    public static final int DEFAULT_MAX_BYTES = 1 << 20;

    private final Duration requestTimeout;
    private final int maxBytes;
    private final HttpClient client;

    /** Hook-friendly defaults: a proxy that does not answer within seconds is treated as down (retry next hook). */
    public HttpStoreProxy() {
        this(Duration.ofSeconds(5), Duration.ofSeconds(15), DEFAULT_MAX_BYTES);
    }

    public HttpStoreProxy(Duration connectTimeout, Duration requestTimeout, int maxBytes) {
        this.requestTimeout = requestTimeout;
        this.maxBytes = maxBytes;
        this.client = HttpClient.newBuilder().connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public StoreAssertions fetchAssertions(URI proxyUrl) {
        URI url = URI.create(proxyUrl.toString().replaceAll("/+$", "") + PATH);
        HttpRequest request = HttpRequest.newBuilder(url).timeout(requestTimeout)
                .header("Accept", CONTENT_TYPE).GET().build();
        HttpResponse<InputStream> response;
        byte[] body;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw failure(url, "HTTP " + response.statusCode(), response.statusCode() >= 500);
                }
                body = in.readNBytes(maxBytes + 1);
            }
        } catch (HttpConnectTimeoutException e) {
            throw failure(url, "connect timed out", true);
        } catch (HttpTimeoutException e) {
            throw failure(url, "no answer within " + requestTimeout.toSeconds() + "s", true);
        } catch (ConnectException e) {
            throw failure(url, "connection refused", true);
        } catch (IOException e) {
            throw failure(url, "network error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(url, "interrupted", true);
        }
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        if (!contentType.toLowerCase(Locale.ROOT).startsWith(CONTENT_TYPE)) {
            throw failure(url, "content type is \"" + contentType + "\", expected " + CONTENT_TYPE, false);
        }
        if (body.length > maxBytes) {
            throw failure(url, "response larger than " + maxBytes + " bytes", false);
        }
        if (body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw failure(url, "empty response", false);
        }
        return validate(url, body, response.headers().firstValue(STORE_ID_HEADER));
    }

    /**
     * The checks on a 200 answer's body and store id header, apart from the transport. A proxy that sends no
     * {@value #STORE_ID_HEADER} is accepted (Juju's core/snap LookupAssertions reads the store id from the store
     * assertion alone); one whose header disagrees with the store assertion is not.
     */
    static StoreAssertions validate(URI url, byte[] body, java.util.Optional<String> headerStoreId) {
        List<Assertions.Assertion> assertions;
        try {
            assertions = Assertions.parse(body);
        } catch (Assertions.FormatException e) {
            throw failure(url, "response is not an assertion stream: " + e.getMessage(), false);
        }
        List<Assertions.Assertion> stores = assertions.stream().filter(a -> "store".equals(a.type())).toList();
        if (stores.isEmpty()) {
            throw failure(url, "no store assertion in the response", false);
        }
        String storeId = stores.get(0).header("store").orElse("");
        if (stores.size() > 1 || storeId.isBlank()) {
            throw failure(url, "expected one store assertion with a store id, got "
                    + stores.stream().map(a -> a.header("store").orElse("")).toList(), false);
        }
        String header = headerStoreId.map(String::strip).orElse("");
        if (!header.isEmpty() && !header.equals(storeId)) {
            throw failure(url, "store id mismatch: " + STORE_ID_HEADER + " says " + header
                    + ", the store assertion says " + storeId, false);
        }
        return new StoreAssertions(storeId, stores.get(0).header("url").filter(u -> !u.isBlank()), body);
    }

    private static ProxyException failure(URI url, String reason, boolean transientFailure) {
        return new ProxyException(url + ": " + reason, transientFailure);
    }
}
