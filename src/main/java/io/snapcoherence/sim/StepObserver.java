package io.snapcoherence.sim;

/** Told about every step of the model, right after it; invariants throw {@link InvariantViolation}. */
@FunctionalInterface
public interface StepObserver {
    void afterStep(SimulatedModel model, Step step);
}
