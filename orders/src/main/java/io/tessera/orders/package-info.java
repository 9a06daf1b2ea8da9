/**
 * The built-in orders, each a PF4J extension that sees cells only: raster, ZipAR's wavefront (fixed
 * and adaptive window), PAR's region interleaving, LPD's locality-aware order with the official
 * group-size tables ({@code GroupSchedules}), random, and explicit groups from a file.
 */
package io.tessera.orders;
