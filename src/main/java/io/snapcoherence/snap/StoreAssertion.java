package io.snapcoherence.snap;

import java.util.Optional;

/** An acknowledged store assertion: its store id and url (snapd points proxy.store at this url). */
public record StoreAssertion(String storeId, Optional<String> url) {
}
