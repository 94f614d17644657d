package io.snapcoherence.snap;

/** Registration data from a proxy could not be fetched or did not validate. */
public final class ProxyException extends RuntimeException {
    private final boolean transientFailure;

    public ProxyException(String message, boolean transientFailure) {
        super(message);
        this.transientFailure = transientFailure;
    }

    /** True for network trouble and 5xx: retry on a later hook. False for a proxy that answers wrongly. */
    public boolean isTransient() {
        return transientFailure;
    }
}
