/**
 * {@code tessera eval}: several orders on one model with the same seed; passes, tokens per pass and
 * latency per order, and with a classifier the Fréchet distance and class agreement against real
 * Fashion-MNIST (features from {@code io.tessera.datasets}); results as CSV/JSON, plots and {@code .npz}.
 */
package io.tessera.app.eval;
