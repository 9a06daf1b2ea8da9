/**
 * The {@code tessera} command line (picocli): generate, inspect, convert, orders, bench, train (eval in
 * {@code io.tessera.app.eval}), the embedded default pipeline and models, and the exit-code mapping.
 */
package io.tessera.app;
