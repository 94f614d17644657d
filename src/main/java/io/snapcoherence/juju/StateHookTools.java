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
 * writes the application databag or status; an unknown relation id is an error, as from the real tools; the unit
 * store's size limits hold as the controller enforces them ({@link #stateSet}, {@link #commitRefusal()}).
 */
public final class StateHookTools implements HookTools {
    /**
     * Juju's fixed unit-store limits (core/quota/fixed_limits.go: MaxCharmStateKeySize, MaxCharmStateValueSize),
     * checked when {@code state-set} runs (runner/context/context.go SetCharmStateValue, quota.CheckTupleSize).
     */
    public static final int MAX_STATE_KEY_BYTES = 256;
    public static final int MAX_STATE_VALUE_BYTES = 64 * 1024;
    /**
     * The controller's default {@code max-charm-state-size} (controller config, DefaultMaxCharmStateSize: 2 MiB),
     * the BSON size of the whole store, checked when the hook's changes commit (state/unitstate.go
     * getCharmStateQuotaChecker, quota.BSONTotalSizeChecker).
     */
    public static final int MAX_STATE_TOTAL_BYTES = 2 * 1024 * 1024;

    /**
     * Where {@code relation-get} of a remote unit reads: by default the data in the {@link ModelState}; the
     * simulator's unit agents read through their relation cache, as Juju's uniter does. Empty: no such settings.
     */
    @FunctionalInterface
    public interface RemoteUnitReader {
        Optional<Map<String, String>> read(String relationId, String unit);
    }

    /**
     * Where {@code status-get --application=True} reads every unit's workload status: by default only this unit's,
     * as the {@link ModelState} holds it; the simulator answers from the model at the moment of the call, as Juju's
     * controller does (a status set by another unit's hook is there at once, whether or not that hook commits).
     */
    @FunctionalInterface
    public interface StatusReader {
        Map<String, WorkloadStatus> read();
    }

    /** Juju checks each '.'-separated part of an action-set key against this. */
    private static final Pattern ACTION_KEY_PART = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
    /** Juju fills these itself from the action's output; ops refuses them, and so do we. */
    private static final List<String> RESERVED_ACTION_KEYS = List.of("stdout", "stdout-encoding", "stderr",
            "stderr-encoding");

    private final ModelState initial;
    private final RemoteUnitReader remoteReader;
    private final StatusReader statusReader;
    private boolean statusSetInHook;
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
        this(state, (relationId, unit) -> state.relation(relationId)
                .flatMap(r -> Optional.ofNullable(r.remoteUnitsData().get(unit))));
    }

    public StateHookTools(ModelState state, RemoteUnitReader remoteReader) {
        this(state, remoteReader, () -> Map.of(state.unitName(), WorkloadStatus.of(state.unitStatus())));
    }

    public StateHookTools(ModelState state, RemoteUnitReader remoteReader, StatusReader statusReader) {
        this.initial = state;
        this.remoteReader = remoteReader;
        this.statusReader = statusReader;
        this.pendingStore = new LinkedHashMap<>(state.unitStore());
        this.log = new ArrayList<>(state.log());
        this.actionResults = new LinkedHashMap<>(state.action().results());
        this.actionLogs = new ArrayList<>(state.action().logs());
        this.actionFailure = state.action().failure();
        this.unitStatus = state.unitStatus();
        this.appStatus = state.appStatus();
        this.pendingVersion = state.workloadVersion();
    }

    /** The state the hook starts from. */
    public ModelState before() {
        return initial;
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
                updated = updated.withLocalAppData(appData); // a peer relation's one app databag
            }
            relations.add(updated);
        }
        return base.withRelations(relations).withUnitStore(pendingStore).withWorkloadVersion(pendingVersion);
    }

    /**
     * Why the controller would refuse to commit this hook's changes, if it would: the unit store over
     * {@link #MAX_STATE_TOTAL_BYTES} once the hook's {@code state-set} calls are applied (checked only when the
     * store changed, as state/unitstate.go does). A refused commit fails the hook as a whole: nothing of it lands.
     */
    public Optional<String> commitRefusal() {
        if (pendingStore.equals(initial.unitStore())) {
            return Optional.empty();
        }
        long size = bsonSize(pendingStore);
        return size > MAX_STATE_TOTAL_BYTES
                ? Optional.of("persisting charm state: max allowed size (" + MAX_STATE_TOTAL_BYTES + ") exceeded")
                : Optional.empty();
    }

    /** Whether this hook wrote an application databag (the controller then checks its leadership at commit). */
    public boolean wroteAppData() {
        return !pendingAppData.isEmpty();
    }

    /**
     * The size of a string map as a BSON document, as quota.BSONTotalSizeChecker measures it: int32 length,
     * per entry a type byte, the key as a C string and the value as int32 length + bytes + NUL, a closing NUL.
     * Keys with '.' or '$' are escaped to 3-byte characters first (mongo/utils EscapeKey).
     */
    static long bsonSize(Map<String, String> store) {
        long size = 5;
        for (Map.Entry<String, String> entry : store.entrySet()) {
            String key = entry.getKey();
            long escapes = key.chars().filter(c -> c == '.' || c == '$').count();
            size += 1 + utf8(key) + 2 * escapes + 1 + 4 + utf8(entry.getValue()) + 1;
        }
        return size;
    }

    private static int utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
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

    /** The model's goal state as the hook's {@link ModelState} holds it (the simulator fills it as Juju would). */
    @Override
    public GoalState goalState() {
        return initial.goalState();
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
        Map<String, String> data = remoteReader.read(relationId, unit).orElse(null);
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
        statusSetInHook = true;
    }

    /**
     * Leader only, as Juju's {@code HookContext.ApplicationStatus} refuses any other unit ({@code ErrIsNotLeader},
     * annotated by status-get.go). Read on every call; this unit's own status as set in this hook counts at once.
     */
    @Override
    public Map<String, WorkloadStatus> unitStatuses() {
        if (!initial.leader()) {
            throw error("status-get", List.of("--application=True", "--include-data", "--format=json"),
                    "ERROR finding application status: this unit is not the leader");
        }
        Map<String, WorkloadStatus> statuses = new java.util.TreeMap<>(statusReader.read());
        if (statusSetInHook) {
            statuses.put(initial.unitName(), WorkloadStatus.of(unitStatus));
        }
        return java.util.Collections.unmodifiableMap(statuses);
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

    /**
     * {@code state-set}: each key and value is checked when the tool runs (jujuc/state-set.go, quota.CheckTupleSize:
     * exit 1, {@code ERROR max allowed key length (256) exceeded}); keys before a refused one stay set, as the tool
     * sets them one by one. An empty value is stored as the empty string: deleting is {@code state-delete}'s job.
     */
    @Override
    public void stateSet(Map<String, String> values) {
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String value = entry.getValue() == null ? "" : entry.getValue();
            if (utf8(entry.getKey()) > MAX_STATE_KEY_BYTES) {
                throw error("state-set", List.of("--file", "-"),
                        "ERROR max allowed key length (" + MAX_STATE_KEY_BYTES + ") exceeded");
            }
            if (utf8(value) > MAX_STATE_VALUE_BYTES) {
                throw error("state-set", List.of("--file", "-"),
                        "ERROR max allowed value length (" + MAX_STATE_VALUE_BYTES + ") exceeded");
            }
            pendingStore.put(entry.getKey(), value);
        }
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
