package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.model.RandomWeights;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Invariants of the LlamaGen forward pass on a tiny random model (dim 64, 2 layers, 4 heads, grid 4). */
class LlamaGenForwardTest {
    private static final LlamaGenConfig MHA = LlamaGenConfig.of(64, 2, 4, 4);
    /** Grouped-query variant: 4 query heads over 2 key/value heads. */
    private static final LlamaGenConfig GQA = new LlamaGenConfig(64, 2, 4, 2, 256, Float.NaN, 1e-5f, 10000f, 16384,
            1000, 1, 0.1f, 4);
    private static final int[] CLASSES = {7, 1000}; // conditional row, then the null class (CFG)
    private static final int[][] TOKENS = {{5, 99, 16383, 0, 42, 7, 1234, 8, 9, 10, 11, 12, 13, 14, 15},
                                           {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9}};

    private static Map<String, Tensor> weights(LlamaGenConfig c) {
        return RandomWeights.llamaGen(c, 11);
    }

    private static LlamaGenModel model(LlamaGenConfig c, Map<String, Tensor> tensors) {
        return new LlamaGenModel(c, new LlamaGenWeights(c, TestTensors.checkpoint(tensors)));
    }

    private static GptSession open(LlamaGenModel m, int threads, String kernels) {
        return new CpuVectorBackend().openModel(m, TestTensors.options(threads, kernels));
    }

    /**
     * Sequence entries [from, to) of each row: index 0 = class at position 0 / slot 0, index j ≥ 1 =
     * token j−1 at position j / slot j; causal mask (slot ≤ own slot).
     */
    static ForwardBatch sequence(int rows, int from, int to, int capacity) {
        return io.tessera.core.spi.SyntheticPasses.raster(rows, from, to - from, capacity,
                (row, j) -> j == 0 ? CLASSES[row] : TOKENS[row][j - 1]);
    }

