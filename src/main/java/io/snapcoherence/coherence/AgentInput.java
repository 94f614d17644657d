package io.snapcoherence.coherence;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one unit decides from: who it is, what its machine runs of the managed snaps, its last reported outcome,
 * the app databag, max-unavailable, its peers' readings (read only when the agent asks: the granted units' while
 * it waits in line, every peer's before it refreshes; {@code allPeers} says which), whether the proxy is
 * registered (no planned refresh before it is), the failure of a departed unit this unit reports
 * ({@code witnessed}: it stops this unit as a peer's failure would), and its machine's architecture (its targets
 * are those of its architecture). {@code controlPlaneGoal}: the control-plane principal units Juju's
 * {@code goal-state} lists alive, asked only by a worker about to start ({@link AgentDecision.NeedGoalState}).
 * {@code unmanagedListed}: the revisions its machine lists of the snaps config snaps does not manage (a plan may
 * have put one there before it was dropped from {@code snaps}). {@code managedSnaps}: its {@code snaps} config, by
 * which it counts its peers' done reports ({@link Census#managing}); none said: every done counts.
 */
public record AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                         Optional<Progress> lastProgress, PeerCodec.AppReading app, int maxUnavailable,
                         Optional<List<UnitReading>> peers, boolean allPeers, boolean registrationOk,
                         Optional<Witnessed> witnessed, String arch, Optional<List<String>> controlPlaneGoal,
                         Map<String, Integer> unmanagedListed, List<String> managedSnaps) {

    /** Not saying its {@code snaps} config. */
    public AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> lastProgress, PeerCodec.AppReading app, int maxUnavailable,
                      Optional<List<UnitReading>> peers, boolean allPeers, boolean registrationOk,
                      Optional<Witnessed> witnessed, String arch, Optional<List<String>> controlPlaneGoal,
                      Map<String, Integer> unmanagedListed) {
        this(unit, role, installed, lastProgress, app, maxUnavailable, peers, allPeers, registrationOk, witnessed,
                arch, controlPlaneGoal, unmanagedListed, List.of());
    }

    /** Before goal-state was asked. */
    public AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> lastProgress, PeerCodec.AppReading app, int maxUnavailable,
                      Optional<List<UnitReading>> peers, boolean allPeers, boolean registrationOk,
                      Optional<Witnessed> witnessed, String arch, Map<String, Integer> unmanagedListed) {
        this(unit, role, installed, lastProgress, app, maxUnavailable, peers, allPeers, registrationOk, witnessed,
                arch, Optional.empty(), unmanagedListed);
    }

    /** Of a machine that lists nothing config snaps does not manage. */
    public AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> lastProgress, PeerCodec.AppReading app, int maxUnavailable,
                      Optional<List<UnitReading>> peers, boolean allPeers, boolean registrationOk,
                      Optional<Witnessed> witnessed, String arch) {
        this(unit, role, installed, lastProgress, app, maxUnavailable, peers, allPeers, registrationOk, witnessed,
                arch, Map.of());
    }

    /** Of a machine whose architecture is not said: every target of its channels concerns it. */
    public AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> lastProgress, PeerCodec.AppReading app, int maxUnavailable,
                      Optional<List<UnitReading>> peers, boolean allPeers, boolean registrationOk,
                      Optional<Witnessed> witnessed) {
        this(unit, role, installed, lastProgress, app, maxUnavailable, peers, allPeers, registrationOk, witnessed,
                UnitReport.UNKNOWN_ARCH);
    }

    public AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> lastProgress, PeerCodec.AppReading app, int maxUnavailable,
                      Optional<List<UnitReading>> peers, boolean allPeers, boolean registrationOk) {
        this(unit, role, installed, lastProgress, app, maxUnavailable, peers, allPeers, registrationOk,
                Optional.empty());
    }

    public AgentInput {
        installed = Map.copyOf(installed);
        peers = peers.map(List::copyOf);
        controlPlaneGoal = controlPlaneGoal.map(List::copyOf);
        unmanagedListed = Map.copyOf(unmanagedListed);
        managedSnaps = List.copyOf(managedSnaps);
        if (maxUnavailable < 1) {
            throw new IllegalArgumentException("max-unavailable must be at least 1, got " + maxUnavailable);
        }
    }

    /** With every peer's reading when {@code peers} is present, max-unavailable 1. */
    public AgentInput(String unit, Role role, Map<String, InstalledRevision> installed,
                      Optional<Progress> lastProgress, PeerCodec.AppReading app,
                      Optional<List<UnitReading>> peers, boolean registrationOk) {
        this(unit, role, installed, lastProgress, app, 1, peers, peers.isPresent(), registrationOk);
    }

    /** The same input with the readings the agent asked for ({@code all}: every peer's). */
    public AgentInput withPeers(List<UnitReading> readings, boolean all) {
        return new AgentInput(unit, role, installed, lastProgress, app, maxUnavailable, Optional.of(readings), all,
                registrationOk, witnessed, arch, controlPlaneGoal, unmanagedListed, managedSnaps);
    }

    /** The same input with the live control-plane principal units goal-state lists. */
    public AgentInput withControlPlaneGoal(List<String> principals) {
        return new AgentInput(unit, role, installed, lastProgress, app, maxUnavailable, peers, allPeers,
                registrationOk, witnessed, arch, Optional.of(principals), unmanagedListed, managedSnaps);
    }

    /** The same input of a unit whose {@code snaps} config is {@code snaps}. */
    public AgentInput managing(List<String> snaps) {
        return new AgentInput(unit, role, installed, lastProgress, app, maxUnavailable, peers, allPeers,
                registrationOk, witnessed, arch, controlPlaneGoal, unmanagedListed, snaps);
    }
}
