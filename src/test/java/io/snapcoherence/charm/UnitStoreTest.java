package io.snapcoherence.charm;

import io.snapcoherence.juju.HookToolException;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.ModelState;
import io.snapcoherence.juju.StateHookTools;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One state-get per hook, one state-set of the changed keys at its end, unreadable values named and set aside. */
class UnitStoreTest {
    private static final UnitStore.Key<Instant> AT = new UnitStore.Key<>("at", Instant::parse, Instant::toString);
    private static final UnitStore.Key<String> WORD = UnitStore.text("word");

    /** The unit store tools of {@code state}, recording each state-get and state-set. */
    private static HookTools recording(StateHookTools state, List<String> calls) {
        return (HookTools) Proxy.newProxyInstance(HookTools.class.getClassLoader(), new Class<?>[] {HookTools.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("stateGet")) {
                        calls.add("state-get");
                    } else if (method.getName().equals("stateSet")) {
                        calls.add("state-set " + new java.util.TreeMap<>((Map<?, ?>) args[0]));
                    }
                    try {
                        return method.invoke(state, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static ModelState storing(Map<String, String> values) {
        return ModelState.of("snap-coherence/0").withUnitStore(values);
    }

    @Test
    void aHookReadsTheStoreOnceAndWritesOnlyWhatChangedOnceAtTheEnd() {
        StateHookTools state = new StateHookTools(storing(Map.of("at", "2026-11-30T08:00:00Z", "word", "kept",
                "other", "x")));
        List<String> calls = new ArrayList<>();
        UnitStore store = new UnitStore(recording(state, calls));

        assertThat(store.get(AT)).contains(Instant.parse("2026-11-30T08:00:00Z"));
        store.put(AT, Instant.parse("2026-11-30T09:00:00Z"));
        store.put(WORD, "kept");
        store.clear(UnitStore.text("other"));
        assertThat(store.get(AT)).as("read back within the hook").contains(Instant.parse("2026-11-30T09:00:00Z"));
        assertThat(store.get(UnitStore.text("other"))).isEmpty();
        assertThat(calls).containsExactly("state-get");

        store.commit();
        assertThat(calls).containsExactly("state-get", "state-set {at=2026-11-30T09:00:00Z, other=}");
        // Cleared keys hold the empty value, as state-set stores it; they read as absent.
        assertThat(state.finish(true).unitStore()).containsEntry("other", "").containsEntry("word", "kept");
    }

    @Test
    void aHookThatChangesNothingWritesNothing() {
        StateHookTools state = new StateHookTools(storing(Map.of("word", "same")));
        List<String> calls = new ArrayList<>();
        UnitStore store = new UnitStore(recording(state, calls));
        store.put(WORD, "same");
        store.clear(AT); // absent already
        store.commit();
        assertThat(calls).containsExactly("state-get");
    }

    @Test
    void anUnreadableValueIsLoggedByItsKeyAndTreatedAsAbsent() {
        StateHookTools state = new StateHookTools(storing(Map.of("at", "yesterday")));
        UnitStore store = new UnitStore(state);
        assertThat(store.get(AT)).isEmpty();
        assertThat(state.finish(true).log()).singleElement().asString()
                .startsWith("WARNING unreadable at in the unit store, treated as absent: ")
                .contains("yesterday");
        assertThatThrownBy(() -> store.require(AT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("yesterday");
    }

    @Test
    void aValuePastJujusLimitsFailsTheHookBeforeAnythingIsWritten() {
        StateHookTools state = new StateHookTools(storing(Map.of()));
        List<String> calls = new ArrayList<>();
        UnitStore store = new UnitStore(recording(state, calls));
        store.put(WORD, "fits");
        store.put(UnitStore.text("big"), "x".repeat(UnitStore.MAX_VALUE_BYTES + 1));
        assertThatThrownBy(store::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unit store key big").hasMessageContaining("65537 bytes");
        assertThat(calls).noneMatch(c -> c.startsWith("state-set"));

        UnitStore keyed = new UnitStore(state);
        keyed.put(UnitStore.text("k".repeat(UnitStore.MAX_KEY_BYTES + 1)), "v");
        assertThatThrownBy(keyed::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("(257 bytes)");
    }

    @Test
    void theLimitsAreJujusAsTheSimulatedToolsEnforceThem() {
        // At the limits the store writes; one byte past, Juju's state-set would refuse what the store lets through.
        StateHookTools state = new StateHookTools(storing(Map.of()));
        UnitStore store = new UnitStore(state);
        Map<String, String> atLimits = new LinkedHashMap<>();
        atLimits.put("k".repeat(UnitStore.MAX_KEY_BYTES), "é".repeat(UnitStore.MAX_VALUE_BYTES / 2));
        atLimits.forEach((key, value) -> store.put(UnitStore.text(key), value));
        store.commit();
        assertThat(state.finish(true).unitStore()).containsAllEntriesOf(atLimits);
        assertThatThrownBy(() -> new StateHookTools(storing(Map.of()))
                .stateSet(Map.of("k", "x".repeat(UnitStore.MAX_VALUE_BYTES + 1))))
                .isInstanceOf(HookToolException.class);
        assertThat(UnitStore.MAX_KEY_BYTES).isEqualTo(StateHookTools.MAX_STATE_KEY_BYTES);
        assertThat(UnitStore.MAX_VALUE_BYTES).isEqualTo(StateHookTools.MAX_STATE_VALUE_BYTES);
    }

    @Test
    void everyKeyTheCharmDeclaresIsTheOneListedInTheProtocolsTable() throws java.io.IOException {
        java.util.Set<String> declared = new java.util.TreeSet<>();
        java.util.regex.Pattern declaration = java.util.regex.Pattern.compile(
                "UnitStore\\.(?:Key<>|text)\\(\\s*\"([^\"]+)\"");
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/java/io/snapcoherence/charm"))) {
            for (java.nio.file.Path file : files.toList()) {
                var m = declaration.matcher(java.nio.file.Files.readString(file));
                while (m.find()) {
                    declared.add(m.group(1));
                }
            }
        }
        String protocol = java.nio.file.Files.readString(java.nio.file.Path.of("docs/protocol.md"));
        String section = protocol.substring(protocol.indexOf("## The unit store"));
        section = section.substring(0, section.indexOf("\n## ", 1));
        java.util.Set<String> listed = new java.util.TreeSet<>();
        var row = java.util.regex.Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(section);
        while (row.find()) {
            listed.add(row.group(1));
        }
        assertThat(declared).hasSize(15);
        assertThat(listed).isEqualTo(declared);
    }
}
