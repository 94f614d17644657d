package io.snapcoherence.snap;

/** Parses {@code snap version}: the {@code snapd} line's second column ({@code unavailable} when not running). */
public final class SnapVersionParser {

    private SnapVersionParser() {
    }

    public static SnapVersion parse(String stdout) {
        return stdout.lines().map(String::strip).filter(l -> l.startsWith("snapd ") || l.startsWith("snapd\t"))
                .map(l -> l.split("\\s+")[1]).findFirst().map(SnapVersion::new)
                .orElseThrow(() -> new IllegalArgumentException("snap version: no snapd line"));
    }
}
