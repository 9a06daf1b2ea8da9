/**
 * Data for the embedded models: Fashion-MNIST's IDX files with Tessera's one preprocessing
 * ({@link io.tessera.datasets.FashionMnist}: 28 → 32 px, [−1, 1], RGB) and the in-house classifier whose
 * penultimate features define the quality metric (libtorch {@code ClassifierNet}/{@code FmnistClassifier},
 * plain Java {@code ClassifierJava}, agreement and argmax).
 */
package io.tessera.datasets;
