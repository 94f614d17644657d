package io.snapcoherence.coherence;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A refresh that did not work: which snap, to which revision, and snapd's (or the verification's) words. */
public record Failure(String snap, int revision, String error) {
    /**
     * The longest error kept: it travels in the unit databag, the unit store and the halt in the app databag, and
     * snapd's output (or a peer of another version) has no length of its own.
     */
    public static final int MAX_ERROR = 500;

    public Failure {
        error = error == null || error.isBlank() ? "unknown error" : error.strip();
        if (error.length() > MAX_ERROR) {
            error = error.substring(0, MAX_ERROR - 3) + "...";
        }
    }

    public String describe(long planId) {
        return snap + " " + revision + " failed (plan " + planId + "): " + error;
    }

    /** The failure {@link #describe} wrote for the plan, read back; empty for any other text (a silent unit's halt). */
    public static Optional<Failure> described(String text, long planId) {
        Matcher m = Pattern.compile("(\\S+) (\\d{1,9}) failed \\(plan " + planId + "\\): (.*)", Pattern.DOTALL)
                .matcher(text);
        return m.matches() ? Optional.of(new Failure(m.group(1), Integer.parseInt(m.group(2)), m.group(3)))
                : Optional.empty();
    }

    // Written out, not generated: a record's generated equals/hashCode bootstraps method handles on first use,
    // which costs a fresh hook JVM milliseconds (docs/performance.md), and every hook compares peer reports.
    @Override
    public boolean equals(Object o) {
        return o instanceof Failure other && java.util.Objects.equals(snap, other.snap)
                && revision == other.revision
                && java.util.Objects.equals(error, other.error);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(snap, revision, error);
    }
}
