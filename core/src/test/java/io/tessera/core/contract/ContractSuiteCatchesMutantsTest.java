package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.VqDecoderSession;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The contract suite must be able to fail: each test here runs suite cases against a backend that wraps the
 * oracle and breaks one rule the way a real backend could, and expects an assertion failure.
 */
class ContractSuiteCatchesMutantsTest {

    /** The bugs a mutant backend can have. */
    enum Bug {
        /** Hides unwritten cache slots instead of treating them as zero-K/V holes. */
        MASKS_HOLES,
        /** Encodes the column in the first half of the RoPE pairs and the row in the second. */
        SWAPS_ROPE_AXES,
        /** Keeps the old cache when reset to the same shape. */
        STALE_RESET,
        /** Returns logits rounded to BF16. */
        BF16_LOGITS,
        /** Reads the VQ token grid column-major. */
        TRANSPOSES_VQ_TOKENS,
        /** Gives the class position the RoPE of cell 0 (cos 1, sin 0) instead of the zero row. */
        ROTATES_CLASS_POSITION,
        /** Computes silu(w3·x) ⊙ w1·x instead of silu(w1·x) ⊙ w3·x. */
        SWAPS_W1_W3,
        /** Maps query head h to kv head h mod n_kv instead of h / (n_head / n_kv). */
        GQA_MODULO_HEADS,
        /** Does nothing on clearRow. */
        STALE_CLEAR_ROW,
        /** Clears every row on clearRow. */
        CLEARS_ALL_ROWS,
        /** Uses batch row r as cache row r, ignoring cacheRows. */
        IGNORES_CACHE_ROWS
    }

    private static BackendContractTest suiteWith(Bug bug) {
        return new BackendContractTest() {
            @Override
            protected ComputeBackend backend() {
                return new MutantBackend(bug);
            }
        };
    }

    private static void assertCaught(Bug bug, Executable suiteCase) {
        assertThrows(AssertionError.class, suiteCase, "the contract suite did not catch a backend that " + bug);
    }

    @Test
    void catchesMaskedHoles() {
        BackendContractTest suite = suiteWith(Bug.MASKS_HOLES);
        assertCaught(Bug.MASKS_HOLES, suite::tinyModelF32PassesMatchReference);
        assertCaught(Bug.MASKS_HOLES, suite::resetZeroFillsTheCache);
    }

    @Test
    void catchesSwappedRopeAxes() {
        BackendContractTest suite = suiteWith(Bug.SWAPS_ROPE_AXES);
        assertCaught(Bug.SWAPS_ROPE_AXES, suite::tinyModelF32PassesMatchReference);
        assertCaught(Bug.SWAPS_ROPE_AXES, suite::groupedQueryAttentionPassesMatchReference);
        assertCaught(Bug.SWAPS_ROPE_AXES, suite::sixHeadsOfDim20PassesMatchReference);
        assertCaught(Bug.SWAPS_ROPE_AXES, suite::greedyRasterGenerationMatchesReference);
    }

    @Test
    void catchesRotatedClassPosition() {
        assertCaught(Bug.ROTATES_CLASS_POSITION, suiteWith(Bug.ROTATES_CLASS_POSITION)::tinyModelF32PassesMatchReference);
    }

    @Test
    void catchesSwappedFeedForwardGateAndUp() {
        BackendContractTest suite = suiteWith(Bug.SWAPS_W1_W3);
        assertCaught(Bug.SWAPS_W1_W3, suite::tinyModelF32PassesMatchReference);
        assertCaught(Bug.SWAPS_W1_W3, suite::gptBShapedPassesMatchReference);
    }

    @Test
    void catchesWrongKvHeadMapping() {
        assertCaught(Bug.GQA_MODULO_HEADS, suiteWith(Bug.GQA_MODULO_HEADS)::groupedQueryAttentionPassesMatchReference);
    }

    @Test
    void catchesStaleReset() {
        assertCaught(Bug.STALE_RESET, suiteWith(Bug.STALE_RESET)::resetZeroFillsTheCache);
    }

    @Test
    void catchesStaleClearRow() {
        assertCaught(Bug.STALE_CLEAR_ROW, suiteWith(Bug.STALE_CLEAR_ROW)::clearRowZeroFillsOnlyThatRow);
    }

    @Test
    void catchesClearRowThatClearsEveryRow() {
        assertCaught(Bug.CLEARS_ALL_ROWS, suiteWith(Bug.CLEARS_ALL_ROWS)::clearRowZeroFillsOnlyThatRow);
    }