    private static void assertClose(float[] expected, int eOff, float[] actual, int aOff, int n, float tol) {
        for (int i = 0; i < n; i++) {
            float x = expected[eOff + i];
            assertEquals(x, actual[aOff + i], tol * Math.max(1f, Math.abs(x)), "logit " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector", "scalar"})
    void incrementalDecodingMatchesOneCausalPass(String kernels) {
        for (LlamaGenConfig c : new LlamaGenConfig[] {MHA, GQA}) {
            LlamaGenModel m = model(c, weights(c));
            int cap = m.cacheCapacity();
            int rows = 2;
            int total = 12;
            int vocab = c.vocabSize();
            try (GptSession full = open(m, 2, kernels); GptSession inc = open(m, 2, kernels)) {
                full.reset(rows, cap);
                float[] all = full.forward(sequence(rows, 0, total, cap));
                inc.reset(rows, cap);
                for (int j = 0; j < total; j++) {
                    float[] step = inc.forward(sequence(rows, j, j + 1, cap));
                    for (int b = 0; b < rows; b++) {
                        assertClose(all, (b * total + j) * vocab, step, b * vocab, vocab, 1e-5f);
                    }
                }
            }
        }
    }

    @Test
    void aClosedSessionRefusesWorkInOneLineAndClosesTwiceHarmlessly() {
        LlamaGenModel m = model(GQA, weights(GQA));
        int cap = m.cacheCapacity();
        GptSession s = open(m, 2, "vector");
        s.reset(2, cap);
        s.forward(sequence(2, 0, 1, cap));
        s.close();
        s.close();
        BackendException f = assertThrows(BackendException.class, () -> s.forward(sequence(2, 0, 1, cap)));
        assertEquals("cpu-vector: forward on a closed session", f.getMessage());
        BackendException r = assertThrows(BackendException.class, () -> s.reset(1, cap));
        assertEquals("cpu-vector: reset on a closed session", r.getMessage());
    }

    /** A pass with several entries per row and ZipAR-style holes: visible but unwritten slots. */
    private static ForwardBatch holes(int capacity) {
        int rows = 2;
        int len = 3;
        int[] slotsPerT = {5, 9, 12};
        EntryKind[] kinds = new EntryKind[rows * len];
        int[] ids = new int[rows * len];
        int[] pos = new int[rows * len];
        int[] slots = new int[rows * len];
        boolean[] visible = new boolean[rows * len * capacity];
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t < len; t++) {
                int e = b * len + t;
                kinds[e] = EntryKind.TOKEN;
                ids[e] = TOKENS[b][t + 3];
                pos[e] = slotsPerT[t];
                slots[e] = slotsPerT[t];
                for (int s = 0; s <= slotsPerT[t]; s++) {
                    visible[e * capacity + s] = true;
                }
            }
        }
        return new ForwardBatch(rows, len, kinds, ids, pos, slots, visible);
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector", "scalar"})
    void oneAndTwoThreadsAreBitIdentical(String kernels) {
        LlamaGenModel m = model(GQA, weights(GQA));
        int cap = m.cacheCapacity();
        float[][] results = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            try (GptSession s = open(m, threads, kernels)) {
                s.reset(2, cap);
                float[] prefill = s.forward(sequence(2, 0, 4, cap));
                float[] next = s.forward(holes(cap));
                float[] both = new float[prefill.length + next.length];
                System.arraycopy(prefill, 0, both, 0, prefill.length);
                System.arraycopy(next, 0, both, prefill.length, next.length);
                results[threads - 1] = both;
            }
        }
        assertArrayEquals(results[0], results[1]);
    }

    /**
     * The class position has a zero RoPE row, so q = k = 0: every visible slot scores 0 and the
     * attention output is the mean of the visible values, unwritten slots (v = 0) included. With the
     * class entry alone at slot 0 and slots {0, 1, 2} visible, each layer's attention output is v/3.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void classPositionHasZeroQueryAndKey(int visibleSlots) {
        LlamaGenConfig c = MHA;
        Map<String, Tensor> tensors = weights(c);
        LlamaGenModel m = model(c, tensors);
        int cap = m.cacheCapacity();
        boolean[] visible = new boolean[cap];
        for (int s = 0; s < visibleSlots; s++) {
            visible[s] = true;
        }
        ForwardBatch prefill = new ForwardBatch(1, 1, new EntryKind[] {EntryKind.CLASS}, new int[] {7}, new int[] {0},
                new int[] {0}, visible);
        float[] logits;
        try (GptSession s = open(m, 2, "vector")) {
            s.reset(1, cap);
            logits = s.forward(prefill);
        }
        float[] expected = valuesOnlyReference(c, tensors, 7, 1f / visibleSlots);
        assertClose(expected, 0, logits, 0, c.vocabSize(), 1e-4f);
    }

    /** out = w · x through the scalar reference kernel (one activation row). */
    private static void linear(Tensor w, float[] x, float[] out) {
        Panels p = Panels.of(Matrix.of(w));
        GptKernels.of(false).matmul(p, 0, p.panels(), x, 1, out);
    }

    /** A direct scalar computation of one class entry whose attention output is v · weight. */
    private static float[] valuesOnlyReference(LlamaGenConfig c, Map<String, Tensor> t, int cls, float weight) {
        Kernels k = Kernels.of(false);
        int dim = c.dim();
        int hidden = c.ffnHidden();
        float[] h = new float[dim];
        Matrix.of(t.get("cls_embedding.embedding_table.weight")).rowInto(cls, h, 0);
        float[] x = new float[dim];
        for (int layer = 0; layer < c.nLayer(); layer++) {
            String p = "layers." + layer + ".";
            k.rmsNorm(h, 0, dim, t.get(p + "attention_norm.weight").toFloatArray(), c.normEps(), x, 0);
            float[] qkv = new float[3 * dim];
            linear(t.get(p + "attention.wqkv.weight"), x, qkv);
            float[] attn = new float[dim];
            for (int i = 0; i < dim; i++) {
                attn[i] = qkv[2 * dim + i] * weight;
            }
            float[] o = new float[dim];
            linear(t.get(p + "attention.wo.weight"), attn, o);
            for (int i = 0; i < dim; i++) {
                h[i] += o[i];
            }
            k.rmsNorm(h, 0, dim, t.get(p + "ffn_norm.weight").toFloatArray(), c.normEps(), x, 0);
            float[] g = new float[hidden];
            float[] u = new float[hidden];
            linear(t.get(p + "feed_forward.w1.weight"), x, g);
            linear(t.get(p + "feed_forward.w3.weight"), x, u);
            k.swiGlu(g, u, 0, hidden);
            linear(t.get(p + "feed_forward.w2.weight"), g, o);
            for (int i = 0; i < dim; i++) {
                h[i] += o[i];
            }
        }
        k.rmsNorm(h, 0, dim, t.get("norm.weight").toFloatArray(), c.normEps(), x, 0);
        float[] logits = new float[c.vocabSize()];
        linear(t.get("output.weight"), x, logits);
        return logits;
    }

    @Test
    void ropeDependsOnlyOnRelativeOffsetsPerAxis() {
        int grid = 8;
        int hd = 16;
        RopeTable rope = new RopeTable(grid, hd, 10000f);
        Kernels k = Kernels.of(false);
        float[] q = TestTensors.gaussian(1, hd);
        float[] kk = TestTensors.gaussian(2, hd);
        // (y1, x1) for q, (y2, x2) for k, then both shifted by (dy, dx)
        int[][] cases = {{1, 2, 3, 5, 2, 1}, {0, 0, 4, 1, 3, 2}, {6, 1, 2, 2, 1, 5}, {2, 7, 2, 3, 5, 0}};
        for (int[] cs : cases) {
            float base = rotatedDot(rope, k, q, kk, cs[0], cs[1], cs[2], cs[3], grid);
            float moved = rotatedDot(rope, k, q, kk, cs[0] + cs[4], cs[1], cs[2] + cs[4], cs[3], grid);
            float movedX = rotatedDot(rope, k, q, kk, cs[0], cs[1] + cs[5], cs[2], cs[3] + cs[5], grid);
            assertEquals(base, moved, 1e-4f, "row shift");
            assertEquals(base, movedX, 1e-4f, "column shift");
        }
        // the axes are distinct: a row offset of 1 is not a column offset of 1
        float rowOffset = rotatedDot(rope, k, q, kk, 3, 3, 4, 3, grid);
        float colOffset = rotatedDot(rope, k, q, kk, 3, 3, 3, 4, grid);
        assertNotEquals(rowOffset, colOffset, 1e-3f);
        // and relative offsets matter
        assertNotEquals(rotatedDot(rope, k, q, kk, 3, 3, 3, 3, grid), rowOffset, 1e-3f);
        // the class position zeroes the vector
        float[] z = q.clone();
        Kernels.rope(z, 0, 1, hd, rope.cos, rope.sin, rope.offset(0));
        for (float v : z) {
            assertEquals(0f, v, 0f);
        }
        // entry 1 + k is cell (k / grid, k % grid): row angle of pair 0 and column angle of pair hd/4
        int cell = 2 * grid + 5;
        assertEquals((float) Math.cos(2), rope.cos[rope.offset(1 + cell)], 1e-7f);
        assertEquals((float) Math.sin(5), rope.sin[rope.offset(1 + cell) + hd / 4], 1e-7f);
    }

    private static float rotatedDot(RopeTable rope, Kernels k, float[] q, float[] kk, int y1, int x1, int y2, int x2,
                                    int grid) {
        float[] a = q.clone();
        float[] b = kk.clone();
        Kernels.rope(a, 0, 1, a.length, rope.cos, rope.sin, rope.offset(1 + y1 * grid + x1));
        Kernels.rope(b, 0, 1, b.length, rope.cos, rope.sin, rope.offset(1 + y2 * grid + x2));
        return k.dot(a, 0, b, 0, a.length);
    }

    @Test
    void halfPrecisionWeightsGiveCloseLogits() {
        Map<String, Tensor> f32 = weights(MHA);
        LlamaGenModel ref = model(MHA, f32);
        int cap = ref.cacheCapacity();
        float[] expected;
        try (GptSession s = open(ref, 2, "vector")) {
            s.reset(2, cap);
            expected = s.forward(sequence(2, 0, 6, cap));
        }
        float scale = 0f;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            LlamaGenModel m = model(MHA, TestTensors.convertAll(f32, dt));
            try (GptSession s = open(m, 2, "vector")) {
                s.reset(2, cap);
                float[] actual = s.forward(sequence(2, 0, 6, cap));
                double maxDiff = 0;
                for (int i = 0; i < actual.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
                }
                // BF16 keeps 8 bits of mantissa (~0.4% per weight); F16 11 bits
                double tol = (dt == DType.BF16 ? 0.05 : 0.01) * scale;
                assertTrue(maxDiff < tol, dt + ": max |Δlogit| " + maxDiff + " vs scale " + scale);
                assertTrue(maxDiff > 0, dt + " weights must actually differ");
            }
        }
    }

    @Test
    void refusesQueriesAndBadBatches() {
        LlamaGenModel m = model(MHA, weights(MHA));
        int cap = m.cacheCapacity();
        try (GptSession s = open(m, 1, "vector")) {
            assertThrows(BackendException.class, () -> s.forward(sequence(1, 0, 1, cap)));
            s.reset(1, cap);
            ForwardBatch q = new ForwardBatch(1, 1, new EntryKind[] {EntryKind.QUERY}, new int[] {0}, new int[] {1},
                    new int[] {1}, new boolean[cap]);
            BackendException e = assertThrows(BackendException.class, () -> s.forward(q));
            assertTrue(e.getMessage().contains("QUERY"), e.getMessage());
            assertThrows(BackendException.class, () -> s.forward(sequence(2, 0, 1, cap)));
        }
    }
}
