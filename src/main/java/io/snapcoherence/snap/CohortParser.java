package io.snapcoherence.snap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Parses {@code snap create-cohort}: YAML {@code cohorts: {<snap>: {cohort-key: <key>}}}. */
public final class CohortParser {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private CohortParser() {
    }

    public static Map<String, String> parse(String stdout) {
        JsonNode root;
        try {
            root = YAML.readTree(stdout);
        } catch (IOException e) {
            throw new IllegalArgumentException("create-cohort: not YAML: " + e.getMessage());
        }
        JsonNode cohorts = root == null ? null : root.get("cohorts");
        if (cohorts == null || !cohorts.isObject()) {
            throw new IllegalArgumentException("create-cohort: no cohorts map in output");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        cohorts.fields().forEachRemaining(entry -> {
            JsonNode key = entry.getValue().get("cohort-key");
            if (key == null || !key.isTextual() || key.textValue().isBlank()) {
                throw new IllegalArgumentException("create-cohort: no cohort-key for " + entry.getKey());
            }
            keys.put(entry.getKey(), key.textValue());
        });
        return keys;
    }
}
