package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.decode.Rng;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.model.RandomWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks of the GPT oracle against things that do not depend on it: numbers derived by hand from the
 * official formulas, a hand-wired 1-layer model, and structural identities (cache, entry order, GQA).
 */
class ReferenceLlamaGenSelfTest {
    private static final double EPS = 1e-12;

    // ---- 2-D RoPE table ----

    /**
     * precompute_freqs_cis_2d(grid 4, head_dim 8, base 10000): half_dim = 4, freqs = 1 / 10000^([0, 2] / 4) =
     * [θ0, θ1] = [1, 0.01]; the (4, 4, 4) angle grid at (y, x) is [y·θ0, y·θ1, x·θ0, x·θ1] (first half of the
     * pairs = row, second half = column), flattened row-major, after one zero row for the class token.
     * <pre>
     * position 7 = cell 6 = (y 1, x 2): angles [1, 0.01, 2, 0.02]
     *   pair 0: cos 1    =  0.5403023058681398, sin 1    = 0.8414709848078965
     *   pair 1: cos 0.01 =  0.9999500004166653, sin 0.01 = 0.009999833334166664
     *   pair 2: cos 2    = -0.4161468365471424, sin 2    = 0.9092974268256817
     *   pair 3: cos 0.02 =  0.9998000066665778, sin 0.02 = 0.01999866669333308
     * position 14 = cell 13 = (y 3, x 1): angles [3, 0.03, 1, 0.01]
     *   pair 0: cos 3    = -0.9899924966004454, sin 3    = 0.1411200080598672
     *   pair 1: cos 0.03 =  0.9995500337489875, sin 0.03 = 0.02999550020249566
     *   pairs 2, 3 as pairs 0, 1 of position 7
     * position 0 = class token: all zero
     * </pre>
     */
    @Test
    void ropeTableOf4x4GridWithHeadDim8MatchesHandValues() {
        assertArrayEquals(new double[] {
            0.5403023058681398, 0.8414709848078965, 0.9999500004166653, 0.009999833334166664,
            -0.4161468365471424, 0.9092974268256817, 0.9998000066665778, 0.01999866669333308},
                ReferenceLlamaGen.ropeCosSin(7, 4, 8, 10000), EPS);
        assertArrayEquals(new double[] {
            -0.9899924966004454, 0.1411200080598672, 0.9995500337489875, 0.02999550020249566,
            0.5403023058681398, 0.8414709848078965, 0.9999500004166653, 0.009999833334166664},
                ReferenceLlamaGen.ropeCosSin(14, 4, 8, 10000), EPS);
        assertArrayEquals(new double[8], ReferenceLlamaGen.ropeCosSin(0, 4, 8, 10000), 0.0);
        // cell 0 = (0, 0): every angle is 0
        assertArrayEquals(new double[] {1, 0, 1, 0, 1, 0, 1, 0}, ReferenceLlamaGen.ropeCosSin(1, 4, 8, 10000), EPS);
    }

    /**
     * head_dim 100 (GPT-3B): Q = 25 pairs per axis, θ_j = 10000^(−2j/50). Grid 24, position 78 = cell 77 =
     * (y 3, x 5). Pair 24 (last row pair): 3·θ24 = 3·1.445439770745928e-4 = 4.336319312237784e-4;
     * pair 25 (first column pair): 5·θ0 = 5; pair 26: 5·θ1 = 5·0.6918309709189365 = 3.459154854594683;
     * pair 1: 3·θ1 = 2.0754929127568094.
     */
    @Test
    void ropeTableWithOddPairsPerAxisSplitsRowAndColumnAtQ() {
        double[] r = ReferenceLlamaGen.ropeCosSin(78, 24, 100, 10000);
        assertEquals(100, r.length);
        assertArrayEquals(new double[] {-0.4835418778370426, 0.8753212281087592}, Arrays.copyOfRange(r, 2, 4), EPS);
        assertArrayEquals(new double[] {0.9999999059816755, 0.0004336319176339958}, Arrays.copyOfRange(r, 48, 50), EPS);
        assertArrayEquals(new double[] {0.28366218546322625, -0.9589242746631385}, Arrays.copyOfRange(r, 50, 52), EPS);
        assertArrayEquals(new double[] {-0.9499994467811871, -0.3122515830471297}, Arrays.copyOfRange(r, 52, 54), EPS);
    }

