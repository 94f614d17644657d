package io.snapcoherence.snap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The text format of snapd assertions: a header block starting with {@code type:}, a blank line, the body when
 * {@code body-length} is set and non-zero (then another blank line), and the signature. Several assertions in
 * one stream are separated by a blank line. This parser checks the shape only; snapd verifies signatures.
 */
public final class Assertions {

    /** One assertion: its headers (multi-line values joined with newlines), body and encoded signature. */
    public record Assertion(Map<String, String> headers, String body, String signature) {
        public Assertion {
            headers = Map.copyOf(headers);
        }

        public String type() {
            return headers.get("type");
        }

        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name));
        }
    }

    /** The stream does not have the shape of assertions; the message says where. */
    public static final class FormatException extends RuntimeException {
        public FormatException(String message) {
            super(message);
        }
    }

    private static final String SEPARATOR = "\n\n";

    private Assertions() {
    }

    public static List<Assertion> parse(byte[] stream) {
        // Latin-1 keeps one char per byte, so body-length (bytes) can index the text directly.
        String text = new String(stream, StandardCharsets.ISO_8859_1);
        List<Assertion> assertions = new ArrayList<>();
        int pos = skipNewlines(text, 0);
        while (pos < text.length()) {
            int headersEnd = text.indexOf(SEPARATOR, pos);
            if (headersEnd < 0) {
                throw new FormatException("assertion " + (assertions.size() + 1) + ": header block not followed by a blank line");
            }
            Map<String, String> headers = headers(text.substring(pos, headersEnd), assertions.size() + 1);
            pos = headersEnd + SEPARATOR.length();
            String body = "";
            int bodyLength = bodyLength(headers, assertions.size() + 1);
            if (bodyLength > 0) {
                if (pos + bodyLength + SEPARATOR.length() > text.length()
                        || !text.startsWith(SEPARATOR, pos + bodyLength)) {
                    throw new FormatException("assertion " + (assertions.size() + 1) + ": body of " + bodyLength
                            + " bytes not followed by a blank line");
                }
                body = utf8(text.substring(pos, pos + bodyLength));
                pos += bodyLength + SEPARATOR.length();
            }
            int signatureEnd = text.indexOf(SEPARATOR, pos);
            signatureEnd = signatureEnd < 0 ? text.length() : signatureEnd;
            String signature = text.substring(pos, signatureEnd).strip();
            if (signature.isEmpty() || !signature.matches("[A-Za-z0-9+/=\\s]+")) {
                throw new FormatException("assertion " + (assertions.size() + 1) + " (" + headers.get("type")
                        + "): missing or malformed signature");
            }
            assertions.add(new Assertion(headers, body, signature));
            pos = skipNewlines(text, signatureEnd);
        }
        return assertions;
    }

    private static Map<String, String> headers(String block, int index) {
        Map<String, String> headers = new LinkedHashMap<>();
        String lastKey = null;
        for (String line : utf8(block).split("\n", -1)) {
            if (line.startsWith(" ") && lastKey != null) {
                // Multi-line values and lists are indented continuation lines.
                String previous = headers.get(lastKey);
                headers.put(lastKey, previous.isEmpty() ? line.strip() : previous + "\n" + line.strip());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !line.substring(0, colon).matches("[a-z][a-z0-9-]*")) {
                throw new FormatException("assertion " + index + ": not a header line: " + abbreviate(line));
            }
            lastKey = line.substring(0, colon);
            if (headers.containsKey(lastKey)) {
                throw new FormatException("assertion " + index + ": repeated header " + lastKey);
            }
            headers.put(lastKey, line.substring(colon + 1).strip());
        }
        if (headers.isEmpty() || !block.startsWith("type:") || headers.get("type").isEmpty()) {
            throw new FormatException("assertion " + index + ": does not start with a type: header");
        }
        return headers;
    }

    private static int bodyLength(Map<String, String> headers, int index) {
        String value = headers.get("body-length");
        if (value == null) {
            return 0;
        }
        try {
            int length = Integer.parseInt(value);
            if (length < 0) {
                throw new NumberFormatException();
            }
            return length;
        } catch (NumberFormatException e) {
            throw new FormatException("assertion " + index + ": body-length is not a size: " + abbreviate(value));
        }
    }

    private static int skipNewlines(String text, int pos) {
        while (pos < text.length() && text.charAt(pos) == '\n') {
            pos++;
        }
        return pos;
    }

    private static String utf8(String latin1) {
        return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
