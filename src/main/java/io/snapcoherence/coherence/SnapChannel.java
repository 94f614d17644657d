package io.snapcoherence.coherence;

/** A snap as a unit tracks it: the same snap on two channels is two different things to roll out. */
public record SnapChannel(String snap, String channel) implements Comparable<SnapChannel> {

    @Override
    public int compareTo(SnapChannel other) {
        int bySnap = snap.compareTo(other.snap);
        return bySnap != 0 ? bySnap : channel.compareTo(other.channel);
    }

    // Written out, not generated: see UnitReport.
    @Override
    public boolean equals(Object o) {
        return o instanceof SnapChannel other && snap.equals(other.snap) && channel.equals(other.channel);
    }

    @Override
    public int hashCode() {
        return 31 * snap.hashCode() + channel.hashCode();
    }

    @Override
    public String toString() {
        return snap + " " + channel;
    }
}
