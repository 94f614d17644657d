package io.snapcoherence.charm;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/** Writing a peer databag: only the keys whose value changed, so a hook that changes nothing writes nothing. */
final class Databags {
    private Databags() {
    }

    /** relation-set of the keys whose value differs; nothing at all when nothing changed. */
    static void writeChanged(Map<String, String> current, Map<String, String> wanted,
                             Consumer<Map<String, String>> write) {
        Map<String, String> changed = new LinkedHashMap<>();
        wanted.forEach((key, value) -> {
            if (!value.equals(current.getOrDefault(key, ""))) {
                changed.put(key, value);
            }
        });
        if (!changed.isEmpty()) {
            write.accept(changed);
        }
    }
}
