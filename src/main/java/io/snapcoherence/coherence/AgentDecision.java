package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;

import java.util.List;
import java.util.Optional;

/** What a unit does this hook: nothing but a status (and maybe a progress report), or refresh these targets. */
public sealed interface AgentDecision permits AgentDecision.Settle, AgentDecision.Refresh {

    /** No refresh; {@code progress} replaces the unit's reported outcome when present. */
    record Settle(Status status, Optional<Progress> progress) implements AgentDecision {
    }

    /** Refresh each target, one snap per call, then verify and report for {@code plan}. */
    record Refresh(Plan plan, List<Target> targets) implements AgentDecision {
        public Refresh {
            targets = List.copyOf(targets);
        }
    }
}
