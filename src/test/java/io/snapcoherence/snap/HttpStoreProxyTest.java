package io.snapcoherence.snap;

import io.snapcoherence.snap.fakestore.FakeSnapStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class HttpStoreProxyTest {
    private static FakeSnapStore store;
    // Limits generous enough for a loaded machine; the slow proxy's test sets its own short one.
    private final HttpStoreProxy proxy = new HttpStoreProxy(Duration.ofSeconds(10), Duration.ofSeconds(10), 64 * 1024);

    @BeforeAll
    static void start() throws IOException {
        store = new FakeSnapStore();
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    @BeforeEach
    void reset() {
        store.reset();
    }

    @Test
    void acceptsAValidStreamAndReturnsTheStoreId() {
        StoreAssertions assertions = proxy.fetchAssertions(store.url());

        assertThat(assertions.storeId()).isEqualTo("fake-store-id");
        assertThat(new String(assertions.body(), StandardCharsets.UTF_8)).contains("type: store\n");
        assertThat(store.requests()).containsExactly("GET /v2/auth/store/assertions");
    }

    @Test
    void aTrailingSlashInTheProxyUrlIsHarmless() {
        assertThat(proxy.fetchAssertions(URI.create(store.url() + "/")).storeId()).isEqualTo("fake-store-id");
    }

    @Test
    void serverErrorIsTransientAndNamesUrlAndStatus() {
        store.fault(FakeSnapStore.Fault.SERVER_ERROR);
        ProxyException e = fetchFails();
        assertThat(e.isTransient()).isTrue();
        assertThat(e.getMessage()).isEqualTo(store.url() + "/v2/auth/store/assertions: HTTP 503");
    }

    @Test
    void clientErrorIsNotTransient() {
        store.fault(FakeSnapStore.Fault.NOT_FOUND);
        ProxyException e = fetchFails();
        assertThat(e.isTransient()).isFalse();
        assertThat(e.getMessage()).endsWith("HTTP 404");
    }

    @Test
    void slowProxyTimesOutAsTransient() {
        store.fault(FakeSnapStore.Fault.SLOW); // never answers
        HttpStoreProxy impatient = new HttpStoreProxy(Duration.ofSeconds(10), Duration.ofMillis(500), 64 * 1024);
        ProxyException e = catchThrowableOfType(() -> impatient.fetchAssertions(store.url()), ProxyException.class);
        assertThat(e.isTransient()).isTrue();
        assertThat(e.getMessage()).contains("no answer within");
    }

    @Test
    void refusedConnectionIsTransient() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ProxyException e = catchThrowableOfType(() -> proxy.fetchAssertions(URI.create("http://127.0.0.1:" + port)),
                ProxyException.class);
        assertThat(e.isTransient()).isTrue();
        assertThat(e.getMessage()).contains("127.0.0.1:" + port).contains("connection refused");
    }

    @Test
    void emptyBodyIsRejected() {
        store.fault(FakeSnapStore.Fault.EMPTY);
        ProxyException e = fetchFails();
        assertThat(e.isTransient()).isFalse();
        assertThat(e.getMessage()).endsWith("empty response");
    }

    @Test
    void garbageIsRejected() {
        store.fault(FakeSnapStore.Fault.GARBAGE);
        ProxyException e = fetchFails();
        assertThat(e.isTransient()).isFalse();
        assertThat(e.getMessage()).contains("not an assertion stream");
    }

    @Test
    void storeIdHeaderMustMatchTheStoreAssertion() {
        store.fault(FakeSnapStore.Fault.WRONG_STORE_ID);
        ProxyException e = fetchFails();
        assertThat(e.isTransient()).isFalse();
        assertThat(e.getMessage()).contains("store id mismatch: X-Assertion-Store-Id says other-store-id, "
                + "the store assertion says fake-store-id");
    }

    @Test
    void aProxyThatSendsNoStoreIdHeaderIsAcceptedAndTheStoreAssertionsUrlIsKept() {
        byte[] stream = io.snapcoherence.snap.fakestore.FakeAssertions.streamFor("fake-store-id", "http://proxy:8080")
                .getBytes(StandardCharsets.UTF_8);

        StoreAssertions accepted = HttpStoreProxy.validate(URI.create("http://proxy:8080"), stream,
                java.util.Optional.empty());

        assertThat(accepted.storeId()).isEqualTo("fake-store-id");
        assertThat(accepted.url()).hasValue("http://proxy:8080");
        ProxyException disagreeing = catchThrowableOfType(() -> HttpStoreProxy.validate(URI.create("http://proxy:8080"),
                stream, java.util.Optional.of("other")), ProxyException.class);
        assertThat(disagreeing.getMessage()).contains("store id mismatch");
    }

    @Test
    void wrongContentTypeIsRejected() {
        store.fault(FakeSnapStore.Fault.WRONG_CONTENT_TYPE);
        assertThat(fetchFails().getMessage()).contains("content type is \"text/html\"");
    }

    @Test
    void oversizedBodyIsRejected() {
        HttpStoreProxy tiny = new HttpStoreProxy(Duration.ofSeconds(10), Duration.ofSeconds(10), 100);
        ProxyException e = catchThrowableOfType(() -> tiny.fetchAssertions(store.url()), ProxyException.class);
        assertThat(e.getMessage()).contains("larger than 100 bytes");
    }

    @Test
    void streamWithoutStoreAssertionIsRejected() {
        String accountOnly = "type: account\naccount-id: x\n\nAcLBsig==\n";
        ProxyException e = catchThrowableOfType(() -> HttpStoreProxy.validate(URI.create("http://p"),
                accountOnly.getBytes(StandardCharsets.UTF_8), java.util.Optional.of("x")), ProxyException.class);
        assertThat(e.getMessage()).isEqualTo("http://p: no store assertion in the response");
    }

    private ProxyException fetchFails() {
        return catchThrowableOfType(() -> proxy.fetchAssertions(store.url()), ProxyException.class);
    }
}
