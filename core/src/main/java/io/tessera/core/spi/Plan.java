package io.tessera.core.spi;

/**
 * The pass-by-pass schedule of one image. The decode loop calls {@link #next(PlanState)} once per
 * forward pass until it returns null; every cell must be returned exactly once over the plan.
 */
public interface Plan {
    /** The next group, or null when every cell has been scheduled. */
    Group next(PlanState state);

    /** Number of forward passes if known in advance (static orders), else −1. */
    default int plannedPasses() {
        return -1;
    }
}
