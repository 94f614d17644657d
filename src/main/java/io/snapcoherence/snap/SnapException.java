package io.snapcoherence.snap;

/** A snap call failed; {@link #error()} says how. */
public final class SnapException extends RuntimeException {
    private final SnapError error;

    public SnapException(SnapError error) {
        super(error.describe());
        this.error = error;
    }

    public SnapError error() {
        return error;
    }
}
