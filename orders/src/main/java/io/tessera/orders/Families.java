package io.tessera.orders;

import java.util.Set;

/** The family sets the built-in orders declare (see {@link io.tessera.core.spi.OrderScheduler#families()}). */
final class Families {
    /** Raster next-token models (with stand-ins), plus every position-query family. */
    static final Set<String> RASTER_COMPATIBLE = Set.of("llamagen", "lpd", "randar");
    /** Position-query families only: they can generate any cell at any time. */
    static final Set<String> ANY_ORDER = Set.of("lpd", "randar");
    /** PAR's own region-interleaved order, which position-query families can also run. */
    static final Set<String> PAR = Set.of("par", "lpd", "randar");

    private Families() {
    }
}
