package io.snapcoherence.coherence;

/** What a machine runs of one managed snap: the channel it tracks and the revision it has. */
public record InstalledRevision(String channel, int revision) {
}
