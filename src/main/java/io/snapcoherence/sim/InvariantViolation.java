package io.snapcoherence.sim;

/** An invariant failed: the run stops; the message names the invariant and what broke it. */
public final class InvariantViolation extends RuntimeException {
    private final String invariant;

    public InvariantViolation(String invariant, String message) {
        super(invariant + ": " + message);
        this.invariant = invariant;
    }

    public String invariant() {
        return invariant;
    }
}
