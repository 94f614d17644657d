package io.snapcoherence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one JSON mapper of the charm, and the few conversions every edge needs. */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + abbreviate(text) + " (" + e.getOriginalMessage() + ")", e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON for " + value.getClass().getSimpleName(), e);
        }
    }

    /** A JSON object whose values are all strings (Juju databags). A null document is an empty map. */
    public static Map<String, String> stringMap(String text) {
        JsonNode node = parse(text.isBlank() ? "{}" : text);
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, got: " + abbreviate(text));
        }
        Map<String, String> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().isTextual()
                ? e.getValue().textValue() : e.getValue().toString()));
        return map;
    }

    public static Map<String, Object> objectMap(String text) {
        JsonNode node = parse(text.isBlank() ? "{}" : text);
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, got: " + abbreviate(text));
        }
        return MAPPER.convertValue(node, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    public static List<String> stringList(String text) {
        JsonNode node = parse(text.isBlank() ? "[]" : text);
        if (node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("expected a JSON array, got: " + abbreviate(text));
        }
        return MAPPER.convertValue(node, new TypeReference<List<String>>() { });
    }

    public static String abbreviate(String text) {
        String oneLine = text.replace('\n', ' ').strip();
        return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 117) + "...";
    }
}
