package io.snapcoherence;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    @Test
    void parsesEveryKindOfValueIntoPlainJava() {
        Object parsed = Json.parse(" {\"s\": \"x\", \"i\": -3, \"l\": 5000000000, \"big\": 123456789012345678901234,"
                + " \"d\": 1.5e2, \"t\": true, \"f\": false, \"n\": null, \"a\": [1, \"two\", [], {}]} ");

        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("s", "x");
        expected.put("i", -3);
        expected.put("l", 5_000_000_000L);
        expected.put("big", new BigInteger("123456789012345678901234"));
        expected.put("d", 150.0);
        expected.put("t", true);
        expected.put("f", false);
        expected.put("n", null);
        expected.put("a", List.of(1, "two", List.of(), Map.of()));
        assertThat(parsed).isEqualTo(expected);
        assertThat(List.copyOf(((Map<?, ?>) parsed).keySet()))
                .isEqualTo(List.of("s", "i", "l", "big", "d", "t", "f", "n", "a"));
    }

    @Test
    void decodesEveryEscape() {
        assertThat(Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\uD83D\\uDE00\""))
                .isEqualTo("q\" b\\ s/ \b\f\n\r\t é \uD83D\uDE00");
    }

    @Test
    void escapesControlCharactersQuotesAndLoneSurrogates() {
        assertThat(Json.write("a\"b\\c\n\t\u0001\u001f\u007f é \uD83D\uDE00 \uD800"))
                .isEqualTo("\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\u007f é \uD83D\uDE00 \\ud800\"");
    }

    @Test
    void writesCollectionsMapsAndNumbersCompactly() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("list", List.of(1, 2L, 2.5, true));
        value.put("none", null);
        value.put("nested", Map.of("k", "v"));
        assertThat(Json.write(value)).isEqualTo("{\"list\":[1,2,2.5,true],\"none\":null,\"nested\":{\"k\":\"v\"}}");
    }

    @Test
    void badInputIsAClearErrorSayingWhere() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "'x'", "01", "1.", "-",
                "1e", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\nb\"", "[1 2]", "{} {}",
                "NaN", "Infinity", "1e999", "{\"a\":1,\"a\":2}", "\u00a0{}")) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not JSON: ");
        }
        assertThatThrownBy(() -> Json.parse("{\"a\": [1, }")).hasMessageContaining("offset 10");
        assertThatThrownBy(() -> Json.parse("[[")).hasMessageContaining("at the end");
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nested deeper");
    }

    @Test
    void refusesToWriteWhatJsonCannotHold() {
        assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.write(new Object())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.write(Map.of(1, "x"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theJujuShapesKeepTheirMeaning() {
        assertThat(Json.stringMap("{\"a\": \"x\", \"n\": 3, \"o\": {\"k\": [true]}}"))
                .containsExactly(Map.entry("a", "x"), Map.entry("n", "3"), Map.entry("o", "{\"k\":[true]}"));
        assertThat(Json.stringMap("")).isEmpty();
        assertThat(Json.stringMap("null\n")).isEmpty();
        assertThat(Json.stringList("[\"coherence:1\"]\n")).containsExactly("coherence:1");
        assertThat(Json.stringList("  ")).isEmpty();
        assertThatThrownBy(() -> Json.stringList("[1]")).hasMessageContaining("array of strings");
        assertThatThrownBy(() -> Json.stringMap("[]")).hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> Json.objectMap("\"x\"")).hasMessageContaining("expected a JSON object");
    }

    /** Random documents: what we write, we read back equal, and Jackson reads the same value from our text. */
    @Test
    void randomDocumentsRoundTripAndAgreeWithJackson() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            Object value = randomValue(random, 0);
            String text = Json.write(value);

            assertThat(Json.parse(text)).as(text).isEqualTo(value);
            assertThat(JACKSON.readValue(text, Object.class)).as(text).isEqualTo(value);
            // And Jackson's text (different escapes, e.g. upper-case hex digits) reads back the same.
            assertThat(Json.parse(JACKSON.writeValueAsString(value))).as(text).isEqualTo(value);
        }
    }

    @Test
    void readsWhatJacksonPrettyPrints() throws Exception {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("a", List.of(1, Map.of("b", "\u2028 \u0000")));
        String pretty = JACKSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        assertThat(Json.parse(pretty)).isEqualTo(value);
    }

    private static Object randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 3 ? 6 : 8);
        switch (kind) {
            case 0:
                return randomString(random);
            case 1:
                return random.nextInt();
            case 2:
                return random.nextBoolean() ? (Object) (random.nextLong() | (1L << 40)) : null;
            case 3:
                return random.nextBoolean();
            case 4:
                return random.nextInt(2000) / 8.0 + 0.5;
            case 5:
                return randomString(random);
            case 6: {
                List<Object> list = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    list.add(randomValue(random, depth + 1));
                }
                return list;
            }
            default: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    map.put(randomString(random), randomValue(random, depth + 1));
                }
                return map;
            }
        }
    }

    /** Printable ASCII, control characters, escapes' own characters, accents and a surrogate pair. */
    private static String randomString(Random random) {
        List<String> pieces = Arrays.asList("a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u0000", "\u001f",
                "é", "\u2028", "\uD83D\uDE00", "{", "]", ":", ",");
        StringBuilder out = new StringBuilder();
        for (int i = random.nextInt(8); i > 0; i--) {
            out.append(pieces.get(random.nextInt(pieces.size())));
        }
        return out.toString();
    }
}
