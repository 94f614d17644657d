package io.snapcoherence.snap;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code snap list}: a header {@code Name Version Rev Tracking Publisher Notes} and one row per snap.
 * With nothing installed snapd prints {@code No snaps are installed yet...} on stderr and nothing on stdout.
 */
public final class SnapListParser {

    private SnapListParser() {
    }

    public static List<InstalledSnap> parse(String stdout) {
        List<InstalledSnap> snaps = new ArrayList<>();
        List<String> lines = stdout.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty() || lines.get(0).startsWith("No snaps are installed yet")) {
            return snaps;
        }
        if (!lines.get(0).startsWith("Name ")) {
            throw new IllegalArgumentException("snap list: unexpected header: " + lines.get(0));
        }
        for (String line : lines.subList(1, lines.size())) {
            String[] cols = line.strip().split("\\s+");
            if (cols.length < 6) {
                throw new IllegalArgumentException("snap list: expected 6 columns: " + line);
            }
            int revision;
            try {
                revision = Integer.parseInt(cols[2]);
            } catch (NumberFormatException e) {
                // x1, x2... are sideloaded revisions; the charm does not manage those.
                revision = 0;
            }
            snaps.add(new InstalledSnap(cols[0], cols[1], revision, cols[3], cols[5]));
        }
        return snaps;
    }
}
