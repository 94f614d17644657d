package io.snapcoherence.snap;

import java.net.URI;

/**
 * The Snap Store Proxy's registration endpoint: {@code GET <proxy>/v2/auth/store/assertions}, validated
 * before anything reaches snapd.
 */
public interface StoreProxy {

    /** Fetches and validates the proxy's assertions; throws {@link ProxyException} with a typed reason. */
    StoreAssertions fetchAssertions(URI proxyUrl);
}
