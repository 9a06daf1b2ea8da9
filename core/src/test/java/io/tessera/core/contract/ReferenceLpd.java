package io.tessera.core.contract;

import io.tessera.core.BackendException;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The oracle for LPD's ViT (mit-han-lab/lpd {@code models/lpd.py}, {@code models/block.py}) with its
 * inference KV cache ({@code Attention.forward_inference}): a naive scalar forward in double precision.
 *
 * <p>Semantics ({@link ForwardBatch}):
 * <ul>
 *   <li>embedding: CLASS id &lt; class_num → {@code class_emb[id]}, id = class_num → {@code fake_latent};
 *       TOKEN → {@code token_emb[id]}; QUERY (id 0) → {@code mask_token}; then {@code + pos_embed[position]}
 *       (0 = class, 1 + k = cell k) and {@code z_proj_ln} (LayerNorm);</li>
 *   <li>each block: {@code x = norm1(h)}; {@code qkv = W·x + b} split [q | k | v], head h = dims
 *       [h·hd, (h+1)·hd) of each; every entry's k, v written at its slot first; softmax attention with scale
 *       1/√hd over the visible slots (an unwritten visible slot holds key 0, value 0);
 *       {@code h += proj(attn)}; {@code h += fc2(gelu(fc1(norm2(h))))} with the exact erf GELU;</li>
 *   <li>logits = {@code head(norm(h))} (no bias). Every LayerNorm uses the config's eps (1e-6) and the biased
 *       variance.</li>
 * </ul>
 */
public final class ReferenceLpd implements GptSession {
    private final LpdModel model;
    private final LpdConfig c;
    private final float[] classEmb;
    private final float[] tokenEmb;
    private final float[] fakeLatent;
    private final float[] posEmbed;
    private final float[] zLnW;
    private final float[] zLnB;
    private final float[] maskToken;
    private final List<float[][]> blocks = new ArrayList<>();
    private final float[] normW;
    private final float[] normB;
    private final float[] head;

    private int rows;
    private int capacity;
    private double[][][][] keys;   // [layer][row][slot][dim]
    private double[][][][] values; // [layer][row][slot][dim]

    public ReferenceLpd(LpdModel model) {
        this.model = model;
        this.c = model.config();
        LpdWeights w = model.weights();
        classEmb = w.classEmb().toFloatArray();
        tokenEmb = w.tokenEmb().toFloatArray();
        fakeLatent = w.fakeLatent().toFloatArray();
        posEmbed = w.posEmbed().toFloatArray();
        zLnW = w.zProjLnWeight().toFloatArray();
        zLnB = w.zProjLnBias().toFloatArray();
        maskToken = w.maskToken().toFloatArray();
        for (LpdWeights.Block b : w.blocks()) {
            blocks.add(new float[][] {b.norm1Weight().toFloatArray(), b.norm1Bias().toFloatArray(), b.qkvWeight().toFloatArray(),
                    b.qkvBias().toFloatArray(), b.projWeight().toFloatArray(), b.projBias().toFloatArray(),
                    b.norm2Weight().toFloatArray(), b.norm2Bias().toFloatArray(), b.fc1Weight().toFloatArray(),
                    b.fc1Bias().toFloatArray(), b.fc2Weight().toFloatArray(), b.fc2Bias().toFloatArray()});
        }
        normW = w.normWeight().toFloatArray();
        normB = w.normBias().toFloatArray();
        head = w.head().toFloatArray();
    }

    @Override
    public ModelSpec model() {
        return model;
    }

    @Override
    public void reset(int rows, int capacity) {
        if (rows <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("reset: rows and capacity must be positive, got " + rows + ", " + capacity);
        }
        this.rows = rows;
        this.capacity = capacity;
        keys = new double[c.depth()][rows][capacity][c.dim()];
        values = new double[c.depth()][rows][capacity][c.dim()];
    }

    @Override
    public void clearRow(int row) {
        if (keys == null || row < 0 || row >= rows) {
            throw new IllegalArgumentException("reference lpd: clearRow(" + row + ") outside the cache's " + rows + " rows");
        }
        for (int l = 0; l < c.depth(); l++) {
            for (double[] slot : keys[l][row]) {
                Arrays.fill(slot, 0);
            }
            for (double[] slot : values[l][row]) {
                Arrays.fill(slot, 0);
            }
        }
    }

    @Override
    public float[] forward(ForwardBatch batch) {
        double[] exact = forwardExact(batch);
        float[] out = new float[exact.length];
        for (int i = 0; i < exact.length; i++) {
            out[i] = (float) exact[i];
        }
        return out;
    }

