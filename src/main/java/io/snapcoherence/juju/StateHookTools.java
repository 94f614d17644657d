package io.snapcoherence.juju;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Hook tools served from a {@link ModelState}, with Juju's rules: writes to relation data and the unit store
 * take effect only when the hook succeeds ({@link #finish(boolean)}), status and logs at once; only the leader
 * writes the application databag or status; an unknown relation id is an error, as from the real tools.
 */
public final class StateHookTools implements HookTools {
    /** Juju checks each '.'-separated part of an action-set key against this. */
    private static final Pattern ACTION_KEY_PART = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
    /** Juju fills these itself from the action's output; ops refuses them, and so do we. */
    private static final List<String> RESERVED_ACTION_KEYS = List.of("stdout", "stdout-encoding", "stderr",
            "stderr-encoding");

    private final ModelState initial;
    private final Map<String, Map<String, String>> pendingUnitData = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> pendingAppData = new LinkedHashMap<>();
    private final Map<String, String> pendingStore;
    private final List<String> log;
    private final Map<String, String> actionResults;
    private final List<String> actionLogs;
    private Optional<String> actionFailure;
    private Status unitStatus;
    private Status appStatus;
    private String pendingVersion;
    private int relationWrites;

    public StateHookTools(ModelState state) {
        this.initial = state;
        this.pendingStore = new LinkedHashMap<>(state.unitStore());
        this.log = new ArrayList<>(state.log());
        this.actionResults = new LinkedHashMap<>(state.action().results());
        this.actionLogs = new ArrayList<>(state.action().logs());
        this.actionFailure = state.action().failure();
        this.unitStatus = state.unitStatus();
        this.appStatus = state.appStatus();
        this.pendingVersion = state.workloadVersion();
    }

    /**
     * The state after the hook. With {@code committed} false (the hook failed) relation data, the unit store
     * and the workload version are as before; statuses and logs are kept, as Juju keeps them.
     */
    public ModelState finish(boolean committed) {
        ModelState.ActionState action = new ModelState.ActionState(initial.action().name(), initial.action().params(),
                actionResults, actionFailure, actionLogs);
        ModelState base = initial.withStatuses(unitStatus, appStatus).withLog(log).withAction(action);
        if (!committed) {
            return base;
        }
        List<ModelState.RelationState> relations = new ArrayList<>();
        for (ModelState.RelationState relation : initial.relations()) {
            ModelState.RelationState updated = relation;
            Map<String, String> unitData = pendingUnitData.get(relation.id());
            if (unitData != null) {
                updated = updated.withLocalUnitData(unitData);
            }
            Map<String, String> appData = pendingAppData.get(relation.id());
            if (appData != null) {
                updated = updated.withLocalAppData(appData);
                if (relation.isPeer(initial.appName())) {
                    updated = updated.withRemoteAppData(appData);
                }
            }
            relations.add(updated);
        }
        return base.withRelations(relations).withUnitStore(pendingStore).withWorkloadVersion(pendingVersion);
    }

    /** How many relation-set calls this hook made (each one fans out to the other units). */
    public int relationWrites() {
        return relationWrites;
    }

    @Override
    public Map<String, Object> configGet() {
        return initial.config();
    }

    @Override
    public boolean isLeader() {
        return initial.leader();
    }

    @Override
    public List<String> relationIds(String endpoint) {
        return initial.relations(endpoint).stream().map(ModelState.RelationState::id).toList();
    }

    @Override
    public List<String> relationList(String relationId) {
        return List.copyOf(relation("relation-list", relationId).remoteUnitsData().keySet());
    }

    @Override
    public Map<String, String> relationGet(String relationId, String unit) {
        ModelState.RelationState relation = relation("relation-get", relationId);
        if (unit.equals(initial.unitName())) {
            return pendingUnitData.getOrDefault(relationId, relation.localUnitData());
        }
        Map<String, String> data = relation.remoteUnitsData().get(unit);
        if (data == null) {
            throw error("relation-get", List.of("-r", relationId, "--format=json", "-", unit),
                    "ERROR cannot read settings for unit \"" + unit + "\" in relation \"" + relationId
                            + "\": unit \"" + unit + "\": settings not found");
        }
        return data;
    }

    @Override
    public Map<String, String> relationGetApp(String relationId, String app) {
        ModelState.RelationState relation = relation("relation-get", relationId);
        if (app.equals(initial.appName())) {
            return pendingAppData.getOrDefault(relationId, relation.localAppData());
        }
        if (app.equals(relation.remoteApp())) {
            return relation.remoteAppData();
        }
        throw error("relation-get", List.of("-r", relationId, "--app", "--format=json", "-", app),
                "ERROR application \"" + app + "\" is not in relation \"" + relationId + "\"");
    }

    @Override
    public void relationSet(String relationId, Map<String, String> values) {
        ModelState.RelationState relation = relation("relation-set", relationId);
        Map<String, String> data = new LinkedHashMap<>(pendingUnitData.getOrDefault(relationId,
                relation.localUnitData()));
        apply(data, values);
        pendingUnitData.put(relationId, data);
        relationWrites++;
    }

    @Override
    public void relationSetApp(String relationId, Map<String, String> values) {
        ModelState.RelationState relation = relation("relation-set", relationId);
        if (!initial.leader()) {
            throw error("relation-set", List.of("-r", relationId, "--app", "--file", "-"),
                    "ERROR cannot write relation settings: this unit is not the leader");
        }
        Map<String, String> data = new LinkedHashMap<>(pendingAppData.getOrDefault(relationId,
                relation.localAppData()));
        apply(data, values);
        pendingAppData.put(relationId, data);
        relationWrites++;
    }

    @Override
    public void statusSet(Status status) {
        unitStatus = status;
    }

    @Override
    public void appStatusSet(Status status) {
        if (!initial.leader()) {
            throw error("status-set", List.of("--application=True", status.kind().jujuName(), "--",
                    status.message()), "ERROR this unit is not the leader");
        }
        appStatus = status;
    }

    @Override
    public Map<String, String> stateGet() {
        return Map.copyOf(pendingStore);
    }

    @Override
    public void stateSet(Map<String, String> values) {
        apply(pendingStore, values);
    }

    @Override
    public Map<String, Object> actionGet() {
        requireAction("action-get");
        return initial.action().params();
    }

    @Override
    public void actionSet(Map<String, String> results) {
        requireAction("action-set");
        for (String key : results.keySet()) {
            boolean valid = java.util.Arrays.stream(key.split("\\.", -1))
                    .allMatch(part -> ACTION_KEY_PART.matcher(part).matches());
            if (!valid || RESERVED_ACTION_KEYS.contains(key)) {
                throw error("action-set", List.of(key + "=" + results.get(key)),
                        "ERROR key \"" + key + "\" must start and end with lowercase alphanumeric, "
                                + "and contain only lowercase alphanumeric, hyphens and periods");
            }
        }
        actionResults.putAll(results);
    }

    @Override
    public void actionFail(String message) {
        requireAction("action-fail");
        actionFailure = Optional.of(message);
    }

    @Override
    public void actionLog(String message) {
        requireAction("action-log");
        actionLogs.add(message);
    }

    @Override
    public void log(LogLevel level, String message) {
        log.add(level + " " + message);
    }

    @Override
    public void applicationVersionSet(String version) {
        pendingVersion = version;
    }

    private ModelState.RelationState relation(String tool, String relationId) {
        return initial.relation(relationId).orElseThrow(() -> error(tool, List.of("-r", relationId),
                "ERROR invalid value \"" + relationId + "\" for option -r: relation not found"));
    }

    private void requireAction(String tool) {
        if (initial.action().name().isEmpty()) {
            throw error(tool, List.of(), "ERROR not running an action");
        }
    }

    private static void apply(Map<String, String> data, Map<String, String> values) {
        values.forEach((key, value) -> {
            if (value == null || value.isEmpty()) {
                data.remove(key);
            } else {
                data.put(key, value);
            }
        });
    }

    private static HookToolException error(String tool, List<String> args, String stderr) {
        List<String> argv = new ArrayList<>();
        argv.add(tool);
        argv.addAll(args);
        return new HookToolException(tool, argv, 1, stderr);
    }
}
