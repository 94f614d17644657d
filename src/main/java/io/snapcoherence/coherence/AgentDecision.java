package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;

import java.util.List;
import java.util.Optional;

/** What a unit does this hook: nothing but a status (and maybe a progress report), or refresh these targets. */
public sealed interface AgentDecision permits AgentDecision.Settle, AgentDecision.Refresh,
        AgentDecision.NeedPeers, AgentDecision.NeedGoalState {

    /**
     * Decide again with the peers' readings: reading them costs a relation-get per unit, so only on demand, and
     * first only those of the units granted before this one ({@code all} false: enough to wait in line), then
     * every peer's ({@code all} true: once, before refreshing).
     */
    record NeedPeers(boolean all) implements AgentDecision {
    }

    /**
     * Decide again with the control-plane principal units Juju's {@code goal-state} lists: a call to the
     * controller, asked only by a worker that would otherwise start refreshing for {@code plan}.
     */
    record NeedGoalState(Plan plan) implements AgentDecision {
    }

    /** No refresh; {@code progress} replaces the unit's reported outcome when present. */
    record Settle(Status status, Optional<Progress> progress) implements AgentDecision {
    }

    /**
     * Refresh each of {@code refresh}, one snap per call, then verify all of {@code verify} (installed revision,
     * enabled services active) and report for {@code plan}. {@code refresh} is empty for a unit already on target
     * whose done report is missing: it only verifies.
     */
    record Refresh(Plan plan, List<Target> refresh, List<Target> verify) implements AgentDecision {
        public Refresh {
            refresh = List.copyOf(refresh);
            verify = List.copyOf(verify);
        }
    }
}
