package io.snapcoherence.snap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code snap info <name>...}. For several names snapd prints one document per snap, separated by a
 * {@code ---} line, and for a name the store does not know a {@code warning: no snap found for "x"} line on
 * stdout in place of its document. Channel lines read {@code <channel>: <version> <date> (<revision>) <size>
 * <notes>}; {@code ^} repeats the line above, {@code --} marks a closed channel.
 */
public final class SnapInfoParser {
    private static final Pattern REVISION = Pattern.compile("\\((\\d+)\\)");
    private static final Pattern NOT_FOUND = Pattern.compile("warning: no snap found for \"([^\"]+)\"");

    public record Result(Map<String, SnapInfo> snaps, List<String> notFound) {
        public Result {
            snaps = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(snaps));
            notFound = List.copyOf(notFound);
        }
    }

    private SnapInfoParser() {
    }

    public static Result parse(String stdout) {
        Map<String, SnapInfo> snaps = new LinkedHashMap<>();
        List<String> notFound = new ArrayList<>();
        for (String document : stdout.split("(?m)^---$")) {
            Matcher warning = NOT_FOUND.matcher(document);
            while (warning.find()) {
                notFound.add(warning.group(1));
            }
            parseDocument(document).ifPresent(info -> snaps.put(info.name(), info));
        }
        return new Result(snaps, notFound);
    }

    private static Optional<SnapInfo> parseDocument(String document) {
        String name = null;
        Optional<String> tracking = Optional.empty();
        Optional<Integer> installed = Optional.empty();
        Map<String, Integer> channels = new LinkedHashMap<>();
        boolean inChannels = false;
        Optional<Integer> previous = Optional.empty();
        for (String line : document.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            boolean indented = line.startsWith(" ");
            if (inChannels && indented) {
                String trimmed = line.strip();
                int colon = trimmed.indexOf(": ");
                String channel = colon < 0 ? trimmed.replaceAll(":$", "") : trimmed.substring(0, colon);
                String rest = colon < 0 ? "" : trimmed.substring(colon + 2).strip();
                if (rest.equals("^")) {
                    previous.ifPresent(rev -> channels.put(channel, rev));
                } else if (rest.equals("--") || rest.isEmpty()) {
                    previous = Optional.empty();
                } else {
                    previous = revision(rest, line);
                    previous.ifPresent(rev -> channels.put(channel, rev));
                }
                continue;
            }
            if (indented) {
                continue; // description and other indented blocks
            }
            inChannels = line.startsWith("channels:");
            if (line.startsWith("name:")) {
                name = value(line);
            } else if (line.startsWith("tracking:")) {
                tracking = Optional.of(value(line)).filter(s -> !s.isEmpty());
            } else if (line.startsWith("installed:")) {
                installed = revision(value(line), line);
            }
        }
        if (name == null || name.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SnapInfo(name, channels, tracking, installed));
    }

    private static Optional<Integer> revision(String text, String line) {
        Matcher m = REVISION.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("snap info: no revision in line: " + line.strip());
        }
        return Optional.of(Integer.parseInt(m.group(1)));
    }

    private static String value(String line) {
        return line.substring(line.indexOf(':') + 1).strip();
    }
}