    @Test
    void catchesIgnoredCacheRows() {
        BackendContractTest suite = suiteWith(Bug.IGNORES_CACHE_ROWS);
        assertCaught(Bug.IGNORES_CACHE_ROWS, suite::batchesAddressCacheRows);
        assertCaught(Bug.IGNORES_CACHE_ROWS, suite::clearRowZeroFillsOnlyThatRow);
    }

    @Test
    void catchesLogitsRoundedToBf16() {
        assertCaught(Bug.BF16_LOGITS, suiteWith(Bug.BF16_LOGITS)::tinyModelBf16PassesMatchReference);
    }

    @Test
    void catchesTransposedVqTokens() {
        BackendContractTest suite = suiteWith(Bug.TRANSPOSES_VQ_TOKENS);
        assertCaught(Bug.TRANSPOSES_VQ_TOKENS, suite::vqDecoderMatchesReference);
        assertCaught(Bug.TRANSPOSES_VQ_TOKENS, suite::vqDecoderNonSquareGridWithoutL2NormMatchesReference);
    }

    /** The oracle with one bug. */
    private record MutantBackend(Bug bug) implements ComputeBackend {
        @Override
        public String name() {
            return "mutant-" + bug;
        }

        @Override
        public GptSession openModel(ModelSpec model, BackendOptions options) {
            LlamaGenModel m = (LlamaGenModel) model;
            LlamaGenModel broken = switch (bug) {
                case SWAPS_W1_W3 -> swapGateAndUp(m);
                case GQA_MODULO_HEADS -> moduloHeads(m);
                default -> m;
            };
            return new MutantSession(new ReferenceLlamaGen(broken), bug);
        }

        @Override
        public VqDecoderSession openDecoder(VqWeights weights, BackendOptions options) {
            ReferenceVqDecoder inner = new ReferenceVqDecoder(weights);
            return new VqDecoderSession() {
                @Override
                public float[] decode(int[] tokens, int n, int h, int w) {
                    if (bug != Bug.TRANSPOSES_VQ_TOKENS) {
                        return inner.decode(tokens, n, h, w);
                    }
                    int[] columnMajor = new int[tokens.length];
                    for (int img = 0; img < n; img++) {
                        for (int y = 0; y < h; y++) {
                            for (int x = 0; x < w; x++) {
                                columnMajor[img * h * w + y * w + x] = tokens[img * h * w + x * h + y];
                            }
                        }
                    }
                    return inner.decode(columnMajor, n, h, w);
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }
    }

    /** All tensors of {@code w} by name. */
    private static Map<String, Tensor> tensors(LlamaGenWeights w) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Tensor t : List.of(w.clsEmbedding(), w.tokEmbeddings(), w.norm(), w.output())) {
            out.put(t.name(), t);
        }
        for (LlamaGenWeights.Layer l : w.layers()) {
            for (Tensor t : List.of(l.attentionNorm(), l.wqkv(), l.wo(), l.ffnNorm(), l.w1(), l.w3(), l.w2())) {
                out.put(t.name(), t);
            }
        }
        return out;
    }

    private static LlamaGenModel rebuilt(LlamaGenModel m, Map<String, Tensor> t) {
        return new LlamaGenModel(m.config(), new LlamaGenWeights(m.config(), new MemoryCheckpoint("mutant", t)));
    }

    private static LlamaGenModel swapGateAndUp(LlamaGenModel m) {
        Map<String, Tensor> t = tensors(m.weights());
        for (LlamaGenWeights.Layer l : m.weights().layers()) {
            t.put(l.w1().name(), Tensor.ofFloats(l.w1().name(), l.w1().shape(), l.w3().toFloatArray()));
            t.put(l.w3().name(), Tensor.ofFloats(l.w3().name(), l.w3().shape(), l.w1().toFloatArray()));
        }
        return rebuilt(m, t);
    }

