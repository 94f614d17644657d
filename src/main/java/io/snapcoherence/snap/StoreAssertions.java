package io.snapcoherence.snap;

/** A validated assertion stream from a proxy, and the store id its store assertion carries. */
public record StoreAssertions(String storeId, byte[] body) {
}
