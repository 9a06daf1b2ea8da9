package io.tessera.app.eval;

/**
 * What the metrics give on real data: the Fréchet distance between the features of {@code nTrain}
 * training images and {@code nTest} test images, and the classifier's accuracy on the test images.
 * No sampler can be expected to do better than this with the same extractor.
 */
public record RealDataFloor(double fd, double accuracy, int nTrain, int nTest) {
}
