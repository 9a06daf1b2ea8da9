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

    /**
     * Whether cache slots that hold no token yet must be masked out. False (the default) reproduces
     * the official code, where such slots keep their zero key/value and stay visible to a query whose
     * slot is later (ZipAR's "holes"); true is the clean variant.
     */
    default boolean maskUnwritten() {
        return false;
    }

    /**
     * The official "cfg clock" of pass {@code pass} (0-based), given the {@code generatedBefore} cells
     * generated before it: the counter the official code compares with {@code cfg_interval} k, guidance
     * staying on while clock ≤ k. The first pass (the prefill, which always guides) does not ask.
     * The default is LlamaGen's decode step {@code i = pass − 1} ({@code decode_n_tokens}); orders whose
     * official code restarts or counts tokens instead (ZipAR, PAR) override it. A pure function of its
     * arguments: it never depends on how far {@link #next} has gone.
     */
    default int cfgClock(int pass, int generatedBefore) {
        return pass - 1;
    }
}
