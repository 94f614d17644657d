package io.snapcoherence.snap;

/** What went wrong in a snap call, typed from snapd's error texts. */
public sealed interface SnapError {

    /** A one-line explanation fit for a status message. */
    String describe();

    /** True when trying again later may succeed (store or network trouble, snapd busy). */
    default boolean isTransient() {
        return false;
    }

    record NotInstalled(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" is not installed";
        }
    }

    record NotFound(String snap) implements SnapError {
        public String describe() {
            return "no snap found for \"" + snap + "\"";
        }
    }

    record StoreUnavailable(String detail) implements SnapError {
        public String describe() {
            return "store unavailable: " + detail;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    record NoMatchingStoreAssertion(String store) implements SnapError {
        public String describe() {
            return "snapd refused proxy.store=" + store + ": no matching store assertion";
        }
    }

    record CannotDecodeAssertions(String detail) implements SnapError {
        public String describe() {
            return "snapd cannot decode the assertions: " + detail;
        }
    }

    record UnknownFlag(String flag) implements SnapError {
        public String describe() {
            return "snap does not know the flag " + flag;
        }
    }

    record InvalidValue(String detail) implements SnapError {
        public String describe() {
            return "snapd refused the value: " + detail;
        }
    }

    record Timeout(String command) implements SnapError {
        public String describe() {
            return "timed out: " + command;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** {@code snap get} of an option that was never set. */
    record NoSuchOption(String snap, String option) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" has no \"" + option + "\" configuration option";
        }
    }

    /** A store assertion exists but has no {@code url}, so snapd cannot point at that store. */
    record StoreAssertionWithoutUrl(String store) implements SnapError {
        public String describe() {
            return "snapd refused proxy.store=" + store + ": its store assertion has no url";
        }
    }

    /** snapd decoded the assertions but would not accept them (signature, missing prerequisites). */
    record AssertionsRejected(String detail) implements SnapError {
        public String describe() {
            return "snapd rejected the assertions: " + detail;
        }
    }

    record NoRevisionToRevert(String snap) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" has no revision to revert to";
        }
    }

    /** Another change on the snap is running; the next hook can try again. */
    record ChangeInProgress(String snap, String detail) implements SnapError {
        public String describe() {
            return "snap \"" + snap + "\" is busy: " + detail;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** The CLI could not reach snapd (socket missing, daemon restarting or still seeding). */
    record SnapdUnavailable(String detail) implements SnapError {
        public String describe() {
            return "snapd unavailable: " + detail;
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** Anything else: the exit code and snapd's own words. */
    record Other(int exitCode, String message) implements SnapError {
        public String describe() {
            return message.isBlank() ? "snap exited " + exitCode : message;
        }
    }
}