    /** apply_rotary_emb rotates adjacent pairs: (a, b) → (a·cos − b·sin, b·cos + a·sin); the offset selects the head. */
    @Test
    void ropeRotatesInterleavedPairs() {
        double c = Math.cos(1);
        double s = Math.sin(1);
        double[] v = {9, 9, 1, 2, 3, -4};
        ReferenceLlamaGen.applyRope(v, 2, new double[] {c, s, 0, 1});
        assertArrayEquals(new double[] {9, 9, c - 2 * s, 2 * c + s, 4, 3}, v, EPS);
    }

    // ---- a hand-wired model ----

    /**
     * One layer, dim 8, 2 heads of dim 4 (one RoPE pair per axis, θ0 = 1), grid 2, vocab 8, 2 classes,
     * FFN hidden 21 (multiple_of 1). Weights: all norms 1, wq = wk = wv = wo = I, output = I; the FFN's only
     * non-zero weights are w1[0][0] = w3[0][0] = 1 and w2[1][0] = 1, so it adds silu(x'₀)·x'₀ to h₁.
     */
    private static LlamaGenModel handModel() {
        LlamaGenConfig c = new LlamaGenConfig(8, 1, 2, 2, 1, Float.NaN, 1e-5f, 10000f, 8, 2, 1, 0.1f, 2);
        assertEquals(21, c.ffnHidden());
        Map<String, Tensor> t = new LinkedHashMap<>();
        LlamaGenWeights.layout(c).forEach((name, shape) -> {
            int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            float[] v = new float[n];
            if (name.endsWith("norm.weight")) {
                Arrays.fill(v, 1f);
            } else if (name.endsWith("wqkv.weight")) {
                for (int block = 0; block < 3; block++) {
                    for (int i = 0; i < 8; i++) {
                        v[(block * 8 + i) * 8 + i] = 1f;
                    }
                }
            } else if (name.endsWith("wo.weight") || name.equals("output.weight")) {
                for (int i = 0; i < 8; i++) {
                    v[i * 8 + i] = 1f;
                }
            } else if (name.endsWith("w1.weight") || name.endsWith("w3.weight")) {
                v[0] = 1f;                       // [hidden 0][dim 0]
            } else if (name.endsWith("w2.weight")) {
                v[1 * 21] = 1f;                  // [dim 1][hidden 0]
            } else if (name.startsWith("cls_embedding")) {
                float[] u = {1, 2, 0, 0, 0, 0, 0, 0};    // class 0
                System.arraycopy(u, 0, v, 0, 8);
            } else if (name.startsWith("tok_embeddings")) {
                float[] a = {0, 1, 0, 0, 1, 0, 0, 1};    // token 2
                float[] b = {1, 0, 1, 0, 0, 1, 1, 0};    // token 5
                System.arraycopy(a, 0, v, 2 * 8, 8);
                System.arraycopy(b, 0, v, 5 * 8, 8);
            }
            t.put(name, Tensor.ofFloats(name, shape, v));
        });
        return new LlamaGenModel(c, new LlamaGenWeights(c, new MemoryCheckpoint("hand", t)));
    }

    private static final double NORM_EPS = (double) 1e-5f;

    private static double[] rmsNormalised(double[] x) {
        double ms = 0;
        for (double v : x) {
            ms += v * v / x.length;
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / Math.sqrt(ms + NORM_EPS);
        }
        return out;
    }

    /** The hand model's block tail: h = emb + attn (wo = I), then h₁ += silu(x'₀)·x'₀, logits = RMSNorm(h). */
    private static double[] handLogits(double[] emb, double[] attn) {
        double[] h = new double[8];
        for (int i = 0; i < 8; i++) {
            h[i] = emb[i] + attn[i];
        }
        double x0 = rmsNormalised(h)[0];
        h[1] += x0 / (1 + Math.exp(-x0)) * x0;
        return rmsNormalised(h);
    }

