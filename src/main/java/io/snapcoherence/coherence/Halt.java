package io.snapcoherence.coherence;

/** Why the rollout stopped granting: the unit that failed and what it said. */
public record Halt(String unit, String reason) {
}
