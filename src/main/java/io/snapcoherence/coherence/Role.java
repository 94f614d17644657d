package io.snapcoherence.coherence;

import java.util.Optional;

/** Which tier a unit is in, from the container relation it has with its principal. */
public enum Role {
    CONTROL_PLANE("control-plane"), WORKER("worker");

    private final String endpoint;

    Role(String endpoint) {
        this.endpoint = endpoint;
    }

    /** The container-scoped endpoint that makes a unit this role; also the value written to peer data. */
    public String endpoint() {
        return endpoint;
    }

    public static Optional<Role> ofEndpoint(String endpoint) {
        for (Role role : values()) {
            if (role.endpoint.equals(endpoint)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }
}