    /**
     * Prefill: the class position has zero RoPE, so q = k = 0 and the only visible slot is its own; the
     * attention output is v_cls = x = u / rms(u).
     */
    @Test
    void prefillOfHandModelEqualsHandComputation() {
        ReferenceLlamaGen ref = new ReferenceLlamaGen(handModel());
        ref.reset(1, 5);
        double[] got = ref.forwardExact(Passes.prefill(new int[] {0}, 5));
        double[] u = {1, 2, 0, 0, 0, 0, 0, 0};
        assertArrayEquals(handLogits(u, rmsNormalised(u)), got, EPS);
    }

    /**
     * After the prefill, one pass with token 2 at cell 0 (slot 1) and token 5 at cell 2 = (y 1, x 0)
     * (slot 3), causal. Cell 2 rotates pair 0 (dims 0,1 of each head) by 1 rad and leaves pair 1 alone.
     * <pre>
     * x_a = a / rms(a), a = (0,1,0,0 | 1,0,0,1);  x_b = b / rms(b), b = (1,0,1,0 | 0,1,1,0);  x_u = u / rms(u)
     * entry cell 0 sees slots 0, 1: per head scores [0, |x_a,h|²/2], values [x_u,h, x_a,h]
     * entry cell 2 sees slots 0..3, slot 2 (cell 1) is an unwritten hole: key 0, value 0, score 0
     *   q = rot(x_b): head 0 = (cos1, sin1, 1, 0)/rms(b), head 1 = (−sin1, cos1, 1, 0)/rms(b)
     *   score slot 1 = q_h·x_a,h / 2: head 0 = sin1/(rms(a)rms(b)·2), head 1 = (−sin1 + 0)/(rms(a)rms(b)·2)
     *   score slot 3 = |x_b,h|²/2 (a rotation keeps the norm); weights e^s / (e^0 + e^s1 + e^0 + e^s3)
     * </pre>
     */
    @Test
    void twoTokenPassWithHoleOfHandModelEqualsHandComputation() {
        ReferenceLlamaGen ref = new ReferenceLlamaGen(handModel());
        ref.reset(1, 5);
        ref.forwardExact(Passes.prefill(new int[] {0}, 5));
        List<Passes.Entry> e = List.of(Passes.token(new int[] {2}, 0), Passes.token(new int[] {5}, 2));
        double[] got = ref.forwardExact(Passes.batch(1, 5, e, Passes.causalBySlot(e)));

        double[] a = {0, 1, 0, 0, 1, 0, 0, 1};
        double[] b = {1, 0, 1, 0, 0, 1, 1, 0};
        double[] u = {1, 2, 0, 0, 0, 0, 0, 0};
        double[] xa = rmsNormalised(a);
        double[] xb = rmsNormalised(b);
        double[] xu = rmsNormalised(u);
        double rmsA = Math.sqrt(3.0 / 8 + NORM_EPS);
        double rmsB = Math.sqrt(4.0 / 8 + NORM_EPS);

        // entry 0 (cell 0): head h attends to [class, itself]
        double[] attn0 = new double[8];
        for (int h = 0; h < 2; h++) {
            double self = 0;
            for (int d = 0; d < 4; d++) {
                self += xa[4 * h + d] * xa[4 * h + d];
            }
            double w0 = 1;
            double w1 = Math.exp(self / 2);
            for (int d = 0; d < 4; d++) {
                attn0[4 * h + d] = (w0 * xu[4 * h + d] + w1 * xa[4 * h + d]) / (w0 + w1);
            }
        }
        // entry 1 (cell 2): class (score 0), token a, hole (score 0, value 0), itself
        double[] scoreA = {Math.sin(1) / (rmsA * rmsB * 2), -Math.sin(1) / (rmsA * rmsB * 2)};
        double[] attn1 = new double[8];
        for (int h = 0; h < 2; h++) {
            double self = 0;
            for (int d = 0; d < 4; d++) {
                self += xb[4 * h + d] * xb[4 * h + d];
            }
            double wClass = 1;
            double wA = Math.exp(scoreA[h]);
            double wHole = 1;
            double wSelf = Math.exp(self / 2);
            double z = wClass + wA + wHole + wSelf;
            for (int d = 0; d < 4; d++) {
                attn1[4 * h + d] = (wClass * xu[4 * h + d] + wA * xa[4 * h + d] + wSelf * xb[4 * h + d]) / z;
            }
        }
        double[] expected = new double[16];
        System.arraycopy(handLogits(a, attn0), 0, expected, 0, 8);
        System.arraycopy(handLogits(b, attn1), 0, expected, 8, 8);
        assertArrayEquals(expected, got, EPS);
    }

