package io.snapcoherence.snap;

/**
 * What went wrong in a request to snapd, decided by the HTTP status and snapd's error {@code kind}
 * (client/errors.go), and by the message only where snapd gives no kind.
 */
public sealed interface SnapError {

    /** A one-line explanation fit for a status message. */
    String describe();

    /** True when trying again later may succeed (store or network trouble, snapd busy or restarting). */
    default boolean isTransient() {
        return false;
    }

    /**
     * Kind {@code snap-change-conflict} (the CLI's exit code 10): a change of the snap in progress, snapd's own
     * auto-refresh, "too early for operation" while seeding.
     */
    record ChangeConflict(String snap, String message) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" is busy: " + message;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** snapd could not reach the store (network-timeout, dns-failure, "unable to contact snap store"). */
    record StoreUnreachable(String message) implements SnapError {
        public String describe() {
            return "store unreachable: " + message;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** The socket is missing or refuses connections, snapd is restarting, or still seeding. */
    record SnapdUnavailable(String message) implements SnapError {
        public String describe() {
            return "snapd unavailable: " + message;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** snapd did not answer {@code request} within the call's limit. */
    record Timeout(String request) implements SnapError {
        public String describe() {
            return "snapd did not answer in time: " + request;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** Kind {@code snap-not-installed}. */
    record NotInstalled(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" is not installed";
        }
    }

    /** Kind {@code snap-not-found}: the store (or this machine) does not know the snap. */
    record NotFound(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" not found";
        }
    }

    /** Kind {@code snap-no-update-available}: not a failure for a refresh to the revision already installed. */
    record NoUpdateAvailable(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" has no updates available";
        }
    }

    /** Kind {@code snap-revision-not-available} (and its channel/architecture variants). */
    record RevisionNotAvailable(String snap, String message) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\": " + message;
        }
    }

    /** Kind {@code option-not-found}. */
    record NoSuchOption(String key) implements SnapError {
        public String describe() {
            return "no configuration option \"" + key + "\"";
        }
    }

    record NoRevisionToRevert(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" has no revision to revert to";
        }
    }

    /** snapd would not decode or accept the assertions (shape, signature, missing prerequisites). */
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
     * snapd answered something the client cannot read (not JSON, wrong shape, truncated). Not to be retried
     * blindly, but never a hook error: the unit waits with a status naming the request.
     */
    record BadResponse(String request, String detail) implements SnapError {
        public String describe() {
            return "unreadable answer from snapd to " + request + ": " + detail;
        }
    }

    /** Anything else, with snapd's own words. */
    record Other(int status, String kind, String message) implements SnapError {
        public String describe() {
            String text = message.isBlank() ? "snapd answered " + status : message;
            return kind.isEmpty() ? text : text + " (" + kind + ")";
        }
    }
}
