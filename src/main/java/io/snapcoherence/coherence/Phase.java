package io.snapcoherence.coherence;

import java.util.Locale;
import java.util.Optional;

/** How a unit's last attempt at a plan ended. */
public enum Phase {
    DONE, FAILED, REVERTED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Phase> ofWire(String text) {
        for (Phase phase : values()) {
            if (phase.wire().equals(text)) {
                return Optional.of(phase);
            }
        }
        return Optional.empty();
    }

    public boolean failed() {
        return this != DONE;
    }
}
