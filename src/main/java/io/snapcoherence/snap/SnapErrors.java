package io.snapcoherence.snap;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns what the snap CLI prints on failure into a typed {@link SnapError} (texts observed from snapd 2.57). */
public final class SnapErrors {
    private static final Pattern NO_SNAP_FOUND = Pattern.compile("no snap found for \"([^\"]+)\"");
    private static final Pattern NOT_INSTALLED = Pattern.compile("snap \"([^\"]+)\" (?:is not installed|not found)");
    private static final Pattern NO_OPTION = Pattern.compile("snap \"([^\"]+)\" has no \"([^\"]+)\" configuration option");
    private static final Pattern NO_STORE_ASSERTION = Pattern.compile(
            "cannot set proxy.store to \"([^\"]*)\" without a matching store assertion");
    private static final Pattern STORE_WITHOUT_URL = Pattern.compile(
            "cannot set proxy.store to \"([^\"]*)\" with a matching store assertion with url unset");
    private static final Pattern CANNOT_DECODE = Pattern.compile("cannot decode request body into assertions: (.*)");
    private static final Pattern UNKNOWN_FLAG = Pattern.compile("unknown flag `([^']+)'");
    private static final Pattern NO_REVERT = Pattern.compile("cannot revert \"([^\"]+)\": no revision to revert to");
    // snapd's ChangeConflictError: 'snap "x" has "refresh-snap" change in progress', or without the kind
    // 'snap "x" has changes in progress' (the CLI exits 10, "retryable"); snapd's API says kind snap-change-conflict.
    private static final Pattern CHANGE_IN_PROGRESS = Pattern.compile(
            "snap \"([^\"]+)\" has (?:\"([^\"]+)\" change|changes) in progress");

    private SnapErrors() {
    }

    public static SnapError classify(int exitCode, String stderr) {
        String text = stderr.strip();
        String oneLine = text.replaceAll("\\s*\\n\\s*", " ");
        Matcher m;
        if ((m = UNKNOWN_FLAG.matcher(oneLine)).find()) {
            return new SnapError.Other(exitCode, "unknown-flag", stripPrefix(oneLine));
        }
        if ((m = NO_SNAP_FOUND.matcher(oneLine)).find()) {
            return new SnapError.NotFound(m.group(1));
        }
        if ((m = NO_STORE_ASSERTION.matcher(oneLine)).find()) {
            return new SnapError.NoMatchingStoreAssertion(m.group(1));
        }
        if ((m = STORE_WITHOUT_URL.matcher(oneLine)).find()) {
            return new SnapError.StoreAssertionWithoutUrl(m.group(1));
        }
        if ((m = CANNOT_DECODE.matcher(oneLine)).find()) {
            return new SnapError.AssertionsRejected(m.group(1).strip());
        }
        if (oneLine.contains("cannot assert: assert failed")) {
            return new SnapError.AssertionsRejected(oneLine.substring(oneLine.indexOf("assert failed: ")
                    + "assert failed: ".length()));
        }
        if ((m = NO_OPTION.matcher(oneLine)).find()) {
            return new SnapError.NoSuchOption(m.group(2));
        }
        if ((m = NO_REVERT.matcher(oneLine)).find()) {
            return new SnapError.NoRevisionToRevert(m.group(1));
        }
        if ((m = CHANGE_IN_PROGRESS.matcher(oneLine)).find()) {
            return new SnapError.ChangeConflict(m.group(1), stripPrefix(oneLine));
        }
        if (oneLine.contains("too early for operation")) {
            return new SnapError.ChangeConflict("", stripPrefix(oneLine));
        }
        if ((m = NOT_INSTALLED.matcher(oneLine)).find()) {
            return new SnapError.NotInstalled(m.group(1));
        }
        if (oneLine.contains("unexpectedly empty response from the server")
                || oneLine.contains("persistent network error") || oneLine.contains("store is unavailable")) {
            return new SnapError.StoreUnreachable(stripPrefix(oneLine));
        }
        if (oneLine.contains("cannot communicate with server")) {
            return new SnapError.SnapdUnavailable(stripPrefix(oneLine));
        }
        return new SnapError.Other(exitCode, "", stripPrefix(oneLine));
    }

    private static String stripPrefix(String text) {
        return text.startsWith("error: ") ? text.substring("error: ".length()) : text;
    }
}