    /** {@link #forward} in double precision: logits [rows·length·vocab] in batch order. */
    public double[] forwardExact(ForwardBatch b) {
        check(b);
        int n = b.rows() * b.length();
        int dim = c.dim();
        int hidden = c.mlpHidden();
        double eps = c.normEps();
        double[][] h = new double[n][];
        for (int i = 0; i < n; i++) {
            h[i] = embed(b.kinds()[i], b.ids()[i], b.positions()[i]);
        }
        for (int l = 0; l < c.depth(); l++) {
            float[][] w = blocks.get(l);
            double[][] q = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] x = layerNorm(h[i], w[0], w[1], eps);
                double[] qkv = linear(w[2], w[3], x, 3 * dim, dim);
                int row = b.cacheRowOf(i);
                q[i] = slice(qkv, 0, dim);
                keys[l][row][b.slots()[i]] = slice(qkv, dim, dim);
                values[l][row][b.slots()[i]] = slice(qkv, 2 * dim, dim);
            }
            double[][] attn = new double[n][];
            for (int i = 0; i < n; i++) {
                attn[i] = attend(l, i / b.length(), i % b.length(), q[i], b);
            }
            for (int i = 0; i < n; i++) {
                double[] o = linear(w[4], w[5], attn[i], dim, dim);
                for (int d = 0; d < dim; d++) {
                    h[i][d] += o[d];
                }
                double[] x2 = layerNorm(h[i], w[6], w[7], eps);
                double[] a = linear(w[8], w[9], x2, hidden, dim);
                for (int j = 0; j < hidden; j++) {
                    a[j] = gelu(a[j]);
                }
                double[] down = linear(w[10], w[11], a, dim, hidden);
                for (int d = 0; d < dim; d++) {
                    h[i][d] += down[d];
                }
            }
        }
        int vocab = c.vocabSize();
        double[] logits = new double[n * vocab];
        for (int i = 0; i < n; i++) {
            double[] x = layerNorm(h[i], normW, normB, eps);
            System.arraycopy(ReferenceLlamaGen.matVec(head, x, vocab, dim), 0, logits, i * vocab, vocab);
        }
        return logits;
    }

    /** Softmax attention of entry (row, t) over the visible slots (plain multi-head); returns [dim]. */
    private double[] attend(int layer, int row, int t, double[] q, ForwardBatch b) {
        return ReferenceLlamaGen.attendCache(keys[layer][b.cacheRows()[row]], values[layer][b.cacheRows()[row]], q, c.numHeads(), c.numHeads(), c.headDim(), row, t, b);
    }

    private double[] embed(EntryKind kind, int id, int position) {
        int dim = c.dim();
        float[] table;
        int rowIndex;
        switch (kind) {
            case CLASS -> {
                if (id < 0 || id > c.numClasses()) {
                    throw new IllegalArgumentException("reference lpd: class id " + id + " outside [0, " + c.numClasses() + "]");
                }
                table = id == c.numClasses() ? fakeLatent : classEmb;
                rowIndex = id == c.numClasses() ? 0 : id;
            }
            case TOKEN -> {
                if (id < 0 || id >= c.vocabSize()) {
                    throw new IllegalArgumentException("reference lpd: token id " + id + " outside [0, " + c.vocabSize() + ")");
                }
                table = tokenEmb;
                rowIndex = id;
            }
            case QUERY -> {
                if (id != 0) {
                    throw new BackendException("reference lpd: the only QUERY is the mask token (id 0), got id " + id);
                }
                table = maskToken;
                rowIndex = 0;
            }
            default -> throw new BackendException("reference lpd: unknown entry kind " + kind);
        }
        double[] e = new double[dim];
        for (int d = 0; d < dim; d++) {
            e[d] = (double) table[rowIndex * dim + d] + posEmbed[position * dim + d];
        }
        return layerNorm(e, zLnW, zLnB, c.normEps());
    }

    private void check(ForwardBatch b) {
        if (keys == null) {
            throw new IllegalStateException("reference lpd: forward before reset");
        }
        if (b.rowsNeeded() > rows || b.capacity() != capacity) {
            throw new IllegalArgumentException("reference lpd: batch has " + b.rows() + " rows × capacity " + b.capacity()
                    + ", cache was reset to " + rows + " × " + capacity);
        }
        for (int i = 0; i < b.rows() * b.length(); i++) {
            int p = b.positions()[i];
            if (p < 0 || p > c.seqLen()) {
                throw new IllegalArgumentException("reference lpd: position " + p + " outside [0, " + c.seqLen() + "]");
            }
            if (b.slots()[i] < 0 || b.slots()[i] >= capacity) {
                throw new IllegalArgumentException("reference lpd: slot " + b.slots()[i] + " outside [0, " + capacity + ")");
            }
        }
    }

    @Override
    public void close() {
        keys = null;
        values = null;
    }

    // ---- building blocks (public for the self-tests) ----

    /** nn.LayerNorm: (x − mean) / √(biased var + eps) · w + b. */
    public static double[] layerNorm(double[] x, float[] w, float[] b, double eps) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double inv = 1.0 / StrictMath.sqrt(var + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) * inv * w[i] + b[i];
        }
        return out;
    }

    /** nn.Linear with bias: W [rows, cols]·x + b. */
    public static double[] linear(float[] w, float[] b, double[] x, int rows, int cols) {
        double[] y = ReferenceLlamaGen.matVec(w, x, rows, cols);
        for (int r = 0; r < rows; r++) {
            y[r] += b[r];
        }
        return y;
    }

    /** nn.GELU() (approximate='none'): x·Φ(x) = x/2·(1 + erf(x/√2)). */
    public static double gelu(double x) {
        return 0.5 * x * (1.0 + erf(x / StrictMath.sqrt(2.0)));
    }

    /**
     * erf in double, by the everywhere-positive series erf(x) = 2/√π · e^{−x²} · Σ_{n≥0} 2ⁿ x^{2n+1} / (2n+1)!!
     * (no cancellation; relative error ≈ 1e-15); |x| ≥ 6 gives ±1 (1 − erf(6) ≈ 2e-17).
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        if (a >= 6) {
            return Math.signum(x);
        }
        double term = a;
        double sum = a;
        double twoX2 = 2 * a * a;
        for (int n = 1; n < 500; n++) {
            term *= twoX2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) {
                break;
            }
        }
        double r = 2 / StrictMath.sqrt(StrictMath.PI) * StrictMath.exp(-a * a) * sum;
        return Math.copySign(Math.min(r, 1.0), x);
    }

    private static double[] slice(double[] a, int from, int len) {
        double[] out = new double[len];
        System.arraycopy(a, from, out, 0, len);
        return out;
    }
}
