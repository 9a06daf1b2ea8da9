package io.tessera.core.contract;

import io.tessera.core.BackendException;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.RandarModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The oracle for the LlamaGen c2i GPT ({@code autoregressive/models/gpt.py}) and for PAR, the same GPT with
 * transition tokens (PAR {@code autoregressive/models/gpt.py}): a naive scalar forward
 * pass with a KV cache, in double precision, written to be read rather than to be fast. Every backend is
 * compared with it by {@link BackendContractTest}.
 *
 * <p>Semantics (ALGORITHMS.md Part A §3, §4; {@link ForwardBatch}):
 * <ul>
 *   <li>embedding: CLASS → {@code cls_embedding.embedding_table[id]}, TOKEN → {@code tok_embeddings[id]};
 *       QUERY → PAR's transition token {@code spe_tok_embeddings.special_embeddings[id]} (refused for llamagen);
 *       a PAR transition token sits at position 0, whose zero RoPE row zeroes its q and k as for the class;</li>
 *   <li>each block: {@code x = RMSNorm(h)·w}; {@code qkv = wqkv·x} split [n_head·hd | n_kv·hd | n_kv·hd];
 *       2-D RoPE on q and k at the entry's position ({@link #ropeCosSin}); every entry's k and v are written
 *       to its cache slot before any attention is computed; each query head h attends with scale
 *       1/√hd to the visible slots of kv head {@code h / (n_head / n_kv)} (torch {@code repeat_interleave});
 *       an unwritten visible slot holds key 0 and value 0 (score 0, value 0);
 *       {@code h += wo·attn}; {@code h += w2·(silu(w1·x') ⊙ w3·x')} with {@code x' = RMSNorm_ffn(h)};</li>
 *   <li>logits = {@code output·RMSNorm(h)}.</li>
 * </ul>
 * Weights are read once through {@link LlamaGenWeights} (F32, BF16 and F16 widen exactly); all arithmetic
 * is in double and uses {@link StrictMath}, so the results are the same bits on every machine.
 */
public final class ReferenceLlamaGen implements GptSession {
    private final ModelSpec model;
    private final LlamaGenConfig c;
    private final float[] queryTable; // [n − 1, dim] PAR transition tokens, or null (llamagen)
    private final float[] posInstruct; // [dim] RandAR position-instruction vector, or null
    private final int hd;
    private final float[] clsTable;   // [classes(+1), dim]
    private final float[] tokTable;   // [vocab, dim]
    private final List<float[][]> layers = new ArrayList<>(); // per layer: attnNorm, wqkv, wo, ffnNorm, w1, w3, w2
    private final float[] finalNorm;  // [dim]
    private final float[] output;     // [vocab, dim]

    private int rows;
    private int capacity;
    private double[][][][] keys;      // [layer][row][slot][n_kv·hd]
    private double[][][][] values;    // [layer][row][slot][n_kv·hd]

    public ReferenceLlamaGen(LlamaGenModel model) {
        this(model, model.weights(), null);
    }

    /** PAR: the LlamaGen GPT plus the transition-token table for QUERY entries. */
    public ReferenceLlamaGen(ParModel model) {
        this(model, model.weights().gpt(), model.weights().transition().toFloatArray());
    }

    /**
     * RandAR: QUERY (id 0) at position p embeds {@code pos_instruct_embeddings} rotated per head by RoPE row p, in
     * double; attention then rotates its q and k by row p again (the official double rotation).
     */
    public ReferenceLlamaGen(RandarModel model) {
        this(model, model.weights().gpt(), null, model.weights().posInstruct().toFloatArray());
    }

    private ReferenceLlamaGen(ModelSpec model, LlamaGenWeights w, float[] queryTable) {
        this(model, w, queryTable, null);
    }

    private ReferenceLlamaGen(ModelSpec model, LlamaGenWeights w, float[] queryTable, float[] posInstruct) {
        this.model = model;
        this.posInstruct = posInstruct;
        this.c = w.config();
        this.hd = c.headDim();
        this.queryTable = queryTable;
        clsTable = w.clsEmbedding().toFloatArray();
        tokTable = w.tokEmbeddings().toFloatArray();
        for (LlamaGenWeights.Layer l : w.layers()) {
            layers.add(new float[][] {l.attentionNorm().toFloatArray(), l.wqkv().toFloatArray(), l.wo().toFloatArray(),
                    l.ffnNorm().toFloatArray(), l.w1().toFloatArray(), l.w3().toFloatArray(), l.w2().toFloatArray()});
        }
        finalNorm = w.norm().toFloatArray();
        output = w.output().toFloatArray();
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
        int kvWidth = c.nKvHead() * hd;
        keys = new double[c.nLayer()][rows][capacity][kvWidth];   // Java arrays start zero-filled
        values = new double[c.nLayer()][rows][capacity][kvWidth];
    }

    @Override
    public void clearRow(int row) {
        if (keys == null || row < 0 || row >= rows) {
            throw new IllegalArgumentException("reference: clearRow(" + row + ") outside the cache's " + rows + " rows");
        }
        for (int l = 0; l < c.nLayer(); l++) {
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
        double[][] h = new double[n][];
        for (int i = 0; i < n; i++) {
            h[i] = b.kinds()[i] == EntryKind.QUERY && posInstruct != null ? instruction(b.ids()[i], b.positions()[i])
                    : embed(b.kinds()[i], b.ids()[i]);
        }
        for (int l = 0; l < c.nLayer(); l++) {
            float[][] w = layers.get(l);
            double[][] q = new double[n][];
            // 1. project every entry and write its key/value at its slot
            for (int i = 0; i < n; i++) {
                double[] x = rmsNorm(h[i], w[0], c.normEps());
                double[] qkv = matVec(w[1], x, (c.nHead() + 2 * c.nKvHead()) * hd, dim);
                int qw = c.nHead() * hd;
                int kw = c.nKvHead() * hd;
                double[] qi = slice(qkv, 0, qw);
                double[] ki = slice(qkv, qw, kw);
                double[] vi = slice(qkv, qw + kw, kw);
                double[] rope = ropeCosSin(b.positions()[i], c.grid(), hd, c.ropeBase());
                for (int head = 0; head < c.nHead(); head++) {
                    applyRope(qi, head * hd, rope);
                }
                for (int head = 0; head < c.nKvHead(); head++) {
                    applyRope(ki, head * hd, rope);
                }
                q[i] = qi;
                int row = b.cacheRowOf(i);
                keys[l][row][b.slots()[i]] = ki;
                values[l][row][b.slots()[i]] = vi;
            }
            // 2. attention of every entry over its visible slots (all of this pass's K/V already written)
            double[][] attn = new double[n][];
            for (int i = 0; i < n; i++) {
                attn[i] = attend(l, i / b.length(), i % b.length(), q[i], b);
            }
            // 3. output projection, residual, feed-forward, residual
            for (int i = 0; i < n; i++) {
                double[] o = matVec(w[2], attn[i], dim, dim);
                for (int d = 0; d < dim; d++) {
                    h[i][d] += o[d];
                }
                double[] x2 = rmsNorm(h[i], w[3], c.normEps());
                int hidden = c.ffnHidden();
                double[] gate = matVec(w[4], x2, hidden, dim);
                double[] up = matVec(w[5], x2, hidden, dim);
                double[] act = new double[hidden];
                for (int j = 0; j < hidden; j++) {
                    act[j] = silu(gate[j]) * up[j];
                }
                double[] down = matVec(w[6], act, dim, hidden);
                for (int d = 0; d < dim; d++) {
                    h[i][d] += down[d];
                }
            }
        }
        int vocab = c.vocabSize();
        double[] logits = new double[n * vocab];
        for (int i = 0; i < n; i++) {
            double[] x = rmsNorm(h[i], finalNorm, c.normEps());
            System.arraycopy(matVec(output, x, vocab, dim), 0, logits, i * vocab, vocab);
        }
        return logits;
    }

    /** Softmax attention of entry (row, t) over the visible slots; returns the concatenated heads [n_head·hd]. */
    private double[] attend(int layer, int row, int t, double[] q, ForwardBatch b) {
        return attendCache(keys[layer][b.cacheRows()[row]], values[layer][b.cacheRows()[row]], q, c.nHead(), c.nKvHead(), hd, row, t, b);
    }

    /**
     * Softmax attention of entry (row, t)'s query heads over the cache slots {@code b} makes visible to it
     * (score scale 1/√hd, unwritten slots are zeros); query head h reads kv head h / (nHead / nKv).
     * Shared by the GPT and ViT oracles.
     *
     * @param keys   [slot][nKv·hd] of this layer and row
     * @param values [slot][nKv·hd] of this layer and row
     * @return the concatenated heads [nHead·hd]
     */
    static double[] attendCache(double[][] keys, double[][] values, double[] q, int nHead, int nKv, int hd, int row, int t,
                                ForwardBatch b) {
        int capacity = keys.length;
        int group = nHead / nKv;
        double scale = 1.0 / StrictMath.sqrt(hd);
        double[] out = new double[nHead * hd];
        for (int head = 0; head < nHead; head++) {
            int kvHead = head / group;
            double[] scores = new double[capacity];
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < capacity; s++) {
                if (b.isVisible(row, t, s)) {
                    double dot = 0;
                    for (int d = 0; d < hd; d++) {
                        dot += q[head * hd + d] * keys[s][kvHead * hd + d];
                    }
                    scores[s] = dot * scale;
                    max = Math.max(max, scores[s]);
                }
            }
            double sum = 0;
            for (int s = 0; s < capacity; s++) {
                if (b.isVisible(row, t, s)) {
                    scores[s] = StrictMath.exp(scores[s] - max);
                    sum += scores[s];
                }
            }
            for (int s = 0; s < capacity; s++) {
                if (b.isVisible(row, t, s)) {
                    double p = scores[s] / sum;
                    for (int d = 0; d < hd; d++) {
                        out[head * hd + d] += p * values[s][kvHead * hd + d];
                    }
                }
            }
        }
        return out;
    }

    /** RandAR's position instruction for the cell at {@code position}: the vector rotated per head by its RoPE row. */
    private double[] instruction(int id, int position) {
        if (id != 0 || position < 1) {
            throw new IllegalArgumentException("reference: randar QUERY needs id 0 and a cell position, got id " + id
                    + " at position " + position);
        }
        double[] e = new double[c.dim()];
        for (int d = 0; d < c.dim(); d++) {
            e[d] = posInstruct[d];
        }
        double[] rope = ropeCosSin(position, c.grid(), hd, c.ropeBase());
        for (int head = 0; head < c.nHead(); head++) {
            applyRope(e, head * hd, rope);
        }
        return e;
    }

    private double[] embed(EntryKind kind, int id) {
        float[] table;
        int tableRows;
        switch (kind) {
            case CLASS -> {
                table = clsTable;
                tableRows = c.classTableRows();
            }
            case TOKEN -> {
                table = tokTable;
                tableRows = c.vocabSize();
            }
            case QUERY -> {
                if (queryTable == null) {
                    throw new BackendException("reference: family llamagen has no " + kind + " entries");
                }
                table = queryTable;
                tableRows = queryTable.length / c.dim();
            }
            default -> throw new BackendException("reference: unknown entry kind " + kind);
        }
        if (id < 0 || id >= tableRows) {
            throw new IllegalArgumentException("reference: " + kind + " id " + id + " outside [0, " + tableRows + ")");
        }
        double[] e = new double[c.dim()];
        for (int d = 0; d < c.dim(); d++) {
            e[d] = table[id * c.dim() + d];
        }
        return e;
    }

    private void check(ForwardBatch b) {
        if (keys == null) {
            throw new IllegalStateException("reference: forward before reset");
        }
        if (b.rowsNeeded() > rows || b.capacity() != capacity) {
            throw new IllegalArgumentException("reference: batch has " + b.rows() + " rows × capacity " + b.capacity()
                    + ", cache was reset to " + rows + " × " + capacity);
        }
        int positions = 1 + c.blockSize();
        for (int row = 0; row < b.rows(); row++) {
            boolean[] written = new boolean[capacity];
            for (int t = 0; t < b.length(); t++) {
                int i = b.index(row, t);
                int slot = b.slots()[i];
                if (slot < 0 || slot >= capacity) {
                    throw new IllegalArgumentException("reference: slot " + slot + " outside [0, " + capacity + ")");
                }
                if (written[slot]) {
                    throw new IllegalArgumentException("reference: row " + row + " writes slot " + slot + " twice in one pass");
                }
                written[slot] = true;
                if (b.positions()[i] < 0 || b.positions()[i] >= positions) {
                    throw new IllegalArgumentException("reference: position " + b.positions()[i] + " outside [0, " + positions + ")");
                }
                boolean any = false;
                for (int s = 0; s < capacity; s++) {
                    any |= b.isVisible(row, t, s);
                }
                if (!any) {
                    throw new IllegalArgumentException("reference: entry (" + row + ", " + t + ") sees no slot");
                }
            }
        }
    }

    @Override
    public void close() {
        keys = null;
        values = null;
    }

    // ---- building blocks (public so that the self-tests can check them one by one) ----

    /**
     * The 2-D RoPE row of {@code precompute_freqs_cis_2d} for one position-table index, as interleaved
     * (cos, sin) pairs: element [2m] = cos, [2m+1] = sin of pair m, for m &lt; hd/2.
     *
     * <p>Position 0 is the class position: all zeros. Position 1 + k is grid cell k at row y = k / grid,
     * column x = k % grid. With Q = hd/4 and θ_j = base^(−2j/(hd/2)), pair m has angle y·θ_m for m &lt; Q
     * (the first half of the pairs encode the row) and x·θ_{m−Q} otherwise (the second half the column).
     */
    public static double[] ropeCosSin(int position, int grid, int headDim, double base) {
        int pairs = headDim / 2;
        int quarter = headDim / 4;
        double[] out = new double[2 * pairs];
        if (position == 0) {
            return out;
        }
        int cell = position - 1;
        int y = cell / grid;
        int x = cell % grid;
        for (int m = 0; m < pairs; m++) {
            int j = m < quarter ? m : m - quarter;
            double theta = StrictMath.pow(base, -2.0 * j / pairs);
            double angle = (m < quarter ? y : x) * theta;
            out[2 * m] = StrictMath.cos(angle);
            out[2 * m + 1] = StrictMath.sin(angle);
        }
        return out;
    }

    /**
     * {@code apply_rotary_emb} on one head in place: pair m = (v[off+2m], v[off+2m+1]) = (a, b) becomes
     * (a·cos − b·sin, b·cos + a·sin).
     */
    public static void applyRope(double[] v, int off, double[] cosSin) {
        for (int m = 0; m < cosSin.length / 2; m++) {
            double cos = cosSin[2 * m];
            double sin = cosSin[2 * m + 1];
            double a = v[off + 2 * m];
            double b = v[off + 2 * m + 1];
            v[off + 2 * m] = a * cos - b * sin;
            v[off + 2 * m + 1] = b * cos + a * sin;
        }
    }

    /** RMSNorm: {@code x / sqrt(mean(x²) + eps) · weight}. */
    public static double[] rmsNorm(double[] x, float[] weight, double eps) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1.0 / StrictMath.sqrt(ss / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * weight[i];
        }
        return out;
    }

    /** {@code y = W·x} for a row-major W [rows, cols] (nn.Linear without bias). */
    public static double[] matVec(float[] w, double[] x, int rows, int cols) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double acc = 0;
            for (int k = 0; k < cols; k++) {
                acc += w[r * cols + k] * x[k];
            }
            y[r] = acc;
        }
        return y;
    }

    /** SiLU: x·σ(x). */
    public static double silu(double x) {
        return x / (1.0 + StrictMath.exp(-x));
    }

    private static double[] slice(double[] a, int from, int len) {
        double[] out = new double[len];
        System.arraycopy(a, from, out, 0, len);
        return out;
    }
}
