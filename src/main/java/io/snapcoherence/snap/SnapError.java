package io.snapcoherence.snap;

/**
 * What went wrong in a request to snapd, decided by the HTTP status and snapd's error {@code kind}
 * (daemon/errors.go, client/errors.go), and by the message only where snapd gives no kind.
 */
public sealed interface SnapError {

    /** A one-line explanation fit for a status message. */
    String describe();

    /** True when trying again later may succeed: snapd busy or restarting, the store unreachable, no answer. */
    default boolean isTransient() {
        return false;
    }

    /** The errors a later hook may not meet again; the unit waits and retries instead of reporting a failure. */
    sealed interface Transient extends SnapError {
        @Override
        default boolean isTransient() {
            return true;
        }
    }

    /**
     * Kind {@code snap-change-conflict} (HTTP 409; the CLI's exit 10): a change of the snap in progress, snapd's own
     * auto-refresh, "too early for operation" (snapstate.ChangeConflictError). {@code snap} is empty when snapd
     * names none.
     */
    record ChangeConflict(String snap, String message) implements Transient {
        public String describe() {
            return message;
        }
    }

    /** snapd could not reach the store: kinds network-timeout, dns-failure, or its words for a refused connection. */
    record StoreUnreachable(String message) implements Transient {
        public String describe() {
            return "store unreachable: " + message;
        }
    }

    /** Socket missing or refused, daemon restarting (kinds daemon-restart, system-restart), still seeding. */
    record SnapdUnavailable(String message) implements Transient {
        public String describe() {
            return "snapd unavailable: " + message;
        }
    }

    /** snapd did not answer {@code request} within the call's limit. */
    record Timeout(String request) implements Transient {
        public String describe() {
            return "no answer from snapd in time: " + request;
        }
    }

    /** Kind {@code snap-not-installed}. */
    record NotInstalled(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" is not installed";
        }
    }

    /** Kind {@code snap-not-found}. */
    record NotFound(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" not found";
        }
    }

    /** Kind {@code snap-no-update-available}. */
    record NoUpdateAvailable(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" has no updates available";
        }
    }

    /** Kind {@code snap-revision-not-available}. */
    record RevisionNotAvailable(String snap, String message) implements SnapError {
        public String describe() {
            return message;
        }
    }

    /** Kind {@code option-not-found}. */
    record NoSuchOption(String key) implements SnapError {
        public String describe() {
            return "no \"" + key + "\" configuration option";
        }
    }

    record NoRevisionToRevert(String snap) implements SnapError {
        public String describe() {
            return "cannot revert \"" + snap + "\": no revision to revert to";
        }
    }

    /** snapd would not accept the assertions (undecodable, signature, missing prerequisites). */
    record AssertionsRejected(String message) implements SnapError {
        public String describe() {
            return "snapd rejected the assertions: " + message;
        }
    }

    record NoMatchingStoreAssertion(String store) implements SnapError {
        public String describe() {
            return "snapd refused proxy.store=" + store + ": no matching store assertion";
        }
    }

    /** A store assertion exists but has no {@code url}, so snapd cannot point at that store. */
    record StoreAssertionWithoutUrl(String store) implements SnapError {
        public String describe() {
            return "snapd refused proxy.store=" + store + ": its store assertion has no url";
        }
    }

    /**
     * snapd answered something that cannot be read (not JSON, wrong shape, truncated). Not worth retrying blindly,
     * but never a hook error: the unit waits with a status naming the request.
     */
    record BadResponse(String request, String detail) implements SnapError {
        public String describe() {
            return "unreadable answer from snapd to " + request + ": " + detail;
        }
    }

    /** Anything else: the HTTP status, snapd's kind (may be empty) and snapd's own words. */
    record Other(int status, String kind, String message) implements SnapError {
        public String describe() {
            return message.isBlank() ? "snapd answered " + status + (kind.isEmpty() ? "" : " " + kind) : message;
        }
    }
}
