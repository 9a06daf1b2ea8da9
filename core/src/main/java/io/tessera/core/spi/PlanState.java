package io.tessera.core.spi;

/** What a plan may look at when choosing its next group: which cells exist, and how sure the model was. */
public interface PlanState {
    GridSize grid();

    boolean isGenerated(int cell);

    int generatedCount();

    /**
     * The probability the sampler gave to the token it drew for {@code cell} (after temperature, top-k,
     * top-p and guidance), or NaN when not generated. Lets adaptive orders react to model confidence.
     */
    float confidence(int cell);
}
