package io.tessera.datasets;

import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.checkpoint.Checkpoint;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * Inference with the trained Fashion-MNIST classifier through libtorch: logits and penultimate
 * features (the quality metric's feature space) of float images [n, 3, 32, 32] in [−1, 1].
 * Name map: {@link ClassifierNet}.
 */
public final class FmnistClassifier implements AutoCloseable {
    private final ClassifierNet net;
    private final Device device;

    /** Logits [n, 10] and features [n, featureDim], row-major. */
    public record Result(int n, float[] logits, float[] features, int featureDim) {
    }

    private FmnistClassifier(ClassifierNet net, Device device) {
        this.net = net;
        this.device = device;
    }

    /** Loads a classifier file (safetensors, F32 or BF16) onto {@code device} (cpu | cuda | auto). */
    public static FmnistClassifier load(Path file, String device) {
        return load(file, Ops.device(device, "device"));
    }

    public static FmnistClassifier load(Path file, Device device) {
        try (Checkpoint ckpt = io.tessera.core.checkpoint.Checkpoints.open(file)) {
            return of(ckpt, device);
        }
    }

    public static FmnistClassifier of(Checkpoint ckpt, Device device) {
        ParamStore p = new ParamStore(device);
        return new FmnistClassifier(ClassifierNet.fromCheckpoint(ckpt, p), device);
    }

    public int featureDim() {
        return net.features();
    }

    /** Forward pass in batches of 256. */
    public Result forward(float[] images, int n) {
        int plane = 3 * FashionMnist.PADDED * FashionMnist.PADDED;
        if (images.length != n * plane) {
            throw new IllegalArgumentException("images: " + images.length + " floats for " + n + " images of [3, 32, 32]");
        }
        int f = net.features();
        float[] logits = new float[n * FashionMnist.CLASSES];
        float[] feats = new float[n * f];
        int bs = 256;
        for (int start = 0; start < n; start += bs) {
            int b = Math.min(bs, n - start);
            float[] chunk = java.util.Arrays.copyOfRange(images, start * plane, (start + b) * plane);
            try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
                ClassifierNet.Output o = net.forward(Ops.floats(device, chunk, b, 3, FashionMnist.PADDED, FashionMnist.PADDED));
                System.arraycopy(Ops.toFloats(o.logits()), 0, logits, start * FashionMnist.CLASSES, b * FashionMnist.CLASSES);
                System.arraycopy(Ops.toFloats(o.features()), 0, feats, start * f, b * f);
            }
        }
        return new Result(n, logits, feats, f);
    }

    /** Arg-max class of each image. */
    public int[] predict(float[] images, int n) {
        return argmax(forward(images, n).logits(), n);
    }

    /** The predicted class of each of {@code n} rows of logits [n, 10] (the first maximum). */
    public static int[] argmax(float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < FashionMnist.CLASSES; c++) {
                if (logits[i * FashionMnist.CLASSES + c] > logits[i * FashionMnist.CLASSES + best]) {
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /**
     * Classifier agreement: the share of images whose predicted class is the wanted one (the
     * requested class of a sample, or the label of a real image).
     */
    public static double agreement(int[] predicted, int[] wanted) {
        if (predicted.length != wanted.length || predicted.length == 0) {
            throw new IllegalArgumentException("agreement: " + predicted.length + " predictions for " + wanted.length + " classes");
        }
        int hit = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == wanted[i]) {
                hit++;
            }
        }
        return (double) hit / predicted.length;
    }

    @Override
    public void close() {
        // parameters are released with their Java objects
    }
}
