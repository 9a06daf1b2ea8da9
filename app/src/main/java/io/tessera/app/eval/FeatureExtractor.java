package io.tessera.app.eval;

/**
 * A network that maps images to feature vectors (for the Fréchet distance) and to class predictions
 * (for accuracy against the requested class): the role Inception-v3 plays for ImageNet FID, played
 * for Fashion-MNIST by a small CNN classifier.
 *
 * <p>Contract: {@link #extract} is deterministic (the same images give the same features), accepts
 * any {@code n ≥ 1} (the caller chunks large sets), and fails with a one-line
 * {@link io.tessera.core.TesseraException} when it cannot take images of this size.
 */
public interface FeatureExtractor extends AutoCloseable {
    /** Feature dimension d. */
    int dim();

    /** One line naming the extractor, for the report (e.g. the classifier file). */
    String description();

    /**
     * Features and predicted classes of {@code n} images.
     *
     * @param images float [n, 3, size, size] in [−1, 1] (the range the tokenizer decodes to)
     * @param n      number of images
     * @param size   pixels per side
     */
    Features extract(float[] images, int n, int size);

    /** Releases native resources; the default does nothing. */
    @Override
    default void close() {
    }

    /**
     * @param features  [n, dim] row-major
     * @param predicted [n] the predicted class of each image (argmax of the logits)
     */
    record Features(float[] features, int[] predicted, int n, int dim) {
        public Features {
            if (features.length != n * dim || predicted.length != n) {
                throw new IllegalArgumentException("features " + features.length + " / predictions " + predicted.length
                        + " do not match n = " + n + ", dim = " + dim);
            }
        }
    }
}
