package io.snapcoherence.coherence;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one unit decides from: who it is, what its machine runs of the managed snaps, its last reported outcome,
 * the app databag, its peers' readings (for the control-plane check a worker makes), and whether the proxy is
 * registered (no planned refresh before it is).
 */
public record AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                         Optional<Progress> lastProgress, PeerCodec.AppReading app, List<UnitReading> peers,
                         boolean registrationOk) {
    public AgentInput {
        installed = Map.copyOf(installed);
        peers = List.copyOf(peers);
    }
}