    // ---- structural identities ----

    /** Prefill then one token per pass gives, entry by entry, the logits of one causal pass over the same sequence. */
    @Test
    void incrementalDecodingEqualsOneFullCausalPass() {
        LlamaGenModel m = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int cap = m.cacheCapacity();
        int vocab = m.vocabSize();
        int steps = 7;
        Rng rng = new Rng(3);
        int[] tokens = new int[steps];
        for (int k = 0; k < steps; k++) {
            tokens[k] = rng.nextInt(vocab);
        }
        ReferenceLlamaGen inc = new ReferenceLlamaGen(m);
        inc.reset(1, cap);
        List<double[]> perStep = new ArrayList<>();
        perStep.add(inc.forwardExact(Passes.prefill(new int[] {5}, cap)));
        for (int k = 0; k < steps; k++) {
            perStep.add(inc.forwardExact(Passes.rasterStep(new int[] {tokens[k]}, k, cap)));
        }
        List<Passes.Entry> all = new ArrayList<>();
        all.add(new Passes.Entry(EntryKind.CLASS, new int[] {5}, 0, 0));
        for (int k = 0; k < steps; k++) {
            all.add(Passes.token(new int[] {tokens[k]}, k));
        }
        ReferenceLlamaGen full = new ReferenceLlamaGen(m);
        full.reset(1, cap);
        double[] once = full.forwardExact(Passes.batch(1, cap, all, Passes.causalBySlot(all)));
        for (int i = 0; i <= steps; i++) {
            assertArrayEquals(perStep.get(i), Arrays.copyOfRange(once, i * vocab, (i + 1) * vocab), 1e-9, "entry " + i);
        }
    }

    /** All keys/values of a pass are written before attention: listing the entries in another order only permutes the logits. */
    @Test
    void entryOrderWithinAPassOnlyPermutesTheLogits() {
        LlamaGenModel m = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int cap = m.cacheCapacity();
        int vocab = m.vocabSize();
        List<Passes.Entry> e = List.of(Passes.token(new int[] {10}, 9), Passes.token(new int[] {20}, 2),
                Passes.token(new int[] {30}, 5));
        List<Passes.Entry> reversed = List.of(e.get(2), e.get(1), e.get(0));
        double[] forward = prefilled(m).forwardExact(Passes.batch(1, cap, e, Passes.causalBySlot(e)));
        double[] backward = prefilled(m).forwardExact(Passes.batch(1, cap, reversed, Passes.causalBySlot(reversed)));
        for (int t = 0; t < 3; t++) {
            assertArrayEquals(Arrays.copyOfRange(forward, t * vocab, (t + 1) * vocab),
                    Arrays.copyOfRange(backward, (2 - t) * vocab, (3 - t) * vocab), 0.0, "entry " + t);
        }
    }

    /**
     * Visible unwritten slots are zero-K/V holes that change the softmax; a slot hidden by the mask contributes
     * nothing even when it holds a key and value.
     */
    @Test
    void visibleHolesChangeTheLogitsAndHiddenSlotsDoNot() {
        LlamaGenModel m = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int cap = m.cacheCapacity();
        List<Passes.Entry> e = List.of(Passes.token(new int[] {10}, 4));
        Passes.Visibility classAndSelf = (t, s) -> s == 0 || s == 5;
        double[] withHoles = prefilled(m).forwardExact(Passes.batch(1, cap, e, Passes.causalBySlot(e)));
        double[] masked = prefilled(m).forwardExact(Passes.batch(1, cap, e, classAndSelf));
        ReferenceLlamaGen written = prefilled(m);
        written.forwardExact(Passes.rasterStep(new int[] {77}, 8, cap));   // fills slot 9, then hides it
        double[] maskedWithSlot9Written = written.forwardExact(Passes.batch(1, cap, e, classAndSelf));
        assertArrayEquals(masked, maskedWithSlot9Written, 0.0);
        double diff = 0;
        for (int i = 0; i < masked.length; i++) {
            diff = Math.max(diff, Math.abs(masked[i] - withHoles[i]));
        }
        if (diff < 1e-3) {
            throw new AssertionError("four visible zero-K/V holes should change the logits, max change " + diff);
        }
    }

