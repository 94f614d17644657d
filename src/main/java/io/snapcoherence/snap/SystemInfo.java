package io.snapcoherence.snap;

import java.time.Instant;
import java.util.Optional;

/** GET /v2/system-info. perSnapHolds(): version ≥ 2.58 (parse like the existing SnapVersion). */
public record SystemInfo(String version, String architecture, Optional<Instant> refreshHold,
                         Optional<Instant> lastRefresh) {

    /** Per-snap holds ({@code snap refresh --hold}, POST /v2/snaps action hold) exist from snapd 2.58. */
    public boolean perSnapHolds() {
        String[] parts = version.split("[.+~-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return major > 2 || (major == 2 && minor >= 58);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
