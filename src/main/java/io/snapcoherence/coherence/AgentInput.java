package io.snapcoherence.coherence;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one unit decides from: who it is, what its machine runs of the managed snaps, its last reported outcome,
 * the app databag, its peers' readings (read only when the agent asks: a granted unit about to refresh), and
 * whether the proxy is registered (no planned refresh before it is).
 */
public record AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                         Optional<Progress> lastProgress, PeerCodec.AppReading app,
                         Optional<List<UnitReading>> peers, boolean registrationOk) {
    public AgentInput {
        installed = Map.copyOf(installed);
        peers = peers.map(List::copyOf);
    }

    /** The same input with the peers' readings, once the agent asked for them. */
    public AgentInput withPeers(List<UnitReading> readings) {
        return new AgentInput(unit, role, installed, lastProgress, app, Optional.of(readings), registrationOk);
    }
}