    /**
     * GQA as torch repeat_interleave: query head h uses kv head h / (n_head / n_kv). A GQA model equals the MHA
     * model whose per-head key/value rows copy kv head h / 2's rows (8 heads, 2 kv heads, so 4 per group).
     */
    @Test
    void groupedQueryAttentionEqualsMhaWithRepeatedKvHeads() {
        LlamaGenConfig gqa = ContractModels.groupedQuery();
        LlamaGenConfig mha = new LlamaGenConfig(gqa.dim(), gqa.nLayer(), gqa.nHead(), gqa.nHead(), gqa.multipleOf(),
                gqa.ffnDimMultiplier(), gqa.normEps(), gqa.ropeBase(), gqa.vocabSize(), gqa.numClasses(), gqa.clsTokenNum(),
                gqa.classDropoutProb(), gqa.grid());
        Map<String, Tensor> w = RandomWeights.llamaGen(gqa, 4);
        Map<String, Tensor> expanded = new LinkedHashMap<>();
        int hd = gqa.headDim();
        int dim = gqa.dim();
        int group = gqa.nHead() / gqa.nKvHead();
        w.forEach((name, t) -> {
            if (!name.endsWith("wqkv.weight")) {
                expanded.put(name, t);
                return;
            }
            float[] src = t.toFloatArray();
            float[] dst = new float[3 * dim * dim];
            System.arraycopy(src, 0, dst, 0, dim * dim);                          // q rows unchanged
            for (int part = 0; part < 2; part++) {                                 // k, then v
                int srcBase = (dim + part * gqa.nKvHead() * hd) * dim;
                int dstBase = (dim + part * dim) * dim;
                for (int h = 0; h < gqa.nHead(); h++) {
                    System.arraycopy(src, srcBase + (h / group) * hd * dim, dst, dstBase + h * hd * dim, hd * dim);
                }
            }
            expanded.put(name, Tensor.ofFloats(name, new long[] {3L * dim, dim}, dst));
        });
        LlamaGenModel a = new LlamaGenModel(gqa, new LlamaGenWeights(gqa, new MemoryCheckpoint("gqa", w)));
        LlamaGenModel b = new LlamaGenModel(mha, new LlamaGenWeights(mha, new MemoryCheckpoint("mha", expanded)));
        ReferenceLlamaGen ra = new ReferenceLlamaGen(a);
        ReferenceLlamaGen rb = new ReferenceLlamaGen(b);
        ra.reset(2, a.cacheCapacity());
        rb.reset(2, b.cacheCapacity());
        for (Passes.Pass p : Passes.standard(gqa, 4, 8)) {
            assertArrayEquals(rb.forwardExact(p.batch()), ra.forwardExact(p.batch()), 1e-12, p.name());
        }
    }

    @Test
    void refusesQueryEntriesAndForwardBeforeReset() {
        LlamaGenModel m = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int cap = m.cacheCapacity();
        ReferenceLlamaGen ref = new ReferenceLlamaGen(m);
        assertThrows(IllegalStateException.class, () -> ref.forwardExact(Passes.prefill(new int[] {1}, cap)));
        ref.reset(1, cap);
        List<Passes.Entry> q = List.of(new Passes.Entry(EntryKind.QUERY, new int[] {0}, 1, 1));
        ForwardBatch query = Passes.batch(1, cap, q, Passes.causalBySlot(q));
        BackendException ex = assertThrows(BackendException.class, () -> ref.forwardExact(query));
        assertEquals("reference: family llamagen has no QUERY entries", ex.getMessage());
    }

    private static ReferenceLlamaGen prefilled(LlamaGenModel m) {
        ReferenceLlamaGen r = new ReferenceLlamaGen(m);
        r.reset(1, m.cacheCapacity());
        r.forwardExact(Passes.prefill(new int[] {5}, m.cacheCapacity()));
        return r;
    }
}
