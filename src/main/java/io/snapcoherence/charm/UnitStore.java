package io.snapcoherence.charm;

import io.snapcoherence.juju.HookTools;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The unit's store ({@code state-get}/{@code state-set}) for one hook or action: read with one {@code state-get} when
 * first used, each key read and written through its {@link Key}, and the keys whose value changed written with one
 * {@code state-set} when the hook's work is done ({@link #commit()}). Juju commits the store only when the hook exits
 * 0, so writing at the end loses nothing a write in the middle would have kept; and a hook reads back what it wrote
 * earlier in the same hook (the values held here), as {@code state-get} after {@code state-set} would answer.
 *
 * <p>A value that cannot be read (another version's, or damaged) is logged as a warning naming its key and treated as
 * absent, here and nowhere else. An empty value is absent (so is a blank one, which the charm never writes);
 * clearing a key writes the empty value (what {@code state-set key=} stores; the charm never calls
 * {@code state-delete}). Every key and what it holds:
 * docs/protocol.md, "The unit store".
 */
final class UnitStore {
    /** Juju's limits on one entry (jujuc/state-set.go, quota.CheckTupleSize), checked before the write. */
    static final int MAX_KEY_BYTES = 256;
    static final int MAX_VALUE_BYTES = 64 * 1024;

    /** A key and how its value is read and written; {@code decode} throws on a value it cannot read. */
    record Key<T>(String name, Function<String, T> decode, Function<T, String> encode) {
    }

    static Key<String> text(String name) {
        return new Key<>(name, Function.identity(), Function.identity());
    }

    private final HookTools tools;
    private Map<String, String> stored;
    private final Map<String, String> written = new LinkedHashMap<>();

    UnitStore(HookTools tools) {
        this.tools = tools;
    }

    /** The key's value as this hook sees it; empty when absent or unreadable (logged). */
    <T> Optional<T> get(Key<T> key) {
        try {
            return require(key);
        } catch (IllegalArgumentException e) {
            tools.log(HookTools.LogLevel.WARNING, "unreadable " + key.name() + " in the unit store, treated as absent: "
                    + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The key's value, or why it cannot be read ({@link IllegalArgumentException}): for an action that shows the
     * operator what is there.
     */
    <T> Optional<T> require(Key<T> key) {
        String text = raw(key.name());
        if (text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(key.decode().apply(text));
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) { // a decoder meeting a value of another shape: a cast, a missing field
            throw new IllegalArgumentException(e.toString(), e);
        }
    }

    <T> void put(Key<T> key, T value) {
        written.put(key.name(), key.encode().apply(value));
    }

    /** Clears the key: {@code state-set} of the empty value. */
    void clear(Key<?> key) {
        written.put(key.name(), "");
    }

    /**
     * Writes the keys whose value differs from what the hook read, with one {@code state-set}; nothing when none did.
     * An entry past Juju's limits is a bug (every value the charm keeps is bounded, docs/protocol.md "Size"): it
     * fails the hook, naming the key, before anything is written.
     */
    void commit() {
        Map<String, String> changed = new LinkedHashMap<>();
        written.forEach((key, value) -> {
            if (!value.equals(stored().getOrDefault(key, ""))) {
                changed.put(key, value);
            }
        });
        changed.forEach((key, value) -> {
            int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
            int valueBytes = value.getBytes(StandardCharsets.UTF_8).length;
            if (keyBytes > MAX_KEY_BYTES || valueBytes > MAX_VALUE_BYTES) {
                throw new IllegalStateException("unit store key " + key + " (" + keyBytes + " bytes) with a value of "
                        + valueBytes + " bytes is past Juju's limits (" + MAX_KEY_BYTES + ", " + MAX_VALUE_BYTES + ")");
            }
        });
        if (!changed.isEmpty()) {
            tools.stateSet(changed);
        }
        stored().putAll(written);
        written.clear();
    }

    private String raw(String key) {
        String value = written.get(key);
        return value != null ? value : stored().getOrDefault(key, "");
    }

    private Map<String, String> stored() {
        if (stored == null) {
            stored = new java.util.HashMap<>(tools.stateGet());
        }
        return stored;
    }
}
