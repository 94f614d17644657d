package io.snapcoherence.juju;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Everything Juju tells a hook process through its environment, read once at start-up.
 * Nothing else in the charm reads the environment.
 */
public record JujuContext(String unitName, String modelName, Path charmDir, Optional<String> principalUnit,
                          Event event) {

    public JujuContext {
        if (unitName == null || !unitName.matches("[a-z][a-z0-9-]*/[0-9]+")) {
            throw new IllegalArgumentException("JUJU_UNIT_NAME is not a unit name: " + unitName);
        }
    }

    public String appName() {
        return unitName.substring(0, unitName.indexOf('/'));
    }

    /**
     * Reads the context from Juju's environment. {@code JUJU_DISPATCH_PATH} ({@code hooks/<name>} or
     * {@code actions/<name>}) wins; {@code JUJU_ACTION_NAME} and {@code JUJU_HOOK_NAME} are the fallbacks.
     */
    public static JujuContext fromEnvironment(Map<String, String> env) {
        String unit = env.get("JUJU_UNIT_NAME");
        String dispatchPath = value(env, "JUJU_DISPATCH_PATH").orElse("");
        Optional<String> actionName = dispatchPath.startsWith("actions/")
                ? Optional.of(dispatchPath.substring("actions/".length())).filter(name -> !name.isEmpty())
                : dispatchPath.isEmpty() ? value(env, "JUJU_ACTION_NAME") : Optional.empty();
        Event event;
        if (actionName.isPresent()) {
            event = new Event.Action(actionName.get(), value(env, "JUJU_ACTION_UUID").orElse(""));
        } else if (dispatchPath.startsWith("actions/")) {
            event = new Event.Unknown(dispatchPath);
        } else {
            String hook = dispatchPath.startsWith("hooks/") ? dispatchPath.substring("hooks/".length())
                    : value(env, "JUJU_HOOK_NAME").orElse(dispatchPath);
            Optional<String> remoteUnit = value(env, "JUJU_REMOTE_UNIT");
            // Juju before 2.7 sets no JUJU_REMOTE_APP; the remote unit's name carries it.
            Optional<String> remoteApp = value(env, "JUJU_REMOTE_APP")
                    .or(() -> remoteUnit.map(remote -> remote.substring(0, Math.max(0, remote.indexOf('/')))));
            event = Event.ofHook(hook, env.get("JUJU_RELATION_ID"), remoteUnit, remoteApp.filter(a -> !a.isEmpty()),
                    value(env, "JUJU_DEPARTING_UNIT"));
        }
        Path charmDir = Path.of(value(env, "JUJU_CHARM_DIR").orElse("."));
        return new JujuContext(unit, value(env, "JUJU_MODEL_NAME").orElse(""), charmDir,
                value(env, "JUJU_PRINCIPAL_UNIT"), event);
    }

    private static Optional<String> value(Map<String, String> env, String key) {
        String value = env.get(key);
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
