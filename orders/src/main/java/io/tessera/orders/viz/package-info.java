/**
 * {@code tessera orders}: passes-per-image tables and pictures of orders (each cell coloured by its
 * pass), computed by running a plan against a simulated state.
 */
package io.tessera.orders.viz;
