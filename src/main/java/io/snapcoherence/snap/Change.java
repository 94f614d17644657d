package io.snapcoherence.snap;

import java.util.Optional;

/** A snapd change (GET /v2/changes/&lt;id&gt;). error: snapd's "err" text, else the failed tasks' log lines. */
public record Change(String id, String kind, String status, boolean ready, Optional<String> error) {
    // status as snapd spells it: Do, Doing, Done, Abort, Undo, Undoing, Undone, Hold, Error, Wait

    public boolean done() {
        return ready && status.equals("Done");
    }

    public boolean failed() {
        return ready && !status.equals("Done"); // Error, Undone, Hold
    }
}
