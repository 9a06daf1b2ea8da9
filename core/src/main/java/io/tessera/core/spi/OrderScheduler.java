package io.tessera.core.spi;

import io.tessera.core.config.ConfigNode;
import java.util.Set;
import org.pf4j.ExtensionPoint;

/**
 * Decides which grid cells are generated in each forward pass. It sees grid cells only and knows
 * nothing of the model: a family adapter turns its groups into model inputs.
 *
 * <p>Contract: {@link #plan} reads and validates its options from {@code options} (errors name the
 * YAML path, e.g. {@code order.window}), then returns a plan that yields every cell of the grid
 * exactly once; the same grid, options and seed give the same plan (for static orders, the same
 * groups; adaptive orders may also depend on {@link PlanState}). Implementations are stateless
 * {@code @Extension}s; all state lives in the returned {@link Plan}.
 */
public interface OrderScheduler extends ExtensionPoint {
    /** Unique name used in YAML ({@code order.name}) and on the command line. */
    String name();

    /** One line for {@code tessera orders}. */
    String description();

    /**
     * Model families this order can drive: {@code llamagen} (raster next-token models) only runs
     * orders whose every target has its raster predecessor generated or a stand-in; position-query
     * families ({@code lpd}, {@code randar}) run any order; {@code par} runs its own.
     */
    Set<String> families();

    Plan plan(GridSize grid, ConfigNode options, long seed);
}
