package io.snapcoherence.snap;

import java.net.URI;

/** The proxy's HTTP client. (Placeholder until the snap edge lands.) */
public final class HttpStoreProxy implements StoreProxy {
    public StoreAssertions fetchAssertions(URI proxyUrl) {
        throw new UnsupportedOperationException("store proxy client not built yet");
    }
}
