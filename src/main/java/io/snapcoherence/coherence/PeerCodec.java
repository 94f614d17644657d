package io.snapcoherence.coherence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapcoherence.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The peer relation's wire format, schema 1. Unit databag: {@code schema}, {@code role}, {@code installed},
 * {@code progress}. App databag: {@code schema}, {@code plan}, {@code grants}, {@code halt}, {@code paused}.
 * Encoding yields every key, with an empty value for an absent one (relation-set deletes it), so a caller can
 * compare with what the databag holds and write only the keys that changed. Decoding never throws: data of
 * another schema or broken data is a {@link Malformed} naming why.
 */
public final class PeerCodec {
    public static final String SCHEMA = "1";

    static final String KEY_SCHEMA = "schema";
    static final String KEY_ROLE = "role";
    static final String KEY_INSTALLED = "installed";
    static final String KEY_PROGRESS = "progress";
    static final String KEY_PLAN = "plan";
    static final String KEY_GRANTS = "grants";
    static final String KEY_HALT = "halt";
    static final String KEY_PAUSED = "paused";
    static final String KEY_TALLY = "tally";
    static final String KEY_LEFT = "left";

    private PeerCodec() {
    }

    // ---- unit databag -------------------------------------------------------------------------------------

    public static Map<String, String> encodeUnit(UnitReport report) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(KEY_SCHEMA, SCHEMA);
        out.put(KEY_ROLE, report.role().endpoint());
        ObjectNode installed = Json.mapper().createObjectNode();
        report.installed().forEach((snap, rev) -> installed.putObject(snap)
                .put("channel", rev.channel()).put("revision", rev.revision()));
        out.put(KEY_INSTALLED, Json.write(installed));
        out.put(KEY_PROGRESS, report.progress().map(PeerCodec::encodeProgress).orElse(""));
        return out;
    }

    /**
     * The {@code left} key of a unit databag: granted units this unit saw leave the relation, so that a leader
     * that never saw them (it joined after they left) can free their grants. Empty value (key deleted) when none.
     */
    public static Map<String, String> encodeLeft(java.util.Collection<String> left) {
        return Map.of(KEY_LEFT, left.isEmpty() ? "" : Json.write(Units.ordered(left)));
    }

    /** The units a unit databag reports as having left; none when absent or unreadable (it is only a hint). */
    public static List<String> decodeLeft(Map<String, String> databag) {
        String text = databag.getOrDefault(KEY_LEFT, "");
        if (text.isEmpty()) {
            return List.of();
        }
        try {
            return Json.stringList(text);
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    private static String encodeProgress(Progress progress) {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("plan", progress.plan()).put("attempt", progress.attempt()).put("phase", progress.phase().wire());
        progress.failure().ifPresent(f -> node.putObject("failure")
                .put("snap", f.snap()).put("revision", f.revision()).put("error", f.error()));
        return Json.write(node);
    }

    public static UnitReading decodeUnit(String unit, Map<String, String> databag) {
        Map<String, String> data = withoutEmpty(databag);
        if (data.isEmpty()) {
            return new UnitReading.Unreported(unit);
        }
        try {
            requireSchema(data);
            Role role = Role.ofEndpoint(require(data, KEY_ROLE))
                    .orElseThrow(() -> new BadData("unknown role " + Json.abbreviate(data.get(KEY_ROLE))));
            Map<String, InstalledRevision> installed = new TreeMap<>();
            JsonNode node = object(require(data, KEY_INSTALLED), KEY_INSTALLED);
            for (var it = node.fields(); it.hasNext(); ) {
                var entry = it.next();
                JsonNode rev = entry.getValue();
                if (!rev.isObject()) {
                    throw new BadData("installed." + entry.getKey() + " is not an object");
                }
                installed.put(entry.getKey(), new InstalledRevision(text(rev, "channel"), positive(rev, "revision")));
            }
            Optional<Progress> progress = Optional.ofNullable(data.get(KEY_PROGRESS)).map(PeerCodec::decodeProgress);
            return new UnitReading.Reported(new UnitReport(unit, role, installed, progress));
        } catch (BadData e) {
            return new UnitReading.Unreadable(new Malformed(unit, e.getMessage()));
        }
    }

    private static Progress decodeProgress(String text) {
        JsonNode node = object(text, KEY_PROGRESS);
        Phase phase = Phase.ofWire(text(node, "phase"))
                .orElseThrow(() -> new BadData("unknown phase " + node.get("phase")));
        Optional<Failure> failure = Optional.empty();
        JsonNode f = node.get("failure");
        if (f != null && !f.isNull()) {
            if (!f.isObject()) {
                throw new BadData("progress.failure is not an object");
            }
            failure = Optional.of(new Failure(text(f, "snap"), positive(f, "revision"), text(f, "error")));
        }
        if (phase.failed() != failure.isPresent()) {
            throw new BadData("progress phase " + phase.wire() + (failure.isPresent() ? " with" : " without")
                    + " a failure");
        }
        return new Progress(positiveLong(node, "plan"), positive(node, "attempt"), phase, failure);
    }

    // ---- app databag --------------------------------------------------------------------------------------

    public static Map<String, String> encodeApp(RolloutState state) {
        return encodeApp(state, Optional.empty());
    }

    /** The app databag; {@code tally} is the active plan's progress for waiting units' status. */
    public static Map<String, String> encodeApp(RolloutState state, Optional<Tally> tally) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(KEY_SCHEMA, SCHEMA);
        out.put(KEY_PLAN, state.plan().map(PeerCodec::encodePlan).orElse(""));
        ArrayNode grants = Json.mapper().createArrayNode();
        state.grants().forEach(grants::add);
        out.put(KEY_GRANTS, Json.write(grants));
        out.put(KEY_HALT, state.halt().map(h -> Json.write(Json.mapper().createObjectNode()
                .put("unit", h.unit()).put("reason", h.reason()))).orElse(""));
        out.put(KEY_PAUSED, state.paused() ? "true" : "");
        out.put(KEY_TALLY, tally.map(t -> Json.write(Json.mapper().createArrayNode().add(t.controlPlaneDone())
                .add(t.controlPlaneTotal()).add(t.workersDone()).add(t.workersTotal()))).orElse(""));
        return out;
    }

    private static String encodePlan(Plan plan) {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("id", plan.id()).put("attempt", plan.attempt());
        ArrayNode targets = node.putArray("targets");
        plan.targets().forEach(t -> targets.addObject()
                .put("snap", t.snap()).put("channel", t.channel()).put("revision", t.revision()));
        node.put("complete", plan.complete());
        return Json.write(node);
    }

    /** The rollout state, or why the app databag cannot be read ({@code source} names it in the report). */
    public static AppReading decodeApp(String source, Map<String, String> databag) {
        Map<String, String> data = withoutEmpty(databag);
        if (data.isEmpty()) {
            return new AppReading.Read(RolloutState.EMPTY);
        }
        try {
            requireSchema(data);
            Optional<Plan> plan = Optional.ofNullable(data.get(KEY_PLAN)).map(PeerCodec::decodePlan);
            List<String> grants = new ArrayList<>();
            if (data.containsKey(KEY_GRANTS)) {
                JsonNode node = parse(data.get(KEY_GRANTS), KEY_GRANTS);
                if (!node.isArray()) {
                    throw new BadData("grants is not a list");
                }
                for (JsonNode unit : node) {
                    if (!unit.isTextual()) {
                        throw new BadData("grants holds a non-name " + unit);
                    }
                    grants.add(unit.textValue());
                }
            }
            Optional<Halt> halt = Optional.empty();
            if (data.containsKey(KEY_HALT)) {
                JsonNode node = object(data.get(KEY_HALT), KEY_HALT);
                halt = Optional.of(new Halt(text(node, "unit"), text(node, "reason")));
            }
            String paused = data.getOrDefault(KEY_PAUSED, "false");
            if (!paused.equals("true") && !paused.equals("false")) {
                throw new BadData("paused is " + Json.abbreviate(paused));
            }
            Optional<Tally> tally = Optional.empty();
            if (data.containsKey(KEY_TALLY)) {
                JsonNode node = parse(data.get(KEY_TALLY), KEY_TALLY);
                if (!node.isArray() || node.size() != 4) {
                    throw new BadData("tally is not a list of 4 counts");
                }
                for (JsonNode count : node) {
                    if (!count.canConvertToExactIntegral() || count.asLong() < 0) {
                        throw new BadData("tally holds " + count);
                    }
                }
                tally = Optional.of(new Tally(node.get(0).asLong(), node.get(1).asLong(), node.get(2).asLong(),
                        node.get(3).asLong()));
            }
            return new AppReading.Read(new RolloutState(plan, grants, halt, paused.equals("true")), tally);
        } catch (BadData e) {
            return new AppReading.Unreadable(new Malformed(source, e.getMessage()));
        }
    }

    private static Plan decodePlan(String text) {
        JsonNode node = object(text, KEY_PLAN);
        JsonNode targets = node.get("targets");
        if (targets == null || !targets.isArray()) {
            throw new BadData("plan.targets is not a list");
        }
        List<Target> parsed = new ArrayList<>();
        for (JsonNode t : targets) {
            if (!t.isObject()) {
                throw new BadData("plan.targets holds a non-object");
            }
            parsed.add(new Target(text(t, "snap"), text(t, "channel"), positive(t, "revision")));
        }
        JsonNode complete = node.get("complete");
        if (complete == null || !complete.isBoolean()) {
            throw new BadData("plan.complete is not true or false");
        }
        return new Plan(positiveLong(node, "id"), positive(node, "attempt"), parsed, complete.booleanValue());
    }

    /** The app databag read: a state, or why not. */
    public sealed interface AppReading permits AppReading.Read, AppReading.Unreadable {
        record Read(RolloutState state, Optional<Tally> tally) implements AppReading {
            public Read(RolloutState state) {
                this(state, Optional.empty());
            }
        }

        record Unreadable(Malformed malformed) implements AppReading {
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static final class BadData extends RuntimeException {
        BadData(String message) {
            super(message, null, false, false);
        }
    }

    private static Map<String, String> withoutEmpty(Map<String, String> databag) {
        Map<String, String> out = new LinkedHashMap<>();
        databag.forEach((k, v) -> {
            if (v != null && !v.isEmpty()) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static void requireSchema(Map<String, String> data) {
        String schema = data.get(KEY_SCHEMA);
        if (schema == null) {
            throw new BadData("no schema");
        }
        if (!schema.equals(SCHEMA)) {
            throw new BadData("schema " + Json.abbreviate(schema) + " (this charm reads schema " + SCHEMA + ")");
        }
    }

    private static String require(Map<String, String> data, String key) {
        String value = data.get(key);
        if (value == null) {
            throw new BadData("no " + key);
        }
        return value;
    }

    private static JsonNode parse(String text, String what) {
        try {
            return Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new BadData(what + " is not JSON: " + Json.abbreviate(text));
        }
    }

    private static JsonNode object(String text, String what) {
        JsonNode node = parse(text, what);
        if (!node.isObject()) {
            throw new BadData(what + " is not an object");
        }
        return node;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
            throw new BadData("missing or empty " + field);
        }
        return value.textValue();
    }

    private static int positive(JsonNode node, String field) {
        long value = positiveLong(node, field);
        if (value > Integer.MAX_VALUE) {
            throw new BadData(field + " too large");
        }
        return (int) value;
    }

    private static long positiveLong(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToExactIntegral() || !value.isNumber() || value.asLong() <= 0) {
            throw new BadData(field + " is not a positive integer");
        }
        return value.asLong();
    }
}
