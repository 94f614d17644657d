package io.snapcoherence.coherence;

/** Peer data that could not be read (another schema, or broken): reported, never guessed at. */
public record Malformed(String unit, String reason) {

    public String describe() {
        return unit + ": " + reason;
    }
}
