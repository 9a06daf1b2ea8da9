package io.tessera.core.contract;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.model.ParConfig;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.ParWeights;
import io.tessera.core.model.RandarConfig;
import io.tessera.core.model.RandarModel;
import io.tessera.core.model.RandarWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.model.RandomWeights;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The models of the contract suite and the golden files: small configs, weights from
 * {@link RandomWeights} for a fixed seed, optionally converted to BF16. Models are immutable and built
 * once per JVM (the GPT-B-shaped one takes a second to generate).
 */
public final class ContractModels {
    /** Weight seed of every GPT model of the suite and of the golden files. */
    public static final long GPT_SEED = 1;
    /** Weight seed of every VQ decoder of the suite and of the golden files. */
    public static final long VQ_SEED = 2;

    private static final Map<String, Object> CACHE = new HashMap<>();
    private static final ValueLayout.OfShort BF16_LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ContractModels() {
    }

    /** dim 64, 2 layers, 4 heads of 16, 4×4 grid, official defaults otherwise (vocab 16384, 1000 classes). */
    public static LlamaGenConfig tiny() {
        return LlamaGenConfig.of(64, 2, 4, 4);
    }

    /** Grouped-query attention: 8 query heads of dim 8 sharing 2 key/value heads (4 query heads each). */
    public static LlamaGenConfig groupedQuery() {
        return new LlamaGenConfig(64, 2, 8, 2, 256, Float.NaN, 1e-5f, 10000f, 1024, 10, 1, 0.1f, 4);
    }

    /**
     * A head count that is not a power of two (6 heads of dim 20): each axis of the 2-D RoPE gets an odd
     * number (5) of pairs, as GPT-3B's head_dim 100 gives 25.
     */
    public static LlamaGenConfig sixHeadsOfDim20() {
        return new LlamaGenConfig(120, 2, 6, 6, 256, Float.NaN, 1e-5f, 10000f, 1024, 10, 1, 0.1f, 4);
    }

    /** GPT-B's width and heads (dim 768, 12 heads of 64, FFN 2048, 16×16 grid) with 2 layers and vocab 1024. */
    public static LlamaGenConfig gptBShaped() {
        return new LlamaGenConfig(768, 2, 12, 12, 256, Float.NaN, 1e-5f, 10000f, 1024, 1000, 1, 0.1f, 16);
    }

    /** The greedy-generation model: as {@link #tiny()} with vocab 512 and 10 classes (wider top-1 gaps). */
    public static LlamaGenConfig greedy() {
        return new LlamaGenConfig(64, 2, 4, 4, 256, Float.NaN, 1e-5f, 10000f, 512, 10, 1, 0.1f, 4);
    }

    /** PAR-4× on a 4×4 grid: dim 64, 2 layers, 4 heads of 16, vocab {@code vocab}, 10 classes (7 passes). */
    public static ParConfig parTiny(int vocab) {
        return new ParConfig(new LlamaGenConfig(64, 2, 4, 4, 256, Float.NaN, 1e-5f, 10000f, vocab, 10, 1, 0.1f, 4), 4);
    }

    /** LPD on a 4×4 grid: dim 64, 2 blocks, 4 heads of 16, MLP 256, vocab {@code vocab}, 10 classes, eps 1e-6. */
    public static LpdConfig lpdTiny(int vocab) {
        return new LpdConfig(64, 2, 4, 4.0, vocab, 10, 1e-6f, 4);
    }

