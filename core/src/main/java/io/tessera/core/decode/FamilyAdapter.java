package io.tessera.core.decode;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;

/**
 * Turns an order's groups into one model family's inputs (tokens, queries, positions, cache slots,
 * masks) and says which entry's logits belong to which cell. The order never knows the family.
 */
public interface FamilyAdapter {
    ModelSpec model();

    GridSize grid();

    /** Cache slots a generation uses (the generator adds one scratch slot for padding entries). */
    int capacity();

    /** Fails at load time with one line when this family cannot run {@code order} with this plan. */
    void checkOrder(OrderScheduler order, Plan samplePlan);

    /** Per-image bookkeeping for one generation of class {@code classId}. */
    ImageSteps start(int classId, boolean maskUnwritten);

    /** Builds each pass's inputs for one image; called once per pass, in pass order. */
    interface ImageSteps {
        /**
         * Inputs generating {@code group}; {@code tokens[cell]} is the token of each generated cell or −1.
         * Every cell of the group must appear as exactly one entry's target.
         */
        StepInputs inputs(Group group, int[] tokens);
    }
}
