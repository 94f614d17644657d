package io.snapcoherence.coherence;

import java.util.Set;

/** What an operator asked the leader through an action, applied before the leader decides. */
public sealed interface LeaderRequest permits LeaderRequest.Refresh, LeaderRequest.Pause, LeaderRequest.Resume {

    /** Check now and plan even with auto-refresh off; {@code snaps} restricts the plan (empty: all managed). */
    record Refresh(Set<String> snaps) implements LeaderRequest {
        public Refresh {
            snaps = Set.copyOf(snaps);
        }

        boolean covers(String snap) {
            return snaps.isEmpty() || snaps.contains(snap);
        }
    }

    /** Grant no more units; those granted finish. */
    record Pause() implements LeaderRequest {
    }

    /** Clear a halt (the failed unit tries again) and a pause. */
    record Resume() implements LeaderRequest {
    }
}
