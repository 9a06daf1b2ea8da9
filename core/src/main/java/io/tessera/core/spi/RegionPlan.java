package io.tessera.core.spi;

/**
 * A {@link Plan} that cuts the grid into regions, as PAR's region-interleaved order does. Lets a
 * family adapter in core check the plan against its model without depending on the orders module
 * (a PAR model trained with n regions can only run a plan with the same n).
 */
public interface RegionPlan extends Plan {
    /** Number of regions n = M² (4 for PAR-4×, 16 for PAR-16×). */
    int regions();
}
