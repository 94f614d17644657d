package io.snapcoherence.snap;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Parses {@code snap known store}: the acknowledged store assertions, printed whole; nothing when none. */
public final class KnownStoreParser {

    private KnownStoreParser() {
    }

    public static List<StoreAssertion> parse(String stdout) {
        if (stdout.isBlank()) {
            return List.of();
        }
        return Assertions.parse(stdout.getBytes(StandardCharsets.UTF_8)).stream()
                .filter(a -> "store".equals(a.type()) && !a.header("store").orElse("").isEmpty())
                .map(a -> new StoreAssertion(a.header("store").orElse(""), a.header("url"))).toList();
    }
}
