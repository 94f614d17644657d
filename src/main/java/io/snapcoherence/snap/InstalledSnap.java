package io.snapcoherence.snap;

import java.time.Instant;
import java.util.Optional;

/** One installed snap (GET /v2/snaps). tracking: full channel, "" for a local snap. hold: per-snap hold, 2.58+ */
public record InstalledSnap(String name, String version, int revision, String tracking, Optional<Instant> hold) {
}
