package io.snapcoherence.snap;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Parses {@code snap known store}: the acknowledged store assertions, printed whole; nothing when none. */
public final class KnownStoreParser {

    private KnownStoreParser() {
    }

    public static List<String> parse(String stdout) {
        if (stdout.isBlank()) {
            return List.of();
        }
        return Assertions.parse(stdout.getBytes(StandardCharsets.UTF_8)).stream()
                .filter(a -> "store".equals(a.type())).map(a -> a.header("store").orElse(""))
                .filter(id -> !id.isEmpty()).toList();
    }
}
