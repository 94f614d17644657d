package io.snapcoherence.juju;

/** A workload status as {@code status-set} takes it. */
public record Status(Kind kind, String message) {

    public enum Kind {
        ACTIVE, BLOCKED, WAITING, MAINTENANCE, UNKNOWN;

        public String jujuName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Status {
        message = message == null ? "" : message;
    }

    public static Status active(String message) {
        return new Status(Kind.ACTIVE, message);
    }

    public static Status blocked(String message) {
        return new Status(Kind.BLOCKED, message);
    }

    public static Status waiting(String message) {
        return new Status(Kind.WAITING, message);
    }

    public static Status maintenance(String message) {
        return new Status(Kind.MAINTENANCE, message);
    }

    public static Status unknown() {
        return new Status(Kind.UNKNOWN, "");
    }

    @Override
    public String toString() {
        return kind.jujuName() + (message.isEmpty() ? "" : ": " + message);
    }
}
