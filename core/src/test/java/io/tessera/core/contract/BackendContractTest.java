package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.decode.Rng;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.RandarModel;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.FamilyAdapter;
import io.tessera.core.decode.Generator;
import io.tessera.core.decode.LpdAdapter;
import io.tessera.core.decode.ParAdapter;
import io.tessera.core.decode.RandarAdapter;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The backend contract, written once: every {@link ComputeBackend} must compute what the double-precision
 * oracle ({@link ReferenceLlamaGen}, {@link ReferenceVqDecoder}) computes. A backend module subclasses
 * this class in its tests (core's test-jar) and implements {@link #backend()}, and {@link #options()}
 * when it needs a {@code backend:} node other than the empty one:
 *
 * <pre>{@code
 * class CpuVectorContractTest extends BackendContractTest {
 *     @Override protected ComputeBackend backend() { return new CpuVectorBackend(); }
 * }
 * }</pre>
 *
 * A subclass that needs a GPU adds {@link RequiresCuda} and implements {@link RequiresCuda.Probe}.
 *
 * <p>Contract checked, each case against the oracle on the same weights and inputs:
 * <ul>
 *   <li>GPT logits of every pass of {@link Passes#standard} (CFG prefill [class; null], a raster step, a
 *       causal multi-token pass, a ZipAR pass with visible zero-K/V holes and an overwritten slot, a
 *       group-bidirectional pass): ‖a − b‖₂ / ‖b‖₂ &lt; {@value #LOGITS_TOLERANCE} per pass, for F32 and BF16
 *       weights, grouped-query attention, 6 heads of dim 20 and a GPT-B-shaped model (tag
 *       {@value #LARGE_TAG});</li>
 *   <li>PAR (transition tokens, group-bidirectional passes), LPD (ViT, position queries, fused cache
 *       overwrite, fake_latent null class) and RandAR (rotated position instructions re-fed between their
 *       tokens) logits of every pass of a whole generation through the family's
 *       adapter and order ({@link FamilyPasses}), F32 and BF16 weights, same tolerance;</li>
 *   <li>greedy CFG generations of PAR (par order), LPD (random order, linear CFG) and RandAR (random order,
 *       linear-pass CFG) through the
 *       {@link Generator}: identical token grids and pass counts;</li>
 *   <li>VQ decoder images: max |a − b| &lt; {@value #IMAGE_TOLERANCE};</li>
 *   <li>greedy CFG raster generation: identical token grids;</li>
 *   <li>{@link GptSession#reset} zero-fills (a generation after reset equals one on a fresh cache) and
 *       sessions are independent;</li>
 *   <li>row reuse: a batch reads and writes only the cache rows it names ({@link ForwardBatch#cacheRows()}, any
 *       subset in any order), and {@link GptSession#clearRow} zero-fills one row and keeps the others.</li>
 * </ul>
 * Tests call no JUnit lifecycle method, so each one can also be invoked directly (see the mutant tests).
 */
public abstract class BackendContractTest {
    /** Largest relative L2 error of a pass's float32 logits against the double oracle. */
    public static final double LOGITS_TOLERANCE = 1e-4;
    /** Largest absolute error of a decoded pixel against the double oracle. */
    public static final double IMAGE_TOLERANCE = 1e-3;
    /** Tag of the GPT-B-shaped case (dim 768), which a quick run may exclude. */
    public static final String LARGE_TAG = "large";
    /** CFG scale of the greedy generation (uncond + (cond − uncond)·scale). */
    public static final double GREEDY_CFG_SCALE = 2.0;

    /** The backend under test; called once per test. */
    protected abstract ComputeBackend backend();

    /**
     * The model families this backend claims to implement (default: all of {@code llamagen}, {@code par}, {@code lpd},
     * {@code randar}).
     * A backend still being written narrows it, and the cases of the other families are skipped (reported as
     * skipped, never as passed); every family it lists must pass.
     */
    protected Set<String> families() {
        return Set.of("llamagen", "par", "lpd", "randar");
    }

    private void requireFamily(String family) {
        Assumptions.assumeTrue(families().contains(family), () -> backend().name() + " does not claim family " + family);
    }

    /** The {@code backend:} node given to every open; a fresh instance per call (backends mark keys read). */
    protected BackendOptions options() {
        return BackendOptions.defaults();
    }

    // ---- GPT logits ----

    @Test
    public void tinyModelF32PassesMatchReference() {
        checkStandardPasses(ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32), 207);
    }

    @Test
    public void tinyModelBf16PassesMatchReference() {
        checkStandardPasses(ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.BF16), 207);
    }

    @Test
    public void groupedQueryAttentionPassesMatchReference() {
        checkStandardPasses(ContractModels.llamaGen(ContractModels.groupedQuery(), ContractModels.GPT_SEED, DType.F32), 3);
    }

    @Test
    public void sixHeadsOfDim20PassesMatchReference() {
        checkStandardPasses(ContractModels.llamaGen(ContractModels.sixHeadsOfDim20(), ContractModels.GPT_SEED, DType.F32), 7);
    }

    @Test
    @Tag(LARGE_TAG)
    public void gptBShapedPassesMatchReference() {
        checkStandardPasses(ContractModels.llamaGen(ContractModels.gptBShaped(), ContractModels.GPT_SEED, DType.F32), 388);
    }

    /** Runs {@link Passes#standard} on a backend session and on the oracle, comparing every pass. */
    private void checkStandardPasses(LlamaGenModel model, int classId) {
        List<Passes.Pass> passes = Passes.standard(model.config(), classId, 11);
        ReferenceLlamaGen oracle = new ReferenceLlamaGen(model);
        try (GptSession session = backend().openModel(model, options())) {
            oracle.reset(2, model.cacheCapacity());
            session.reset(2, model.cacheCapacity());
            for (Passes.Pass p : passes) {
                float[] actual = session.forward(p.batch());
                double[] expected = oracle.forwardExact(p.batch());
                assertLogitsClose(describe(model) + ", pass " + p.name(), p.batch(), model.vocabSize(), expected, actual);
            }
        }
    }

    // ---- PAR and LPD ----

    @Test
    public void parF32PassesMatchReference() {
        requireFamily("par");
        ParModel m = ContractModels.par(ContractModels.parTiny(1024), ContractModels.GPT_SEED, DType.F32);
        checkFamilyPasses("par F32", new ParAdapter(m), FamilyPasses.parOrder(4), new ReferenceLlamaGen(m), 7);
    }

    @Test
    public void parBf16PassesMatchReference() {
        requireFamily("par");
        ParModel m = ContractModels.par(ContractModels.parTiny(1024), ContractModels.GPT_SEED, DType.BF16);
        checkFamilyPasses("par BF16", new ParAdapter(m), FamilyPasses.parOrder(4), new ReferenceLlamaGen(m), 5);
    }

    @Test
    public void lpdF32PassesMatchReference() {
        requireFamily("lpd");
        LpdModel m = ContractModels.lpd(ContractModels.lpdTiny(1024), ContractModels.GPT_SEED, DType.F32);
        checkFamilyPasses("lpd F32", new LpdAdapter(m), FamilyPasses.randomOrder(1, 2, 3, 4, 6), new ReferenceLpd(m), 7);
    }

    @Test
    public void lpdBf16PassesMatchReference() {
        requireFamily("lpd");
        LpdModel m = ContractModels.lpd(ContractModels.lpdTiny(1024), ContractModels.GPT_SEED, DType.BF16);
        checkFamilyPasses("lpd BF16", new LpdAdapter(m), FamilyPasses.randomOrder(1, 2, 3, 4, 6), new ReferenceLpd(m), 2);
    }

    /** RandAR passes (re-fed instructions between their tokens, causal in slots) against the double oracle. */
    @Test
    public void randarF32PassesMatchReference() {
        requireFamily("randar");
        RandarModel m = ContractModels.randar(ContractModels.randarTiny(1024), ContractModels.GPT_SEED, DType.F32);
        checkFamilyPasses("randar F32", new RandarAdapter(m), FamilyPasses.randomOrder(1, 2, 3, 4, 6), new ReferenceLlamaGen(m), 7);
    }

    @Test
    public void randarBf16PassesMatchReference() {
        requireFamily("randar");
        RandarModel m = ContractModels.randar(ContractModels.randarTiny(1024), ContractModels.GPT_SEED, DType.BF16);
        checkFamilyPasses("randar BF16", new RandarAdapter(m), FamilyPasses.randomOrder(1, 2, 3, 4, 6), new ReferenceLlamaGen(m), 2);
    }

    private void checkFamilyPasses(String what, FamilyAdapter adapter, OrderScheduler order, GptSession oracle, int classId) {
        List<ForwardBatch> passes = FamilyPasses.passes(adapter, order, classId, 13);
        int cap = adapter.capacity();
        int vocab = adapter.model().vocabSize();
        try (GptSession session = backend().openModel(adapter.model(), options())) {
            oracle.reset(2, cap);
            session.reset(2, cap);
            for (int p = 0; p < passes.size(); p++) {
                ForwardBatch b = passes.get(p);
                float[] actual = session.forward(b);
                double[] expected = oracle instanceof ReferenceLpd r ? r.forwardExact(b) : ((ReferenceLlamaGen) oracle).forwardExact(b);
                assertLogitsClose(what + ", pass " + p + " of " + passes.size(), b, vocab, expected, actual);
            }
        }
    }

    @Test
    public void greedyParGenerationMatchesReference() {
        requireFamily("par");
        ParModel m = ContractModels.par(ContractModels.parTiny(512), ContractModels.GPT_SEED, DType.F32);
        checkGreedyGeneration(new ParAdapter(m), FamilyPasses.parOrder(4), new ReferenceLlamaGen(m), "constant", 7);
    }

    @Test
    public void greedyLpdGenerationMatchesReference() {
        requireFamily("lpd");
        LpdModel m = ContractModels.lpd(ContractModels.lpdTiny(512), ContractModels.GPT_SEED, DType.F32);
        checkGreedyGeneration(new LpdAdapter(m), FamilyPasses.randomOrder(1, 2, 3, 4, 6), new ReferenceLpd(m), "linear", 5);
    }

    @Test
    public void greedyRandarGenerationMatchesReference() {
        requireFamily("randar");
        RandarModel m = ContractModels.randar(ContractModels.randarTiny(512), ContractModels.GPT_SEED, DType.F32);
        checkGreedyGeneration(new RandarAdapter(m), FamilyPasses.randomOrder(1, 2, 3, 4, 6), new ReferenceLlamaGen(m), "linear-pass", 5);
    }

    private void checkGreedyGeneration(FamilyAdapter adapter, OrderScheduler order, GptSession oracle, String schedule, int passes) {
        SamplingConfig greedy = new SamplingConfig(1.0, 0, 1.0, GREEDY_CFG_SCALE, -1, schedule, true, 0);
        int[] classes = {3, 8};
        Generator.Result expected = new Generator(adapter, oracle, order, ConfigNode.empty("order"), greedy).generate(classes, 2, null);
        Generator.Result actual;
        try (GptSession session = backend().openModel(adapter.model(), options())) {
            actual = new Generator(adapter, session, order, ConfigNode.empty("order"), greedy).generate(classes, 2, null);
        }
        for (int i = 0; i < classes.length; i++) {
            assertEquals(passes, expected.passes()[i], "passes of image " + i);
            assertArrayEquals(expected.tokens()[i], actual.tokens()[i], "greedy CFG-" + GREEDY_CFG_SCALE + " " + schedule + " "
                    + adapter.model().family() + " tokens of class " + classes[i]);
        }
    }

    // ---- VQ decoder ----

    @Test
    public void vqDecoderMatchesReference() {
        int[] tokens = randomTokens(2 * 4 * 4, ContractModels.tinyVq().codebookSize(), 5);
        checkDecoder(ContractModels.vq(ContractModels.tinyVq(), ContractModels.VQ_SEED), tokens, 2, 4, 4);
    }

    @Test
    public void vqDecoderNonSquareGridWithoutL2NormMatchesReference() {
        int[] tokens = randomTokens(3 * 5, ContractModels.tinyVqNoL2ThreeLevels().codebookSize(), 6);
        checkDecoder(ContractModels.vq(ContractModels.tinyVqNoL2ThreeLevels(), ContractModels.VQ_SEED), tokens, 1, 3, 5);
    }

    private void checkDecoder(VqWeights weights, int[] tokens, int n, int h, int w) {
        VqConfig c = weights.config();
        double[] expected = new ReferenceVqDecoder(weights).decodeExact(tokens, n, h, w);
        float[] actual;
        try (VqDecoderSession session = backend().openDecoder(weights, options())) {
            actual = session.decode(tokens, n, h, w);
        }
        String what = c + ", tokens " + n + "×" + h + "×" + w;
        assertEquals(expected.length, actual.length, what + ": image size [n, 3, h·ds, w·ds]");
        int worst = 0;
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (!(d <= max)) { // NaN counts as the worst
                max = d;
                worst = i;
            }
        }
        int hw = h * c.downsample() * w * c.downsample();
        int wo = w * c.downsample();
        final int at = worst;
        assertTrue(max < IMAGE_TOLERANCE, () -> what + ": max |backend − reference| = " + actual[at] + " vs " + expected[at]
                + " at image " + at / (c.outChannels() * hw) + ", channel " + at / hw % c.outChannels() + ", y " + at % hw / wo
                + ", x " + at % wo + " (tolerance " + IMAGE_TOLERANCE + ")");
    }

    // ---- greedy generation ----

    @Test
    public void greedyRasterGenerationMatchesReference() {
        LlamaGenModel model = ContractModels.llamaGen(ContractModels.greedy(), ContractModels.GPT_SEED, DType.F32);
        ReferenceLlamaGen oracle = new ReferenceLlamaGen(model);
        try (GptSession session = backend().openModel(model, options())) {
            for (int classId : new int[] {3, 8}) {
                int[] expected = greedyRaster(oracle, oracle::forwardExact, model, classId);
                int[] actual = greedyRaster(session, b -> widen(session.forward(b)), model, classId);
                assertArrayEquals(expected, actual, "greedy CFG-" + GREEDY_CFG_SCALE + " raster tokens of class " + classId
                        + " (" + describe(model) + ")");
            }
        }
    }

    /**
     * Greedy raster generation with CFG over the {@link ForwardBatch} API: reset to rows [class; null],
     * prefill, then feed each argmax token (to both rows) at its cell until the grid is full.
     */
    public static int[] greedyRaster(GptSession session, Function<ForwardBatch, double[]> forward, LlamaGenModel model,
                                     int classId) {
        LlamaGenConfig c = model.config();
        int capacity = model.cacheCapacity();
        int vocab = c.vocabSize();
        session.reset(2, capacity);
        int[] grid = new int[c.blockSize()];
        double[] logits = forward.apply(Passes.prefill(new int[] {classId, c.nullClass()}, capacity));
        for (int k = 0; k < grid.length; k++) {
            grid[k] = argmaxCfg(logits, vocab, GREEDY_CFG_SCALE);
            if (k + 1 < grid.length) {
                logits = forward.apply(Passes.rasterStep(new int[] {grid[k], grid[k]}, k, capacity));
            }
        }
        return grid;
    }

    /** argmax of uncond + (cond − uncond)·scale, with row 0 = cond and row 1 = uncond logits [2·vocab]. */
    public static int argmaxCfg(double[] logits, int vocab, double scale) {
        int best = 0;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            double cond = logits[v];
            double uncond = logits[vocab + v];
            double g = uncond + (cond - uncond) * scale;
            if (g > bestValue) {
                bestValue = g;
                best = v;
            }
        }
        return best;
    }

    // ---- cache semantics ----

    @Test
    public void resetZeroFillsTheCache() {
        LlamaGenModel model = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int capacity = model.cacheCapacity();
        List<ForwardBatch> probe = holeProbe(model.config(), 42);
        List<ForwardBatch> filler = filler(model.config());
        ReferenceLlamaGen oracle = new ReferenceLlamaGen(model);
        oracle.reset(2, capacity);
        List<double[]> expected = new ArrayList<>();
        for (ForwardBatch b : probe) {
            expected.add(oracle.forwardExact(b));
        }
        try (GptSession session = backend().openModel(model, options())) {
            session.reset(2, capacity);
            List<float[]> first = run(session, probe);
            for (int i = 0; i < probe.size(); i++) {
                assertLogitsClose("hole probe on a fresh cache, pass " + i, probe.get(i), model.vocabSize(), expected.get(i), first.get(i));
            }
            session.reset(3, capacity);
            session.forward(Passes.prefill(new int[] {1, 2, 3}, capacity));
            session.reset(2, capacity);
            run(session, filler);
            session.reset(2, capacity); // same shape as before: a backend may reuse its buffers, but must zero them
            List<float[]> second = run(session, probe);
            for (int i = 0; i < probe.size(); i++) {
                double[] firstExact = widen(first.get(i));
                double err = relativeL2(second.get(i), firstExact);
                final int pass = i;
                assertTrue(err < 1e-6, () -> "after reset the hole probe's pass " + pass + " differs from the fresh-cache run: "
                        + "relative L2 " + err + " (stale keys/values were left in unwritten slots)");
            }
        }
    }

    /** Prefill, then one pass feeding cells 1 and 6 (causal): slot 1 and slots 3..6 are visible holes. */
    private static List<ForwardBatch> holeProbe(LlamaGenConfig c, int classId) {
        int capacity = 1 + c.blockSize();
        List<Passes.Entry> e = List.of(Passes.token(new int[] {17, 17}, 1), Passes.token(new int[] {900, 901}, 6));
        return List.of(Passes.prefill(new int[] {classId, c.nullClass()}, capacity),
                Passes.batch(2, capacity, e, Passes.causalBySlot(e)));
    }

    /** Writes every slot with tokens of another class. */
    private static List<ForwardBatch> filler(LlamaGenConfig c) {
        int capacity = 1 + c.blockSize();
        List<Passes.Entry> e = new ArrayList<>();
        Rng rng = new Rng(99);
        for (int k = 0; k < c.blockSize(); k++) {
            int t = rng.nextInt(c.vocabSize());
            e.add(Passes.token(new int[] {t, t}, k));
        }
        return List.of(Passes.prefill(new int[] {7, c.nullClass()}, capacity), Passes.batch(2, capacity, e, Passes.causalBySlot(e)));
    }

    /**
     * Row reuse (a server's lifecycle): on a 4-row cache, the hole probe runs on cache rows {3, 1} (reversed, a
     * subset) while a filler runs on rows {0, 2} between its passes; the probe must match the oracle on a fresh
     * 2-row cache, and the backend's own identity-row run to 1e-6 (rows a batch does not name are untouched, and
     * an entry's logits do not depend on the other rows of its batch).
     */
    @Test
    public void batchesAddressCacheRows() {
        LlamaGenModel model = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int capacity = model.cacheCapacity();
        List<ForwardBatch> probe = holeProbe(model.config(), 42);
        List<ForwardBatch> filler = filler(model.config());
        ReferenceLlamaGen oracle = new ReferenceLlamaGen(model);
        oracle.reset(2, capacity);
        try (GptSession session = backend().openModel(model, options())) {
            session.reset(2, capacity);
            List<float[]> identity = run(session, probe);
            session.reset(4, capacity);
            for (int i = 0; i < probe.size(); i++) {
                ForwardBatch p = onRows(probe.get(i), 3, 1);
                float[] got = session.forward(p);
                assertLogitsClose("hole probe on cache rows [3, 1], pass " + i, p, model.vocabSize(), oracle.forwardExact(probe.get(i)), got);
                double err = relativeL2(got, widen(identity.get(i)));
                final int pass = i;
                assertTrue(err < 1e-6, () -> "hole probe pass " + pass + " on cache rows [3, 1] differs from the same pass on rows "
                        + "[0, 1]: relative L2 " + err);
                session.forward(onRows(filler.get(Math.min(i, filler.size() - 1)), 0, 2));
            }
        }
    }

    /**
     * {@link GptSession#clearRow} zero-fills one row and nothing else: rows {1, 3} are filled with another
     * class's tokens in every slot and rows {0, 2} hold the hole probe's prefill; after clearRow(1) and
     * clearRow(3), the probe on rows {1, 3} equals the fresh-cache run (no stale key/value in its holes), and
     * the probe continued on rows {0, 2} equals the fresh-cache run too (clearing kept the other rows).
     */
    @Test
    public void clearRowZeroFillsOnlyThatRow() {
        LlamaGenModel model = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int capacity = model.cacheCapacity();
        List<ForwardBatch> probe = holeProbe(model.config(), 42);
        List<ForwardBatch> filler = filler(model.config());
        ReferenceLlamaGen oracle = new ReferenceLlamaGen(model);
        oracle.reset(2, capacity);
        List<double[]> expected = new ArrayList<>();
        for (ForwardBatch b : probe) {
            expected.add(oracle.forwardExact(b));
        }
        try (GptSession session = backend().openModel(model, options())) {
            session.reset(4, capacity);
            for (ForwardBatch b : filler) {
                session.forward(onRows(b, 1, 3));
            }
            ForwardBatch kept0 = onRows(probe.get(0), 0, 2);
            assertLogitsClose("hole probe prefill on rows [0, 2]", kept0, model.vocabSize(), expected.get(0), session.forward(kept0));
            session.clearRow(1);
            session.clearRow(3);
            for (int i = 0; i < probe.size(); i++) {
                ForwardBatch p = onRows(probe.get(i), 1, 3);
                assertLogitsClose("hole probe on rows [1, 3] after clearRow(1), clearRow(3), pass " + i
                        + " (stale keys/values left in unwritten slots?)", p, model.vocabSize(), expected.get(i), session.forward(p));
            }
            ForwardBatch kept1 = onRows(probe.get(1), 0, 2);
            assertLogitsClose("hole probe pass 1 on rows [0, 2], whose prefill ran before clearRow(1), clearRow(3)"
                    + " (clearing a row must keep the others)", kept1, model.vocabSize(), expected.get(1), session.forward(kept1));
        }
    }

    /**
     * Row addressing for the ViT family (LPD): a generation's passes on cache rows {3, 1} of a 4-row cache, each
     * followed by another class's pass on rows {0, 2}, match the oracle on a fresh 2-row cache; after
     * clearRow(1) and clearRow(3) the same generation on rows {3, 1} matches again.
     */
    @Test
    public void lpdBatchesAddressCacheRowsAndClearRow() {
        requireFamily("lpd");
        LpdModel m = ContractModels.lpd(ContractModels.lpdTiny(1024), ContractModels.GPT_SEED, DType.F32);
        LpdAdapter adapter = new LpdAdapter(m);
        List<ForwardBatch> mine = FamilyPasses.passes(adapter, FamilyPasses.randomOrder(1, 2, 3, 4, 6), 7, 13);
        List<ForwardBatch> other = FamilyPasses.passes(adapter, FamilyPasses.randomOrder(1, 2, 3, 4, 6), 2, 29);
        ReferenceLpd oracle = new ReferenceLpd(m);
        oracle.reset(2, adapter.capacity());
        List<double[]> expected = new ArrayList<>();
        for (ForwardBatch b : mine) {
            expected.add(oracle.forwardExact(b));
        }
        try (GptSession session = backend().openModel(m, options())) {
            session.reset(4, adapter.capacity());
            for (int round = 0; round < 2; round++) {
                for (int p = 0; p < mine.size(); p++) {
                    ForwardBatch b = onRows(mine.get(p), 3, 1);
                    assertLogitsClose("lpd pass " + p + " on cache rows [3, 1]" + (round == 1 ? " after clearRow(1), clearRow(3)" : ""),
                            b, m.vocabSize(), expected.get(p), session.forward(b));
                    session.forward(onRows(other.get(Math.min(p, other.size() - 1)), 0, 2));
                }
                session.clearRow(1);
                session.clearRow(3);
            }
        }
    }

    /** {@code b} with batch row r reading and writing cache row {@code rows[r]}. */
    public static ForwardBatch onRows(ForwardBatch b, int... rows) {
        return new ForwardBatch(b.rows(), b.length(), b.kinds(), b.ids(), b.positions(), b.slots(), b.visible(), rows);
    }

    @Test
    public void sessionsAreIndependent() {
        LlamaGenModel model = ContractModels.llamaGen(ContractModels.tiny(), ContractModels.GPT_SEED, DType.F32);
        int capacity = model.cacheCapacity();
        List<ForwardBatch> a = Passes.standard(model.config(), 1, 21).stream().map(Passes.Pass::batch).toList();
        List<ForwardBatch> b = Passes.standard(model.config(), 2, 22).stream().map(Passes.Pass::batch).toList();
        ComputeBackend backend = backend();
        List<float[]> alone = new ArrayList<>();
        try (GptSession s = backend.openModel(model, options())) {
            s.reset(2, capacity);
            alone.addAll(run(s, a));
        }
        try (GptSession s1 = backend.openModel(model, options()); GptSession s2 = backend.openModel(model, options())) {
            s1.reset(2, capacity);
            s2.reset(2, capacity);
            for (int i = 0; i < a.size(); i++) {
                float[] got = s1.forward(a.get(i));
                s2.forward(b.get(i));
                double err = relativeL2(got, widen(alone.get(i)));
                final int pass = i;
                assertTrue(err < 1e-6, () -> "pass " + pass + " of one session changed when another session of the same "
                        + "model ran in between: relative L2 " + err);
            }
        }
    }

    // ---- helpers (public for backend-specific tests) ----

    /** Relative L2 error ‖actual − expected‖₂ / ‖expected‖₂ (NaN when either holds a NaN). */
    public static double relativeL2(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException(actual.length + " values vs " + expected.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = actual[i] - expected[i];
            diff += d * d;
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(diff) / Math.sqrt(norm);
    }

    /** Asserts a pass's logits [rows·length·vocab] agree to {@link #LOGITS_TOLERANCE}, naming the worst entry. */
    public static void assertLogitsClose(String what, ForwardBatch batch, int vocab, double[] expected, float[] actual) {
        int entries = batch.rows() * batch.length();
        if (actual.length != entries * vocab) {
            fail(what + ": backend returned " + actual.length + " logits, expected rows·length·vocab = " + entries + "·" + vocab);
        }
        double err = relativeL2(actual, expected);
        if (!(err < LOGITS_TOLERANCE)) {
            int worst = -1;
            double worstErr = -1;
            for (int i = 0; i < entries; i++) {
                float[] a = Arrays.copyOfRange(actual, i * vocab, (i + 1) * vocab);
                double[] e = Arrays.copyOfRange(expected, i * vocab, (i + 1) * vocab);
                double ei = relativeL2(a, e);
                if (!(ei <= worstErr)) {
                    worstErr = ei;
                    worst = i;
                }
            }
            int row = worst / batch.length();
            int t = worst % batch.length();
            fail(what + ": relative L2 error " + err + " ≥ " + LOGITS_TOLERANCE + "; worst entry row " + row + ", t " + t
                    + " (" + batch.kinds()[worst] + " " + batch.ids()[worst] + " at position " + batch.positions()[worst]
                    + ", slot " + batch.slots()[worst] + "): " + worstErr);
        }
    }

    private static String describe(LlamaGenModel m) {
        LlamaGenConfig c = m.config();
        return "llamagen dim " + c.dim() + ", " + c.nLayer() + " layers, " + c.nHead() + " heads, " + c.nKvHead() + " kv heads, vocab "
                + c.vocabSize() + ", grid " + c.grid() + ", " + m.weights().output().dtype();
    }

    private static List<float[]> run(GptSession s, List<ForwardBatch> batches) {
        List<float[]> out = new ArrayList<>();
        for (ForwardBatch b : batches) {
            out.add(s.forward(b));
        }
        return out;
    }

    private static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static int[] randomTokens(int n, int codebookSize, long seed) {
        Rng rng = new Rng(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rng.nextInt(codebookSize);
        }
        return t;
    }
}
