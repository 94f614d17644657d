package io.snapcoherence.coherence;

/** One line of a plan: every unit tracking {@code snap} on {@code channel} ends on exactly {@code revision}. */
public record Target(String snap, String channel, int revision) implements Comparable<Target> {

    public SnapChannel snapChannel() {
        return new SnapChannel(snap, channel);
    }

    @Override
    public int compareTo(Target other) {
        return snapChannel().compareTo(other.snapChannel());
    }
}
