package io.snapcoherence.snap;

import java.util.Optional;

/**
 * A validated assertion stream from a proxy: the store id its store assertion carries, that assertion's
 * {@code url} (where snapd will send store requests once proxy.store names the store), and the stream itself.
 */
public record StoreAssertions(String storeId, Optional<String> url, byte[] body) {
}