    /** The suite's PAR model: the LlamaGen tensors as {@link #llamaGen} makes them, plus the transition tokens. */
    public static synchronized ParModel par(ParConfig c, long seed, DType dtype) {
        String key = "par " + c + " " + seed + " " + dtype;
        if (CACHE.get(key) instanceof ParModel m) {
            return m;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        RandomWeights.par(c, seed).forEach((name, t) -> tensors.put(name, isBlockProjection(name) ? unitGain(t) : t));
        ParModel m = new ParModel(c, new ParWeights(c, new MemoryCheckpoint("contract-par-seed" + seed + "-" + dtype, convert(tensors, dtype))));
        CACHE.put(key, m);
        return m;
    }

    /** RandAR on a 4×4 grid: dim 64, 2 layers, 4 heads of 16, vocab {@code vocab}, 10 classes (cache 33 slots). */
    public static RandarConfig randarTiny(int vocab) {
        return new RandarConfig(new LlamaGenConfig(64, 2, 4, 4, 256, Float.NaN, 1e-5f, 10000f, vocab, 10, 1, 0.1f, 4));
    }

    /** The suite's RandAR model: the LlamaGen tensors as {@link #llamaGen} makes them, plus the instruction vector. */
    public static synchronized RandarModel randar(RandarConfig c, long seed, DType dtype) {
        String key = "randar " + c + " " + seed + " " + dtype;
        if (CACHE.get(key) instanceof RandarModel m) {
            return m;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        RandomWeights.randar(c, seed).forEach((name, t) -> tensors.put(name, isBlockProjection(name) ? unitGain(t) : t));
        RandarModel m = new RandarModel(c, new RandarWeights(c, new MemoryCheckpoint("contract-randar-seed" + seed + "-" + dtype,
                convert(tensors, dtype))));
        CACHE.put(key, m);
        return m;
    }

    /**
     * The suite's LPD model: {@code RandomWeights.lpd(c, seed)} (unit-gain projections) with fc1 ×2 and fc2 ×4, so that
     * GELU inputs spread over [−4, 4] and the MLP dominates the residual stream: a tanh-approximated GELU then moves the
     * logits well beyond the tolerance (with unit gain only, by 1.2e-4); stored as {@code dtype}.
     */
    public static synchronized LpdModel lpd(LpdConfig c, long seed, DType dtype) {
        String key = "lpd " + c + " " + seed + " " + dtype;
        if (CACHE.get(key) instanceof LpdModel m) {
            return m;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        RandomWeights.lpd(c, seed).forEach((name, t) -> tensors.put(name,
                name.endsWith("mlp.fc1.weight") ? scaled(t, 2) : name.endsWith("mlp.fc2.weight") ? scaled(t, 4) : t));
        LpdModel m = new LpdModel(c, new LpdWeights(c, new MemoryCheckpoint("contract-lpd-seed" + seed + "-" + dtype,
                convert(tensors, dtype))));
        CACHE.put(key, m);
        return m;
    }

    /** The VQ decoder of the golden files: 64 codes of dim 8, z 32, ch 32, ch_mult [1, 2], 2 blocks per level. */
    public static VqConfig tinyVq() {
        return new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 1, 3);
    }

    /** {@link #tinyVq()} without codebook L2 normalisation and with three levels (×4). */
    public static VqConfig tinyVqNoL2ThreeLevels() {
        return new VqConfig(64, 8, false, 32, 32, new int[] {1, 1, 2}, 1, 3);
    }

    /**
     * The suite's GPT {@code c}: {@code RandomWeights.llamaGen(c, seed)} with every block projection (wqkv, wo,
     * w1, w3, w2) rescaled from N(0, 0.02²) to N(0, 1/fan_in), stored as {@code dtype} (F32 or BF16).
     *
     * <p>Why: with LlamaGen's 0.02 initialisation the attention scores of a small model are ≈ 0.03, attention is
     * almost uniform and the block outputs are ≈ 2 % of the residual stream, so a backend with the RoPE axes
     * swapped is off by only 2e-4 relative. Unit-gain projections give O(1) scores and block outputs, so
     * positions, masks, holes and the FFN all move the logits well beyond the tolerance (see
     * {@code ContractSuiteCatchesMutantsTest}).
     */
    public static synchronized LlamaGenModel llamaGen(LlamaGenConfig c, long seed, DType dtype) {
        String key = "gpt " + c + " " + seed + " " + dtype;
        Object cached = CACHE.get(key);
        if (cached instanceof LlamaGenModel m) {
            return m;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        RandomWeights.llamaGen(c, seed).forEach((name, t) -> tensors.put(name, isBlockProjection(name) ? unitGain(t) : t));
        LlamaGenModel m = model(c, convert(tensors, dtype), "contract-gpt-seed" + seed + "-" + dtype);
        CACHE.put(key, m);
        return m;
    }

    /** The GPT {@code c} with exactly {@code RandomWeights.llamaGen(c, seed)} as F32 (the golden files' model). */
    public static synchronized LlamaGenModel llamaGenAsGenerated(LlamaGenConfig c, long seed) {
        String key = "gpt-as-generated " + c + " " + seed;
        Object cached = CACHE.get(key);
        if (cached instanceof LlamaGenModel m) {
            return m;
        }
        LlamaGenModel m = model(c, RandomWeights.llamaGen(c, seed), "random-gpt-seed" + seed);
        CACHE.put(key, m);
        return m;
    }

    private static LlamaGenModel model(LlamaGenConfig c, Map<String, Tensor> tensors, String label) {
        return new LlamaGenModel(c, new LlamaGenWeights(c, new MemoryCheckpoint(label, tensors)));
    }

    private static boolean isBlockProjection(String name) {
        return name.endsWith("attention.wqkv.weight") || name.endsWith("attention.wo.weight")
                || name.endsWith("feed_forward.w1.weight") || name.endsWith("feed_forward.w3.weight")
                || name.endsWith("feed_forward.w2.weight");
    }

    private static Tensor scaled(Tensor t, double factor) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] * factor);
        }
        return Tensor.ofFloats(t.name(), t.shape(), v);
    }

    /** {@code t} [out, in] drawn with std 0.02, rescaled to std 1/√in. */
    private static Tensor unitGain(Tensor t) {
        float[] v = t.toFloatArray();
        double gain = 1.0 / (0.02 * Math.sqrt(t.dim(1)));
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] * gain);
        }
        return Tensor.ofFloats(t.name(), t.shape(), v);
    }

    /** The VQ decoder {@code c} with {@code RandomWeights.vq(c, seed)}, stored as F32. */
    public static synchronized VqWeights vq(VqConfig c, long seed) {
        String key = "vq " + c + " " + seed;
        Object cached = CACHE.get(key);
        if (cached instanceof VqWeights w) {
            return w;
        }
        VqWeights w = new VqWeights(c, new MemoryCheckpoint("random-vq-seed" + seed, RandomWeights.vq(c, seed)));
        CACHE.put(key, w);
        return w;
    }

    private static Map<String, Tensor> convert(Map<String, Tensor> tensors, DType dtype) {
        if (dtype == DType.F32) {
            return tensors;
        }
        if (dtype != DType.BF16) {
            throw new IllegalArgumentException("contract models are F32 or BF16, not " + dtype);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, toBf16(t)));
        return out;
    }

    /** A BF16 copy of a float tensor over a heap segment, rounding each value to nearest even. */
    public static Tensor toBf16(Tensor t) {
        int n = Math.toIntExact(t.numel());
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * n]);
        for (int i = 0; i < n; i++) {
            seg.setAtIndex(BF16_LAYOUT, i, bf16Bits(t.getFloat(i)));
        }
        return new Tensor(t.name(), DType.BF16, t.shape(), seg);
    }

    /** The BF16 bits of {@code f}, rounded to nearest, ties to even (NaN stays NaN). */
    public static short bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) 0x7fc0;
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
