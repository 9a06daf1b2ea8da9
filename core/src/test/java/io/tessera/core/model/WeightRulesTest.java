package io.tessera.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.CheckpointException;
import io.tessera.core.NonFiniteException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.RandomWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue #16 families 4 and 6: one dtype rule for every weight, NaN VQ weights refused, runtime buffers accepted exactly. */
class WeightRulesTest {
    private static final LlamaGenConfig GPT = LlamaGenConfig.of(32, 2, 2, 4);
    private static final VqConfig VQ = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 1, 3);

    private static MemoryCheckpoint ckpt(Map<String, Tensor> tensors) {
        return new MemoryCheckpoint(Path.of("w.pt"), tensors, Map.of());
    }

    /** {@code like} re-typed as {@code dtype} (integer values 1). */
    private static Tensor retyped(Tensor like, DType dtype) {
        long n = like.numel();
        MemorySegment seg = Arena.ofAuto().allocate(n * dtype.byteSize());
        for (long i = 0; i < n; i++) {
            if (dtype.byteSize() == 8) {
                seg.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, 1L);
            } else if (dtype.byteSize() == 4) {
                seg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, 1);
            } else {
                seg.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
            }
        }
        return new Tensor(like.name(), dtype, like.shape(), seg);
    }

    @Test
    void nonFloatingWeightsAreRefusedEverywhereNeverCast() {
        for (String name : new String[] {"norm.weight", "tok_embeddings.weight", "layers.1.attention.wqkv.weight"}) {
            for (DType dt : new DType[] {DType.I64, DType.I32, DType.BOOL, DType.U8, DType.F64}) {
                Map<String, Tensor> w = new LinkedHashMap<>(RandomWeights.llamaGen(GPT, 0));
                w.put(name, retyped(w.get(name), dt));
                CheckpointException e = assertThrows(CheckpointException.class, () -> new LlamaGenWeights(GPT, ckpt(w)));
                assertEquals("w.pt: tensor '" + name + "' has dtype " + dt + ", but weights must be F32, F16 or BF16"
                        + " (convert the checkpoint's floating tensors; integer tensors are never cast)", e.getMessage());
            }
        }
        Map<String, Tensor> vq = new LinkedHashMap<>(RandomWeights.vq(VQ, 0));
        vq.put("decoder.conv_out.bias", retyped(vq.get("decoder.conv_out.bias"), DType.I32));
        assertTrue(assertThrows(CheckpointException.class, () -> new VqWeights(VQ, ckpt(vq))).getMessage()
                .contains("tensor 'decoder.conv_out.bias' has dtype I32"));
    }

    @Test
    void nanOrInfiniteVqWeightsAreRefusedByName() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Map<String, Tensor> vq = new LinkedHashMap<>(RandomWeights.vq(VQ, 0));
            Tensor t = vq.get("decoder.conv_in.weight");
            float[] v = t.toFloatArray();
            v[7] = bad;
            vq.put(t.name(), Tensor.ofFloats(t.name(), t.shape(), v));
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> new VqWeights(VQ, ckpt(vq)));
            assertTrue(e.getMessage().startsWith("w.pt: tensor 'decoder.conv_in.weight' holds " + bad + " at element 7 of "),
                    e.getMessage());
        }
        new VqWeights(VQ, ckpt(RandomWeights.vq(VQ, 0))); // finite weights load
    }

    @Test
    void runtimeBuffersAreAcceptedExactly() {
        Map<String, Tensor> w = new LinkedHashMap<>(RandomWeights.llamaGen(GPT, 0));
        for (int i = 0; i < GPT.nLayer(); i++) {
            w.put("layers." + i + ".attention.kv_cache.k_cache", Tensor.ofFloats("k", new long[] {1, 2, 20, 16}, new float[640]));
            w.put("layers." + i + ".attention.kv_cache.v_cache", Tensor.ofFloats("v", new long[] {1, 2, 20, 16}, new float[640]));
        }
        w.put("causal_mask", Tensor.ofFloats("causal_mask", new long[] {1, 4, 4}, new float[16]));
        w.put("freqs_cis", Tensor.ofFloats("freqs_cis", new long[] {17, 8, 2}, new float[272]));
        LlamaGenWeights ok = new LlamaGenWeights(GPT, ckpt(w));
        assertEquals(GPT.nLayer(), ok.layers().size());

        for (String unknown : new String[] {"layers.2.attention.kv_cache.k_cache", "layers.0.attention.kv_cache.q_cache",
                "kv_cache.k_cache", "layers.0.attention.k_cache", "freqs_cis.extra"}) {
            Map<String, Tensor> bad = new LinkedHashMap<>(w);
            bad.put(unknown, Tensor.ofFloats(unknown, new long[] {1}, new float[1]));
            assertTrue(assertThrows(CheckpointException.class, () -> new LlamaGenWeights(GPT, ckpt(bad))).getMessage()
                    .contains("unexpected tensor '" + unknown + "'"), unknown);
        }
        assertTrue(LlamaGenWeights.isRuntimeBufferName("layers.31.attention.kv_cache.v_cache"));
        assertFalse(LlamaGenWeights.isRuntimeBufferName("layers.01.attention.kv_cache.v_cache"));
        assertFalse(LlamaGenWeights.isRuntimeBufferName("layers.0.attention.wqkv.weight"));
    }
}
