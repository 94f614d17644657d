package io.snapcoherence.juju;

import io.snapcoherence.Json;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One unit's workload status as the leader reads it with {@code status-get --application=True --include-data
 * --format=json}. Juju builds the answer in worker/uniter/runner/jujuc/status-get.go
 * ({@code StatusGetCommand.ApplicationStatus}, {@code toDetails}): {@code {"application-status": {"status", "message",
 * "status-data", "units": {"<unit>": {"status", "message", "status-data"}}}}}, with no {@code since} (toDetails
 * leaves it out), {@code message} and {@code status-data} only with {@code --include-data}. The status is a string,
 * not one of the kinds a charm may set: a unit whose agent is in hook error shows {@code error} there, and a unit
 * that has not run a hook yet shows what Juju set (such as {@code waiting}).
 */
public record WorkloadStatus(String status, String message) {

    public WorkloadStatus {
        message = message == null ? "" : message;
    }

    /** What a unit shows once it set {@code status}. */
    public static WorkloadStatus of(Status status) {
        return new WorkloadStatus(status.kind().jujuName(), status.message());
    }

    /**
     * Reads the tool's JSON output: every unit's status by unit name. Anything not of the shape above (no
     * {@code units} object, a unit without a string {@code status} or {@code message}) is an
     * {@link IllegalArgumentException}: never guessed at.
     */
    public static Map<String, WorkloadStatus> parseApplication(String text) {
        Object parsed = Json.parse(text);
        if (!(parsed instanceof Map<?, ?> top) || !(top.get("application-status") instanceof Map<?, ?> app)) {
            throw new IllegalArgumentException("status-get has no application-status object: "
                    + Json.abbreviate(text));
        }
        if (!(app.get("units") instanceof Map<?, ?> units)) {
            throw new IllegalArgumentException("status-get application-status has no units object");
        }
        Map<String, WorkloadStatus> out = new TreeMap<>();
        for (Map.Entry<?, ?> e : units.entrySet()) {
            String unit = (String) e.getKey();
            if (!(e.getValue() instanceof Map<?, ?> entry) || !(entry.get("status") instanceof String status)
                    || !(entry.get("message") instanceof String message)) {
                throw new IllegalArgumentException("status-get units." + Json.abbreviate(unit)
                        + " has no status and message");
            }
            out.put(unit, new WorkloadStatus(status, message));
        }
        return Collections.unmodifiableMap(out);
    }
}
