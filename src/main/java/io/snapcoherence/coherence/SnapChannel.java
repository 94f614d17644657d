package io.snapcoherence.coherence;

/** A snap as a unit tracks it: the same snap on two channels is two different things to roll out. */
public record SnapChannel(String snap, String channel) implements Comparable<SnapChannel> {

    @Override
    public int compareTo(SnapChannel other) {
        int bySnap = snap.compareTo(other.snap);
        return bySnap != 0 ? bySnap : channel.compareTo(other.channel);
    }

    @Override
    public String toString() {
        return snap + " " + channel;
    }
}
