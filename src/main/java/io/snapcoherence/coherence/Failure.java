package io.snapcoherence.coherence;

/** A refresh that did not work: which snap, to which revision, and snapd's (or the verification's) words. */
public record Failure(String snap, int revision, String error) {

    public Failure {
        error = error == null || error.isBlank() ? "unknown error" : error.strip();
    }

    public String describe(long planId) {
        return snap + " " + revision + " failed (plan " + planId + "): " + error;
    }
}
