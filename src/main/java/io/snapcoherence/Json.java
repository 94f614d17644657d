package io.snapcoherence;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The charm's JSON: hook tools, databags and the unit store speak small flat documents, and every hook parses
 * several, so this is a strict reader and writer of our own rather than a general mapper: a JVM starting a hook
 * spends about 60 ms initialising Jackson, and this class loads in well under one (docs/performance.md).
 *
 * <p>Parsed values are plain Java: objects {@code Map<String, Object>} (key order kept), arrays {@code List<Object>},
 * strings, numbers ({@code Integer}, {@code Long} or {@code BigInteger} for integers, {@code Double} otherwise),
 * {@code Boolean}, and {@code null} for JSON null. Input that is not exactly one JSON document (RFC 8259) is an
 * {@link IllegalArgumentException} naming what was wrong and where.
 */
public final class Json {
    /** Deeper nesting than this is no hook tool's output: refuse it instead of overflowing the stack. */
    static final int MAX_DEPTH = 200;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** One JSON document: a Map, List, String, Number, Boolean, or null for {@code null}. */
    public static Object parse(String text) {
        Json reader = new Json(text);
        reader.skipSpace();
        Object value = reader.value(0);
        reader.skipSpace();
        if (reader.pos != text.length()) {
            throw reader.error("unexpected text after the document");
        }
        return value;
    }

    /**
     * Writes a Map (String keys), Iterable, array of objects, CharSequence, Number, Boolean, Character or null.
     * Anything else is refused rather than written in some guessed shape.
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        writeValue(out, value, 0);
        return out.toString();
    }

    /** A JSON object whose values are kept as text (Juju databags): strings as they are, others as their JSON. */
    public static Map<String, String> stringMap(String text) {
        Map<String, Object> object = objectMap(text);
        Map<String, String> map = new LinkedHashMap<>();
        object.forEach((key, value) -> map.put(key, value instanceof String s ? s : write(value)));
        return map;
    }

    /** A JSON object; blank text or {@code null} is an empty map. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> objectMap(String text) {
        Object value = text.isBlank() ? null : parse(text);
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object, got: " + abbreviate(text));
        }
        return (Map<String, Object>) value;
    }

    /** A JSON array of strings; blank text or {@code null} is an empty list. */
    public static List<String> stringList(String text) {
        Object value = text.isBlank() ? null : parse(text);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("expected a JSON array, got: " + abbreviate(text));
        }
        List<String> strings = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String s)) {
                throw new IllegalArgumentException("expected a JSON array of strings, got: " + abbreviate(text));
            }
            strings.add(s);
        }
        return Collections.unmodifiableList(strings);
    }

    public static String abbreviate(String text) {
        String oneLine = text.replace('\n', ' ').strip();
        return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 117) + "...";
    }

    // ---- reading

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character " + describe(c));
        }
    }

    private Map<String, Object> object(int depth) {
        pos++; // {
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            int keyAt = pos;
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            Object value = value(depth + 1);
            if (map.containsKey(key)) {
                pos = keyAt;
                throw error("duplicate key \"" + key + "\"");
            }
            map.put(key, value);
            skipSpace();
            char c = peek();
            pos++;
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // [
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipSpace();
            list.add(value(depth + 1));
            skipSpace();
            char c = peek();
            pos++;
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        pos++; // "
        StringBuilder out = null;
        int start = pos;
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String s = out == null ? text.substring(start, pos) : out.append(text, start, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) {
                throw error("unescaped control character " + describe(c) + " in a string");
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder();
            }
            out.append(text, start, pos);
            pos++;
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> out.append(unicodeEscape());
                default -> {
                    pos--;
                    throw error("invalid escape \\" + e);
                }
            }
            start = pos;
        }
    }

    private char unicodeEscape() {
        if (pos + 4 > text.length()) {
            throw error("incomplete \\u escape");
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos + i), 16);
            if (digit < 0) {
                throw error("invalid \\u escape");
            }
            code = code * 16 + digit;
        }
        pos += 4;
        return (char) code;
    }

    private Number number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("invalid number");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("invalid number: a digit must follow '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("invalid number: a digit must follow the exponent");
            }
            digits();
        }
        String literal = text.substring(start, pos);
        if (!integral) {
            double d = Double.parseDouble(literal);
            if (Double.isInfinite(d)) {
                throw error("number out of range: " + literal);
            }
            return d;
        }
        if (literal.length() <= 18) {
            long l = Long.parseLong(literal);
            if (l == (int) l) {
                return Integer.valueOf((int) l); // not a ?: expression, which would widen it back to Long
            }
            return Long.valueOf(l);
        }
        BigInteger big = new BigInteger(literal);
        if (big.bitLength() < 32) {
            return Integer.valueOf(big.intValue());
        }
        if (big.bitLength() < 64) {
            return Long.valueOf(big.longValue());
        }
        return big;
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected character " + describe(text.charAt(pos)));
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** The character at the cursor, or NUL at the end (never valid where a peek decides). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private IllegalArgumentException error(String what) {
        String where = pos >= text.length() ? "at the end" : "at offset " + pos;
        return new IllegalArgumentException("not JSON: " + what + " " + where + " of: " + abbreviate(text));
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'"
                : "U+" + Integer.toHexString(0x10000 | c).substring(1).toUpperCase();
    }

    // ---- writing

    private static void writeValue(StringBuilder out, Object value, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("cannot write JSON nested deeper than " + MAX_DEPTH);
        }
        if (value == null) {
            out.append("null");
        } else if (value instanceof CharSequence || value instanceof Character) {
            writeString(out, value.toString());
        } else if (value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("cannot write JSON for the number " + d);
            }
            out.append(value);
        } else if (value instanceof BigDecimal big) {
            out.append(big.toString());
        } else if (value instanceof Number) {
            out.append(value); // Integer, Long, Short, Byte, BigInteger: decimal digits
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("cannot write JSON for a map key " + entry.getKey());
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString(out, key);
                out.append(':');
                writeValue(out, entry.getValue(), depth + 1);
            }
            out.append('}');
        } else if (value instanceof Iterable<?> items) {
            writeArray(out, items, depth);
        } else if (value instanceof Object[] array) {
            writeArray(out, java.util.Arrays.asList(array), depth);
        } else {
            throw new IllegalArgumentException("cannot write JSON for " + value.getClass().getSimpleName());
        }
    }

    private static void writeArray(StringBuilder out, Iterable<?> items, int depth) {
        out.append('[');
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                out.append(',');
            }
            first = false;
            writeValue(out, item, depth + 1);
        }
        out.append(']');
    }

    private static boolean loneSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        String hex = "0123456789abcdef";
        out.append("\\u").append(hex.charAt(c >> 12)).append(hex.charAt((c >> 8) & 0xf))
                .append(hex.charAt((c >> 4) & 0xf)).append(hex.charAt(c & 0xf));
    }

    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // Control characters must be escaped; U+2028/2029 too (safe as JavaScript), and a lone
                    // surrogate, which UTF-8 cannot encode, keeps its exact value as an escape.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029' || loneSurrogate(s, i)) {
                        unicodeEscape(out, c);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
