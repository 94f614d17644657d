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
        for (String[] cols : CliTable.rows(stdout, "snap list", "Name", "No snaps are installed yet")) {
            if (cols.length < 6) {
                throw new IllegalArgumentException("snap list: expected 6 columns: " + String.join(" ", cols));
            }
            int revision;
            try {
                revision = Integer.parseInt(cols[2]);
            } catch (NumberFormatException e) {
                // x1, x2... are sideloaded revisions; the charm does not manage those.
                revision = 0;
            }
            // The table says "held" but not until when; snapd's API gives the time.
            snaps.add(new InstalledSnap(cols[0], cols[1], revision, cols[3], java.util.Optional.empty()));
        }
        return snaps;
    }
}
