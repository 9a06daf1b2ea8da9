package io.tessera.datasets;

import io.tessera.core.CheckpointException;
import io.tessera.core.checkpoint.Checkpoint;

/**
 * The {@link ClassifierNet} forward in plain Java (no libtorch): the same name map, numbers equal to
 * the libtorch forward up to float rounding. Slow (scalar loops) but enough for a few thousand
 * images; use it where libtorch is not available.
 */
public final class ClassifierJava {
    private final float[][] convW = new float[5][];
    private final float[][] convB = new float[5][];
    private final int[] convIn = new int[5];
    private final int[] convOut = new int[5];
    private final float[] fc1W;
    private final float[] fc1B;
    private final float[] fc2W;
    private final float[] fc2B;
    private final int features;
    private final int flat;

    /** Reads the classifier tensors of {@code ckpt} (F32 or BF16), checking their shapes. */
    public ClassifierJava(Checkpoint ckpt) {
        String file = ckpt.path().toString();
        for (int i = 0; i < 5; i++) {
            var w = ckpt.get(ClassifierNet.CONVS[i] + ".weight");
            if (w.rank() != 4 || w.dim(2) != 3 || w.dim(3) != 3) {
                throw new CheckpointException(file + ": tensor '" + w.name() + "' must be [out, in, 3, 3]");
            }
            convOut[i] = (int) w.dim(0);
            convIn[i] = (int) w.dim(1);
            convW[i] = w.toFloatArray();
            convB[i] = ckpt.get(ClassifierNet.CONVS[i] + ".bias").requireShape(file, convOut[i]).toFloatArray();
        }
        flat = convOut[4] * 16;
        features = (int) ckpt.get("fc1.weight").dim(0);
        fc1W = ckpt.get("fc1.weight").requireShape(file, features, flat).toFloatArray();
        fc1B = ckpt.get("fc1.bias").requireShape(file, features).toFloatArray();
        fc2W = ckpt.get("fc2.weight").requireShape(file, FashionMnist.CLASSES, features).toFloatArray();
        fc2B = ckpt.get("fc2.bias").requireShape(file, FashionMnist.CLASSES).toFloatArray();
    }

    public int featureDim() {
        return features;
    }

    /** Logits and features of images [n, 3, 32, 32] in [−1, 1]. */
    public FmnistClassifier.Result forward(float[] images, int n) {
        int plane = 3 * FashionMnist.PADDED * FashionMnist.PADDED;
        float[] logits = new float[n * FashionMnist.CLASSES];
        float[] feats = new float[n * features];
        for (int i = 0; i < n; i++) {
            float[] h = java.util.Arrays.copyOfRange(images, i * plane, (i + 1) * plane); // [3, 32, 32]
            int s = FashionMnist.PADDED;
            h = conv(0, h, s);                  // [w0, 32, 32]
            h = pool(conv(1, h, s), convOut[1], s);
            s /= 2;                              // [w0, 16, 16]
            h = conv(2, h, s);                  // [w1, 16, 16]
            h = pool(conv(3, h, s), convOut[3], s);
            s /= 2;                              // [w1, 8, 8]
            h = pool(conv(4, h, s), convOut[4], s); // [w2, 4, 4], flattened channel-major
            for (int f = 0; f < features; f++) {
                double acc = fc1B[f];
                for (int j = 0; j < flat; j++) {
                    acc += (double) fc1W[f * flat + j] * h[j];
                }
                feats[i * features + f] = (float) Math.max(0, acc);
            }
            for (int c = 0; c < FashionMnist.CLASSES; c++) {
                double acc = fc2B[c];
                for (int f = 0; f < features; f++) {
                    acc += (double) fc2W[c * features + f] * feats[i * features + f];
                }
                logits[i * FashionMnist.CLASSES + c] = (float) acc;
            }
        }
        return new FmnistClassifier.Result(n, logits, feats, features);
    }

    /** 3×3 conv, stride 1, zero padding 1, + bias, ReLU: [in, s, s] → [out, s, s]. */
    private float[] conv(int layer, float[] x, int s) {
        int in = convIn[layer];
        int out = convOut[layer];
        float[] w = convW[layer];
        float[] y = new float[out * s * s];
        for (int o = 0; o < out; o++) {
            for (int yy = 0; yy < s; yy++) {
                for (int xx = 0; xx < s; xx++) {
                    double acc = convB[layer][o];
                    for (int c = 0; c < in; c++) {
                        for (int ky = 0; ky < 3; ky++) {
                            int sy = yy + ky - 1;
                            if (sy < 0 || sy >= s) {
                                continue;
                            }
                            for (int kx = 0; kx < 3; kx++) {
                                int sx = xx + kx - 1;
                                if (sx >= 0 && sx < s) {
                                    acc += (double) w[((o * in + c) * 3 + ky) * 3 + kx] * x[(c * s + sy) * s + sx];
                                }
                            }
                        }
                    }
                    y[(o * s + yy) * s + xx] = (float) Math.max(0, acc);
                }
            }
        }
        return y;
    }

    /** 2×2 max-pool, stride 2: [ch, s, s] → [ch, s/2, s/2]. */
    private static float[] pool(float[] x, int ch, int s) {
        int h = s / 2;
        float[] y = new float[ch * h * h];
        for (int c = 0; c < ch; c++) {
            for (int yy = 0; yy < h; yy++) {
                for (int xx = 0; xx < h; xx++) {
                    int b = (c * s + 2 * yy) * s + 2 * xx;
                    y[(c * h + yy) * h + xx] = Math.max(Math.max(x[b], x[b + 1]), Math.max(x[b + s], x[b + s + 1]));
                }
            }
        }
        return y;
    }
}
