package io.snapcoherence.juju;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The event and context read from the environment exactly as Juju sets it for each kind of hook and action. */
class JujuContextTest {

    private static Map<String, String> juju(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("JUJU_UNIT_NAME", "snap-coherence/3");
        env.put("JUJU_MODEL_NAME", "k8s");
        env.put("JUJU_CHARM_DIR", "/var/lib/juju/agents/unit-snap-coherence-3/charm");
        env.put("JUJU_PRINCIPAL_UNIT", "kubernetes-worker/7");
        env.put("JUJU_VERSION", "3.6.1");
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @ParameterizedTest
    @EnumSource(Event.LifecycleKind.class)
    void everyLifecycleHook(Event.LifecycleKind kind) {
        JujuContext context = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", "hooks/" + kind.hookName(),
                "JUJU_HOOK_NAME", kind.hookName()));

        assertThat(context.event()).isEqualTo(new Event.Lifecycle(kind));
        assertThat(context.event().name()).isEqualTo(kind.hookName());
    }

    @Test
    void theContextAroundTheEvent() {
        JujuContext context = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", "hooks/install"));

        assertThat(context.unitName()).isEqualTo("snap-coherence/3");
        assertThat(context.appName()).isEqualTo("snap-coherence");
        assertThat(context.modelName()).isEqualTo("k8s");
        assertThat(context.charmDir()).isEqualTo(Path.of("/var/lib/juju/agents/unit-snap-coherence-3/charm"));
        assertThat(context.principalUnit()).contains("kubernetes-worker/7");
    }

    static Stream<Arguments> relationHooks() {
        Stream.Builder<Arguments> hooks = Stream.builder();
        Map<String, String> remoteApps = Map.of("coherence", "snap-coherence", "control-plane",
                "kubernetes-control-plane", "worker", "kubernetes-worker");
        remoteApps.forEach((endpoint, app) -> {
            for (Event.RelationKind kind : Event.RelationKind.values()) {
                hooks.add(Arguments.of(endpoint, kind, app));
            }
        });
        return hooks.build();
    }

    @ParameterizedTest(name = "{0}{1}")
    @MethodSource("relationHooks")
    void everyRelationHookOfEveryEndpoint(String endpoint, Event.RelationKind kind, String remoteApp) {
        String hook = endpoint + kind.hookSuffix();
        String remoteUnit = remoteApp + "/5";
        Map<String, String> env = juju("JUJU_DISPATCH_PATH", "hooks/" + hook, "JUJU_HOOK_NAME", hook,
                "JUJU_RELATION", endpoint, "JUJU_RELATION_ID", endpoint + ":4", "JUJU_REMOTE_APP", remoteApp,
                "JUJU_REMOTE_UNIT", remoteUnit);
        if (kind == Event.RelationKind.DEPARTED) {
            env.put("JUJU_DEPARTING_UNIT", remoteUnit);
        }

        Event event = JujuContext.fromEnvironment(env).event();

        assertThat(event).isEqualTo(new Event.Relation(endpoint, kind, endpoint + ":4", Optional.of(remoteUnit),
                Optional.of(remoteApp), kind == Event.RelationKind.DEPARTED ? Optional.of(remoteUnit)
                : Optional.empty()));
        assertThat(event.name()).isEqualTo(hook);
    }

    @Test
    void anAppDataChangeHasNoRemoteUnit() {
        Event event = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", "hooks/coherence-relation-changed",
                "JUJU_RELATION_ID", "coherence:4", "JUJU_REMOTE_APP", "snap-coherence", "JUJU_REMOTE_UNIT", ""))
                .event();

        assertThat(event).isInstanceOfSatisfying(Event.Relation.class, relation -> {
            assertThat(relation.remoteUnit()).isEmpty();
            assertThat(relation.remoteApp()).contains("snap-coherence");
            assertThat(relation.departingUnit()).isEmpty();
        });
    }

    @Test
    void theDepartingUnitMayBeThisUnit() {
        Event event = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", "hooks/coherence-relation-departed",
                "JUJU_RELATION_ID", "coherence:4", "JUJU_REMOTE_APP", "snap-coherence",
                "JUJU_REMOTE_UNIT", "snap-coherence/5", "JUJU_DEPARTING_UNIT", "snap-coherence/3")).event();

        assertThat(event).isInstanceOfSatisfying(Event.Relation.class, relation -> {
            assertThat(relation.remoteUnit()).contains("snap-coherence/5");
            assertThat(relation.departingUnit()).contains("snap-coherence/3");
        });
    }

    @Test
    void olderJujuWithoutRemoteAppNamesItThroughTheRemoteUnit() {
        Event event = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", "hooks/worker-relation-joined",
                "JUJU_RELATION_ID", "worker:2", "JUJU_REMOTE_UNIT", "kubernetes-worker/7")).event();

        assertThat(event).isInstanceOfSatisfying(Event.Relation.class,
                relation -> assertThat(relation.remoteApp()).contains("kubernetes-worker"));
    }

    @Test
    void anActionThroughDispatchPath() {
        Event event = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", "actions/refresh",
                "JUJU_ACTION_NAME", "refresh", "JUJU_ACTION_UUID", "42", "JUJU_HOOK_NAME", "")).event();

        assertThat(event).isEqualTo(new Event.Action("refresh", "42"));
    }

    @Test
    void anActionWithoutDispatchPath() {
        Event event = JujuContext.fromEnvironment(juju("JUJU_ACTION_NAME", "pause", "JUJU_ACTION_UUID", "7"))
                .event();

        assertThat(event).isEqualTo(new Event.Action("pause", "7"));
    }

    @Test
    void withoutDispatchPathTheHookNameIsUsed() {
        Event event = JujuContext.fromEnvironment(juju("JUJU_HOOK_NAME", "config-changed")).event();

        assertThat(event).isEqualTo(new Event.Lifecycle(Event.LifecycleKind.CONFIG_CHANGED));
    }

    @Test
    void theDispatchPathWinsOverTheHookName() {
        Event event = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", "hooks/start",
                "JUJU_HOOK_NAME", "install")).event();

        assertThat(event).isEqualTo(new Event.Lifecycle(Event.LifecycleKind.START));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hooks/collect-metrics", "hooks/secret-changed", "hooks/coherence-relation-changed",
            "hooks/-relation-changed", "hooks/dispatch", "hooks/", "actions/", "something-else", ""})
    void hooksTheCharmDoesNotKnowAreUnknown(String dispatchPath) {
        // coherence-relation-changed without JUJU_RELATION_ID cannot be handled as a relation event.
        Event event = JujuContext.fromEnvironment(juju("JUJU_DISPATCH_PATH", dispatchPath)).event();

        assertThat(event).isInstanceOf(Event.Unknown.class);
    }

    @Test
    void aMissingUnitNameIsRefused() {
        Map<String, String> env = juju("JUJU_DISPATCH_PATH", "hooks/install");
        env.remove("JUJU_UNIT_NAME");

        assertThatThrownBy(() -> JujuContext.fromEnvironment(env))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JUJU_UNIT_NAME");
    }
}
