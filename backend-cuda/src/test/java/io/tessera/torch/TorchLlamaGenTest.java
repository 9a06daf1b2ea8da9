package io.tessera.torch;

import static io.tessera.torch.Fixtures.Entry;
import static io.tessera.torch.Fixtures.batch;
import static io.tessera.torch.Fixtures.relErr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.contract.ReferenceLlamaGen;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.model.RandomWeights;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchLlamaGenTest {
    private static final TorchBackend BACKEND = new TorchBackend();
    private static final int CAP = 17; // 1 + 4·4

    private static LlamaGenConfig config(boolean gqa) {
        return gqa ? Fixtures.TINY_GQA : Fixtures.TINY;
    }

    private static LlamaGenConfig oneLayer(boolean gqa) {
        LlamaGenConfig c = config(gqa);
        return new LlamaGenConfig(c.dim(), 1, c.nHead(), c.nKvHead(), c.multipleOf(), c.ffnDimMultiplier(), c.normEps(),
                c.ropeBase(), c.vocabSize(), c.numClasses(), c.clsTokenNum(), c.classDropoutProb(), c.grid());
    }

    /** (a) Decoding one token per pass through the KV cache gives the logits of one full causal pass. */
    @ParameterizedTest(name = "gqa={0}")
    @ValueSource(booleans = {false, true})
    void incrementalDecodingEqualsFullCausalPass(boolean gqa) {
        LlamaGenConfig c = config(gqa);
        int[][] tokens = {{17, 5, 16000, 42, 7, 999}, {3, 3, 12345, 0, 16383, 8}};
        int[] classes = {207, c.nullClass()};
        int v = c.vocabSize();
        int steps = 1 + tokens[0].length;
        try (GptSession s = BACKEND.openModel(Fixtures.model(c, 11), Fixtures.cpu())) {
            Entry[][] full = new Entry[2][steps];
            for (int r = 0; r < 2; r++) {
                full[r][0] = Entry.cls(classes[r], CAP);
                for (int i = 0; i < tokens[r].length; i++) {
                    full[r][1 + i] = Entry.token(tokens[r][i], i, CAP);
                }
            }
            s.reset(2, CAP);
            float[] all = s.forward(batch(full));
            assertEquals(2 * steps * v, all.length);

            s.reset(2, CAP);
            for (int step = 0; step < steps; step++) {
                Entry[][] one = {{full[0][step]}, {full[1][step]}};
                float[] got = s.forward(batch(one));
                for (int r = 0; r < 2; r++) {
                    float[] want = Arrays.copyOfRange(all, (r * steps + step) * v, (r * steps + step + 1) * v);
                    float[] have = Arrays.copyOfRange(got, r * v, (r + 1) * v);
                    double err = relErr(have, want);
                    assertTrue(err < 1e-5, "row " + r + " step " + step + ": relative error " + err);
                }
            }
        }
    }

    /**
     * (b) One layer against core's double-precision reference (the contract suite's oracle), two passes: a class entry plus two tokens at
     * scattered cells with unwritten (zero) slots left visible, then one more token.
     */
    @ParameterizedTest(name = "gqa={0}")
    @ValueSource(booleans = {false, true})
    void oneLayerMatchesScalarReference(boolean gqa) {
        LlamaGenConfig c = oneLayer(gqa);
        // stronger attention than the N(0, 0.02) init, so that its layout dominates the error
        Map<String, Tensor> weights = new LinkedHashMap<>(RandomWeights.llamaGen(c, 5));
        weights.replaceAll((name, t) -> name.endsWith("attention.wqkv.weight") || name.endsWith("attention.wo.weight")
                ? scaled(t, 12f) : t);
        LlamaGenModel m = Fixtures.model(c, weights);
        ReferenceLlamaGen ref = new ReferenceLlamaGen(m); // core's double-precision oracle (the contract suite's)
        ref.reset(2, CAP);
        Entry[][] first = {
            {Entry.cls(1, CAP), Entry.token(100, 5, CAP), Entry.token(200, 10, CAP)},
            {Entry.cls(c.nullClass(), CAP), Entry.token(300, 2, CAP), Entry.token(400, 13, CAP)}};
        boolean[] holes = Fixtures.upTo(9, CAP); // sees slots 0..9: 6 is written, 1..5 and 7..9 are zero holes
        Entry[][] second = {
            {new Entry(EntryKind.TOKEN, 500, 1 + 8, 1 + 8, holes)},
            {Entry.token(600, 3, CAP)}};
        try (GptSession s = BACKEND.openModel(m, Fixtures.cpu())) {
            s.reset(2, CAP);
            for (Entry[][] pass : new Entry[][][] {first, second}) {
                ForwardBatch fb = batch(pass);
                float[] want = ref.forward(fb);
                float[] got = s.forward(fb);
                double err = relErr(got, want);
                assertTrue(err < 1e-5, "relative error " + err);
            }
        }
    }

    private static Tensor scaled(Tensor t, float factor) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] *= factor;
        }
        return Tensor.ofFloats(t.name(), t.shape(), v);
    }

    /** BF16 and F16 checkpoints upload to the same float32 values as an F32 file of the rounded weights. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"BF16", "F16"})
    void halfPrecisionCheckpointsUploadExactly(String type) {
        DType dtype = DType.valueOf(type);
        LlamaGenConfig c = oneLayer(false);
        Map<String, Tensor> half = new LinkedHashMap<>();
        Map<String, Tensor> rounded = new LinkedHashMap<>();
        RandomWeights.llamaGen(c, 9).forEach((name, t) -> {
            float[] v = t.toFloatArray();
            MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 2]);
            ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < v.length; i++) {
                short bits = dtype == DType.BF16
                        ? (short) (Float.floatToRawIntBits(v[i]) >>> 16) // truncation is fine: both files hold the same values
                        : Float.floatToFloat16(v[i]);
                seg.setAtIndex(i16, i, bits);
            }
            Tensor h = new Tensor(name, dtype, t.shape(), seg);
            half.put(name, h);
            rounded.put(name, Tensor.ofFloats(name, t.shape(), h.toFloatArray()));
        });
        Entry[][] pass = {{Entry.cls(4, CAP), Entry.token(77, 0, CAP)}};
        float[] a;
        float[] b;
        try (GptSession s = BACKEND.openModel(Fixtures.model(c, half), Fixtures.cpu())) {
            s.reset(1, CAP);
            a = s.forward(batch(pass));
        }
        try (GptSession s = BACKEND.openModel(Fixtures.model(c, rounded), Fixtures.cpu())) {
            s.reset(1, CAP);
            b = s.forward(batch(pass));
        }
        assertArrayEquals(b, a);
    }

    /** The RoPE table: row 0 (class) is zeros; row 1 + k rotates pair m by y·θ_m in the first half, x·θ in the second. */
    @ParameterizedTest(name = "grid={0}")
    @ValueSource(ints = {4, 16})
    void ropeTableMatchesOfficialLayout(int grid) {
        int hd = 64;
        float[] table = TorchTensors.toFloats(io.tessera.torch.nn.LlamaGenModule.freqsCis2d(grid, hd, 10000f));
        assertEquals((1 + grid * grid) * hd, table.length);
        for (int i = 0; i < hd; i++) {
            assertEquals(0f, table[i], "class row");
        }
        int cell = grid + 3; // y = 1, x = 3
        for (int m = 0; m < hd / 2; m++) {
            int j = m < hd / 4 ? m : m - hd / 4;
            double angle = (m < hd / 4 ? 1 : 3) / Math.pow(10000, 2.0 * j / (hd / 2.0));
            int at = ((1 + cell) * (hd / 2) + m) * 2;
            assertEquals(Math.cos(angle), table[at], 2e-6, "cos pair " + m);
            assertEquals(Math.sin(angle), table[at + 1], 2e-6, "sin pair " + m);
        }
    }
}
