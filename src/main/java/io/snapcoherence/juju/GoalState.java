package io.snapcoherence.juju;

import io.snapcoherence.Json;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code goal-state --format=json} says: the units Juju means to exist, joined to a relation or not yet.
 * Juju's controller builds it in apiserver/facades/agent/uniter (UniterAPI.oneGoalState, goalStateUnits,
 * goalStateRelations): {@code units} lists the units of this application whose principal is the calling unit,
 * which for a subordinate (every unit has a principal, never the caller) is none; {@code relations} lists, under
 * each of this application's non-peer endpoints, the other application (its relation status) and every one of its
 * units that is not dead, a dying one with status {@code dying}, the others with their workload status. So a
 * subordinate sees every principal unit of an application it is related to, from the moment Juju adds it, before
 * any hook of its subordinate ran.
 */
public record GoalState(Map<String, Goal> units, Map<String, Map<String, Goal>> relations) {

    /** Juju's status of a unit dying (state.Dying's String()): it shows as such, whatever its workload says. */
    public static final String DYING = "dying";

    /** One entry: a status and since when, as Juju prints it ({@code since} may be empty). */
    public record Goal(String status, String since) {
    }

    public static final GoalState NONE = new GoalState(Map.of(), Map.of());

    public GoalState {
        units = Collections.unmodifiableMap(new TreeMap<>(units));
        TreeMap<String, Map<String, Goal>> copy = new TreeMap<>();
        relations.forEach((endpoint, entries) -> copy.put(endpoint, Collections.unmodifiableMap(new TreeMap<>(entries))));
        relations = Collections.unmodifiableMap(copy);
    }

    /** The units listed under {@code endpoint} that are not dying, in name order (application entries left out). */
    public List<String> liveUnits(String endpoint) {
        return relations.getOrDefault(endpoint, Map.of()).entrySet().stream()
                .filter(e -> e.getKey().contains("/") && !e.getValue().status().equals(DYING))
                .map(Map.Entry::getKey).toList();
    }

    /** The same goal state with these entries under {@code endpoint}. */
    public GoalState withRelation(String endpoint, Map<String, Goal> entries) {
        Map<String, Map<String, Goal>> updated = new TreeMap<>(relations);
        updated.put(endpoint, entries);
        return new GoalState(units, updated);
    }

    /**
     * Reads the tool's JSON output. A key Juju leaves {@code null} (a Go nil map) or out reads as empty; anything
     * else not of the shape is an {@link IllegalArgumentException}.
     */
    public static GoalState parse(String text) {
        Object parsed = Json.parse(text);
        if (!(parsed instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException("goal-state is not a JSON object: " + Json.abbreviate(text));
        }
        Map<String, Goal> units = entries(top.get("units"), "units");
        Map<String, Map<String, Goal>> relations = new TreeMap<>();
        Object rels = top.get("relations");
        if (rels != null) {
            if (!(rels instanceof Map<?, ?> byEndpoint)) {
                throw new IllegalArgumentException("goal-state relations is not an object");
            }
            for (Map.Entry<?, ?> e : byEndpoint.entrySet()) {
                relations.put((String) e.getKey(), entries(e.getValue(), "relations." + e.getKey()));
            }
        }
        return new GoalState(units, relations);
    }

    private static Map<String, Goal> entries(Object value, String where) {
        Map<String, Goal> out = new TreeMap<>();
        if (value == null) {
            return out;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("goal-state " + where + " is not an object");
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> entry) || !(entry.get("status") instanceof String status)) {
                throw new IllegalArgumentException("goal-state " + where + "." + Json.abbreviate((String) e.getKey())
                        + " has no status");
            }
            Object since = entry.get("since");
            if (since != null && !(since instanceof String)) {
                throw new IllegalArgumentException("goal-state " + where + "." + Json.abbreviate((String) e.getKey())
                        + " since is not a string");
            }
            out.put((String) e.getKey(), new Goal(status, since == null ? "" : (String) since));
        }
        return out;
    }
}
