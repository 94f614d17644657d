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

    /** Anything else: the exit code and snapd's own words. */
    record Other(int exitCode, String message) implements SnapError {
        public String describe() {
            return message.isBlank() ? "snap exited " + exitCode : message;
        }
    }
}