    /**
     * A backend using kv head h mod n_kv for query head h equals the oracle on a model whose query head j (its
     * wqkv rows and its wo columns) is the original head π(j) = (j mod g)·n_kv + j / g, g = n_head / n_kv: the
     * oracle gives head j kv head j / g = π(j) mod n_kv.
     */
    private static LlamaGenModel moduloHeads(LlamaGenModel m) {
        LlamaGenConfig c = m.config();
        int hd = c.headDim();
        int dim = c.dim();
        int g = c.nHead() / c.nKvHead();
        Map<String, Tensor> t = tensors(m.weights());
        for (LlamaGenWeights.Layer l : m.weights().layers()) {
            float[] qkv = l.wqkv().toFloatArray();
            float[] wo = l.wo().toFloatArray();
            float[] qkv2 = qkv.clone();
            float[] wo2 = wo.clone();
            for (int j = 0; j < c.nHead(); j++) {
                int src = (j % g) * c.nKvHead() + j / g;
                System.arraycopy(qkv, src * hd * dim, qkv2, j * hd * dim, hd * dim);
                for (int row = 0; row < dim; row++) {
                    System.arraycopy(wo, row * dim + src * hd, wo2, row * dim + j * hd, hd);
                }
            }
            t.put(l.wqkv().name(), Tensor.ofFloats(l.wqkv().name(), l.wqkv().shape(), qkv2));
            t.put(l.wo().name(), Tensor.ofFloats(l.wo().name(), l.wo().shape(), wo2));
        }
        return rebuilt(m, t);
    }

    private static final class MutantSession implements GptSession {
        private final ReferenceLlamaGen inner;
        private final Bug bug;
        private final int grid;
        private boolean[][] written; // [row][slot]

        MutantSession(ReferenceLlamaGen inner, Bug bug) {
            this.inner = inner;
            this.bug = bug;
            this.grid = ((LlamaGenModel) inner.model()).config().grid();
        }

        @Override
        public ModelSpec model() {
            return inner.model();
        }

        @Override
        public void reset(int rows, int capacity) {
            boolean sameShape = written != null && written.length == rows && written[0].length == capacity;
            if (!(bug == Bug.STALE_RESET && sameShape)) {
                inner.reset(rows, capacity);
            }
            written = new boolean[rows][capacity];
        }

        @Override
        public void clearRow(int row) {
            switch (bug) {
                case STALE_CLEAR_ROW -> {
                }
                case CLEARS_ALL_ROWS -> {
                    for (int r = 0; r < written.length; r++) {
                        inner.clearRow(r);
                        written[r] = new boolean[written[r].length];
                    }
                }
                default -> {
                    inner.clearRow(row);
                    written[row] = new boolean[written[row].length];
                }
            }
        }

        @Override
        public float[] forward(ForwardBatch b) {
            ForwardBatch actual = switch (bug) {
                case MASKS_HOLES -> hideUnwritten(b);
                case SWAPS_ROPE_AXES -> transposePositions(b);
                case ROTATES_CLASS_POSITION -> classAtCellZero(b);
                case IGNORES_CACHE_ROWS -> new ForwardBatch(b.rows(), b.length(), b.kinds(), b.ids(), b.positions(), b.slots(), b.visible());
                default -> b;
            };
            for (int i = 0; i < b.rows() * b.length(); i++) {
                written[b.cacheRowOf(i)][b.slots()[i]] = true;
            }
            float[] logits = inner.forward(actual);
            if (bug == Bug.BF16_LOGITS) {
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = Float.intBitsToFloat((ContractModels.bf16Bits(logits[i]) & 0xffff) << 16);
                }
            }
            return logits;
        }

        private ForwardBatch hideUnwritten(ForwardBatch b) {
            int cap = b.capacity();
            boolean[] visible = b.visible().clone();
            for (int i = 0; i < b.rows() * b.length(); i++) {
                int row = i / b.length();
                for (int s = 0; s < cap; s++) {
                    boolean writtenNow = false;
                    for (int t = 0; t < b.length(); t++) {
                        writtenNow |= b.slots()[b.index(row, t)] == s;
                    }
                    visible[i * cap + s] &= written[b.cacheRows()[row]][s] || writtenNow;
                }
            }
            return new ForwardBatch(b.rows(), b.length(), b.kinds(), b.ids(), b.positions(), b.slots(), visible, b.cacheRows());
        }

        private ForwardBatch transposePositions(ForwardBatch b) {
            int[] positions = b.positions().clone();
            for (int i = 0; i < positions.length; i++) {
                if (positions[i] > 0) {
                    int cell = positions[i] - 1;
                    positions[i] = 1 + (cell % grid) * grid + cell / grid;
                }
            }
            return new ForwardBatch(b.rows(), b.length(), b.kinds(), b.ids(), positions, b.slots(), b.visible(), b.cacheRows());
        }

        private static ForwardBatch classAtCellZero(ForwardBatch b) {
            int[] positions = b.positions().clone();
            for (int i = 0; i < positions.length; i++) {
                positions[i] = Math.max(positions[i], 1);
            }
            return new ForwardBatch(b.rows(), b.length(), b.kinds(), b.ids(), positions, b.slots(), b.visible(), b.cacheRows());
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
