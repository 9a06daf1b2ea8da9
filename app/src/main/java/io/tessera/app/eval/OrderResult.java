package io.tessera.app.eval;

/**
 * One order's row of the evaluation. Quantities that were not measured are {@code NaN}
 * (skipped orders; quality without a classifier).
 *
 * @param label            the order spec as normalised by {@link io.tessera.core.pipeline.OrderSpec#label()}
 * @param skipReason       null if the order ran; else one line saying why it could not drive the model
 * @param samples          images generated (0 if skipped)
 * @param passesPerImage   forward passes per image, mean over the images
 * @param tokensPerPass    tokens per forward pass: cells · samples / total passes
 * @param genMsPerImage    wall-clock generation time per image (decode excluded)
 * @param genMsPerBatch    wall-clock generation time per batch of {@code --batch} images
 * @param decodeMsPerImage wall-clock tokenizer decode time per image
 * @param fd               Fréchet distance of the extractor features to the real test images
 * @param accuracy         fraction of samples the classifier assigns to the requested class
 * @param npz              file name of the samples ({@code .npz}, uint8 [N, H, W, 3]) in the output directory
 * @param tokens           file name of the token grids ({@code .npy}, int32 [N, h, w])
 */
public record OrderResult(String label, String skipReason, int samples, double passesPerImage, double tokensPerPass,
                          double genMsPerImage, double genMsPerBatch, double decodeMsPerImage, double fd, double accuracy,
                          String npz, String tokens) {

    /** A row for an order that cannot drive the model. */
    public static OrderResult skipped(String label, String reason) {
        return new OrderResult(label, reason, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, null, null);
    }

    public boolean ran() {
        return skipReason == null;
    }

    /** {@code ok} or {@code skipped}. */
    public String status() {
        return ran() ? "ok" : "skipped";
    }
}
