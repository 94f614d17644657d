package io.snapcoherence.coherence;

/** What a machine runs of one managed snap: the channel it tracks and the revision it has. */
public record InstalledRevision(String channel, int revision) {

    // Written out, not generated: a record's generated equals/hashCode bootstraps method handles on first use,
    // which costs a fresh hook JVM milliseconds (docs/performance.md), and every hook compares peer reports.
    @Override
    public boolean equals(Object o) {
        return o instanceof InstalledRevision other && java.util.Objects.equals(channel, other.channel)
                && revision == other.revision;
    }

    @Override
    public int hashCode() {
        return 31 * channel.hashCode() + revision;
    }
}
