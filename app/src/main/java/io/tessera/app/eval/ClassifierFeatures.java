package io.tessera.app.eval;

import io.tessera.core.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The trained Fashion-MNIST CNN classifier ({@code --classifier FILE}, a safetensors file) as a
 * {@link FeatureExtractor}: penultimate-layer features for the Fréchet distance, argmax of the 10
 * logits as the predicted class. Images must be 32×32 (the padded Fashion-MNIST size).
 *
 * <p>The network runs in libtorch ({@code io.tessera.datasets.FmnistClassifier}) or, with device
 * {@code java}, in plain Java ({@code ClassifierJava}); both read the same name map.
 */
public final class ClassifierFeatures implements FeatureExtractor {
    /** Number of classes of the Fashion-MNIST classifier. */
    public static final int CLASSES = 10;
    /** The image side the classifier was trained on (28 px padded to 32). */
    public static final int SIZE = 32;

    /** The network's forward pass as this class needs it. */
    public interface Net extends AutoCloseable {
        /**
         * @param images float [n, 3, 32, 32] in [−1, 1]
         * @return logits [n·classes] and features [n·featureDim]
         */
        Output forward(float[] images, int n);

        @Override
        void close();
    }

    /** One forward pass's outputs. */
    public record Output(float[] logits, float[] features, int featureDim) {
    }

    private final Net net;
    private final String description;
    private int dim = -1;

    /** Wraps a network (tests pass a fake; {@link #open} loads the real one). */
    public ClassifierFeatures(Net net, String description) {
        this.net = net;
        this.description = description;
    }

    /**
     * Loads the classifier from {@code file} onto {@code device} ({@code cpu} or {@code cuda}).
     *
     * @throws ConfigException naming {@code --classifier} if the file is missing or cannot be loaded
     */
    public static ClassifierFeatures open(Path file, String device) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("--classifier " + file + ": no such file");
        }
        Net net;
        try {
            net = loadNet(file, device);
        } catch (io.tessera.core.TesseraException e) {
            throw new ConfigException("--classifier " + file.getFileName() + ": " + e.getMessage(), e);
        }
        return new ClassifierFeatures(net, "classifier " + file.getFileName() + " (" + device + ")");
    }

    /** libtorch ({@code cpu}, {@code cuda}, {@code auto}) or the pure-Java forward ({@code java}) of the trained classifier. */
    private static Net loadNet(Path file, String device) {
        if (device.equals("java")) {
            io.tessera.core.checkpoint.Checkpoint ckpt = io.tessera.core.checkpoint.Checkpoints.open(file);
            io.tessera.datasets.ClassifierJava m = new io.tessera.datasets.ClassifierJava(ckpt);
            return new Net() {
                @Override
                public Output forward(float[] images, int n) {
                    io.tessera.datasets.FmnistClassifier.Result r = m.forward(images, n);
                    return new Output(r.logits(), r.features(), r.featureDim());
                }

                @Override
                public void close() {
                    ckpt.close();
                }
            };
        }
        io.tessera.datasets.FmnistClassifier m = io.tessera.datasets.FmnistClassifier.load(file, device);
        return new Net() {
            @Override
            public Output forward(float[] images, int n) {
                io.tessera.datasets.FmnistClassifier.Result r = m.forward(images, n);
                return new Output(r.logits(), r.features(), r.featureDim());
            }

            @Override
            public void close() {
                m.close();
            }
        };
    }

    @Override
    public int dim() {
        if (dim < 0) {
            dim = forward(new float[3 * SIZE * SIZE], 1).featureDim();
        }
        return dim;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Features extract(float[] images, int n, int size) {
        if (size != SIZE) {
            throw new ConfigException("--classifier: the Fashion-MNIST classifier takes " + SIZE + "×" + SIZE
                    + " images, this pipeline makes " + size + "×" + size);
        }
        Output o = forward(images, n);
        dim = o.featureDim();
        return new Features(o.features(), io.tessera.datasets.FmnistClassifier.argmax(o.logits(), n), n, o.featureDim());
    }

    private Output forward(float[] images, int n) {
        Output o = net.forward(images, n);
        if (o.logits().length != n * CLASSES || o.features().length != n * o.featureDim()) {
            throw new IllegalStateException("classifier returned " + o.logits().length + " logits and " + o.features().length
                    + " features for " + n + " images (feature dim " + o.featureDim() + ")");
        }
        for (float[] a : new float[][] {o.logits(), o.features()}) {
            for (float v : a) {
                if (!Float.isFinite(v)) {
                    throw new io.tessera.core.BackendException(description + ": non-finite output (" + v + ") for finite input images; "
                            + "the classifier's device computes wrongly here (try --classifier-device java)");
                }
            }
        }
        return o;
    }

    @Override
    public void close() {
        net.close();
    }
}
