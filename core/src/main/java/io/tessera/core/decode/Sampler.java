package io.tessera.core.decode;

import io.tessera.core.NonFiniteException;
import java.util.Arrays;

/**
 * Host-side token sampling in LlamaGen's order ({@code generate.py sample()}): divide by
 * max(T, 1e-5) → top-k (logits below the k-th largest become −∞) → top-p (sorted descending,
 * cumulative softmax, drop entries whose cumulative probability exceeds p with the mask shifted
 * right by one so the top token always stays) → softmax → one draw from the portable {@link Rng}
 * (or argmax when greedy). Results depend only on the logits and the generator, never on the backend.
 */
public final class Sampler {
    private final SamplingConfig config;
    /** Scratch of {@link #sample} (one image's sampler is used by one thread at a time), so a draw allocates nothing. */
    private int[] keys = new int[0];
    private double[] probs = new double[0];

    public Sampler(SamplingConfig config) {
        this.config = config;
    }

    /** Combines guided logits in place into {@code cond}: uncond + (cond − uncond)·scale, in float as LlamaGen does. */
    public static void guide(float[] cond, int condOff, float[] uncond, int uncondOff, int n, float scale, float[] out) {
        requireFinite(cond, condOff, n, "conditional ");
        requireFinite(uncond, uncondOff, n, "unconditional ");
        for (int i = 0; i < n; i++) {
            float u = uncond[uncondOff + i];
            out[i] = u + (cond[condOff + i] - u) * scale;
        }
        int bad = firstNonFinite(out, 0, n);
        if (bad >= 0) {
            throw new NonFiniteException("sampling: classifier-free guidance (cfg_scale " + scale + ") made the logits "
                    + out[bad] + " at vocabulary index " + bad + " (lower sampling.cfg_scale)");
        }
    }

    /**
     * Fails with a one-line {@link NonFiniteException} when {@code logits[off, off + n)} holds a NaN or an
     * infinity: a forward pass produced it, from non-finite weights or an overflow. Checked on every
     * sampled position, before anything is drawn, so a NaN never becomes a token silently.
     */
    public static void requireFinite(float[] logits, int off, int n, String which) {
        int bad = firstNonFinite(logits, off, n);
        if (bad >= 0) {
            throw new NonFiniteException("sampling: the model's " + which + "logits hold " + logits[off + bad]
                    + " at vocabulary index " + bad + " (the checkpoint's weights are probably not finite: NaN or Inf)");
        }
    }

    private static int firstNonFinite(float[] a, int off, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(a[off + i])) {
                return i;
            }
        }
        return -1;
    }

    /** A drawn token and the probability the final distribution gave it. */
    public record Draw(int token, float probability) {
    }

    /** Samples one token from {@code logits} (modified in place). */
    public Draw sample(float[] logits, Rng rng) {
        int v = logits.length;
        requireFinite(logits, 0, v, "");
        float t = (float) Math.max(config.temperature(), 1e-5);
        if (t != 1f) { // x / 1 is x, bit for bit
            for (int i = 0; i < v; i++) {
                logits[i] = logits[i] / t;
            }
        }
        if (keys.length != v) {
            keys = new int[v];
            probs = new double[v];
        }
        if (config.topK() > 0 && config.topK() < v) {
            float kth = kthLargest(logits, config.topK(), keys);
            for (int i = 0; i < v; i++) {
                if (logits[i] < kth) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (config.topP() < 1.0) {
            applyTopP(logits, config.topP());
        }
        double[] probs = softmax(logits, this.probs);
        int token;
        if (config.greedy()) {
            token = argmax(logits);
        } else {
            double u = rng.nextDouble();
            double acc = 0;
            token = -1;
            int last = -1;
            for (int i = 0; i < v; i++) {
                if (probs[i] > 0) {
                    last = i;
                    acc += probs[i];
                    if (u < acc) {
                        token = i;
                        break;
                    }
                }
            }
            if (token < 0) {
                token = last; // rounding left u just above the total mass
            }
        }
        return new Draw(token, (float) probs[token]);
    }

    /**
     * The k-th largest of {@code x} counting repeats, in {@link Float#compare}'s order: exactly
     * {@code sorted[length − k]} of an ascending {@link Arrays#sort}, found by a selection (expected linear
     * time; deterministic pivots) over order-preserving integer keys instead of a full sort.
     */
    static float kthLargest(float[] x, int k) {
        return kthLargest(x, k, new int[x.length]);
    }

    /** {@link #kthLargest(float[], int)} with {@code keys} (at least {@code x.length} long) as scratch. */
    static float kthLargest(float[] x, int k, int[] keys) {
        int n = x.length;
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k must be in [1, " + n + "], got " + k);
        }
        for (int i = 0; i < n; i++) {
            keys[i] = sortableKey(x[i]);
        }
        int target = n - k; // index in ascending order
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            // median of three as the pivot, then a three-way partition: [lo, lt) < p, [lt, gt] == p, (gt, hi] > p
            int mid = (lo + hi) >>> 1;
            int a = keys[lo];
            int b = keys[mid];
            int c = keys[hi];
            int pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
            int lt = lo;
            int gt = hi;
            int i = lo;
            while (i <= gt) {
                int key = keys[i];
                if (key < pivot) {
                    keys[i++] = keys[lt];
                    keys[lt++] = key;
                } else if (key > pivot) {
                    keys[i] = keys[gt];
                    keys[gt--] = key;
                } else {
                    i++;
                }
            }
            if (target < lt) {
                hi = lt - 1;
            } else if (target > gt) {
                lo = gt + 1;
            } else {
                return fromSortableKey(pivot);
            }
        }
        return fromSortableKey(keys[target]);
    }

    /** An int whose signed order is {@link Float#compare}'s order of non-NaN floats (−0.0 before 0.0). */
    private static int sortableKey(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    private static float fromSortableKey(int key) {
        return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7fffffff));
    }

    private static void applyTopP(float[] logits, double p) {
        int v = logits.length;
        Integer[] idx = new Integer[v];
        for (int i = 0; i < v; i++) {
            idx[i] = i;
        }
        // stable descending sort (ties keep index order)
        Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
        float[] sortedLogits = new float[v];
        for (int i = 0; i < v; i++) {
            sortedLogits[i] = logits[idx[i]];
        }
        double[] sp = softmax(sortedLogits);
        double cum = 0;
        boolean[] remove = new boolean[v];
        for (int i = 0; i < v; i++) {
            cum += sp[i];
            remove[i] = cum > p;
        }
        // shift right by one: the first token is always kept
        for (int i = v - 1; i > 0; i--) {
            remove[i] = remove[i - 1];
        }
        remove[0] = false;
        for (int i = 0; i < v; i++) {
            if (remove[i]) {
                logits[idx[i]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    static double[] softmax(float[] x) {
        return softmax(x, new double[x.length]);
    }

    /** Softmax of {@code x} into {@code out} (at least {@code x.length} long), which it returns. */
    static double[] softmax(float[] x, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (float f : x) {
            max = Math.max(max, f);
        }
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double e = x[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(x[i] - max);
            out[i] = e;
            sum += e;
        }
        for (int i = 0; i < x.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    /** Index of the largest value (first on ties, as torch.argmax). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
