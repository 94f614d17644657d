package io.snapcoherence.snap;

import java.util.ArrayList;
import java.util.List;

/**
 * The column tables snap prints ({@code snap list}, {@code snap services}): a header line, then one row per item
 * with columns separated by runs of spaces; or a sentence saying there is nothing to list.
 */
final class CliTable {

    private CliTable() {
    }

    /**
     * The rows under the header, split into columns; empty when the output is empty or starts with
     * {@code nothingMessage}. Anything else without the expected header is an error naming the command.
     */
    static List<String[]> rows(String stdout, String command, String headerStart, String nothingMessage) {
        List<String> lines = stdout.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty() || lines.get(0).startsWith(nothingMessage)) {
            return List.of();
        }
        if (!lines.get(0).startsWith(headerStart + " ")) {
            throw new IllegalArgumentException(command + ": unexpected header: " + lines.get(0));
        }
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            rows.add(line.strip().split("\\s+"));
        }
        return rows;
    }
}
