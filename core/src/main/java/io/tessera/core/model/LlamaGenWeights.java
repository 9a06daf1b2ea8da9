package io.tessera.core.model;

import io.tessera.core.CheckpointException;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The LlamaGen GPT state-dict name map, resolved and shape-checked against a config. Every backend
 * reads weights through this class; names are built only here.
 */
public final class LlamaGenWeights {
    /** Names of the runtime buffers a GPT checkpoint may carry (see {@link #runtimeBuffers}). */
    private static final java.util.regex.Pattern RUNTIME_BUFFER =
            java.util.regex.Pattern.compile("freqs_cis|causal_mask|layers\\.(0|[1-9][0-9]{0,5})\\.attention\\.kv_cache\\.[kv]_cache");

    /** One transformer block. */
    public record Layer(
            Tensor attentionNorm, // [dim]
            Tensor wqkv,          // [(n_head + 2·n_kv_head)·head_dim, dim]
            Tensor wo,            // [dim, dim]
            Tensor ffnNorm,       // [dim]
            Tensor w1,            // [hidden, dim]  gate
            Tensor w3,            // [hidden, dim]  up
            Tensor w2) {          // [dim, hidden]  down
    }

    private final LlamaGenConfig config;
    private final Tensor clsEmbedding;   // [num_classes (+1 null), dim]
    private final Tensor tokEmbeddings;  // [vocab, dim]
    private final List<Layer> layers;
    private final Tensor norm;           // [dim]
    private final Tensor output;         // [vocab, dim]

    public static String layerName(int i, String suffix) {
        return "layers." + i + "." + suffix;
    }

    /** Resolves every tensor of {@code c} in {@code ckpt}; fails on a missing, unexpected or wrong-shaped one. */
    public LlamaGenWeights(LlamaGenConfig c, Checkpoint ckpt) {
        this(c, (name, shape) -> ckpt.get(name).requireWeight(ckpt.path().toString(), shape));
        rejectUnexpected(ckpt, layout(c).keySet(), runtimeBuffers(c.nLayer()));
    }

    /**
     * The runtime buffers of the official GPT (LlamaGen, PAR, RandAR) that a checkpoint saved after
     * sampling carries: {@code layers.<i>.attention.kv_cache.k_cache}/{@code v_cache} (KVCache, i &lt;
     * n_layer), {@code causal_mask} and {@code freqs_cis} (setup_caches). The official loaders accept them
     * ({@code load_state_dict(strict=False)}); Tessera accepts and ignores exactly these, and
     * {@code tessera inspect} marks them. Any other unknown tensor is still refused.
     */
    public static Set<String> runtimeBuffers(int nLayer) {
        Set<String> s = new java.util.LinkedHashSet<>(List.of("freqs_cis", "causal_mask"));
        for (int i = 0; i < nLayer; i++) {
            s.add(layerName(i, "attention.kv_cache.k_cache"));
            s.add(layerName(i, "attention.kv_cache.v_cache"));
        }
        return s;
    }

    /** True when {@code name} is spelled as a GPT runtime buffer (for any layer count; see {@link #runtimeBuffers}). */
    public static boolean isRuntimeBufferName(String name) {
        return RUNTIME_BUFFER.matcher(name).matches();
    }

    /** Every tensor name of the official GPT module for {@code c} with its shape, in module order. */
    public static Map<String, long[]> layout(LlamaGenConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        new LlamaGenWeights(c, (name, shape) -> {
            out.put(name, shape);
            return null;
        });
        return out;
    }

    /** Resolves every tensor through {@code t} (name, expected shape) → tensor; for families built on this GPT. */
    LlamaGenWeights(LlamaGenConfig c, BiFunction<String, long[], Tensor> t) {
        this.config = c;
        long d = c.dim();
        long qkv = (c.nHead() + 2L * c.nKvHead()) * c.headDim();
        long h = c.ffnHidden();
        clsEmbedding = t.apply("cls_embedding.embedding_table.weight", new long[] {c.classTableRows(), d});
        tokEmbeddings = t.apply("tok_embeddings.weight", new long[] {c.vocabSize(), d});
        List<Layer> ls = new ArrayList<>();
        for (int i = 0; i < c.nLayer(); i++) {
            ls.add(new Layer(
                    t.apply(layerName(i, "attention_norm.weight"), new long[] {d}),
                    t.apply(layerName(i, "attention.wqkv.weight"), new long[] {qkv, d}),
                    t.apply(layerName(i, "attention.wo.weight"), new long[] {d, d}),
                    t.apply(layerName(i, "ffn_norm.weight"), new long[] {d}),
                    t.apply(layerName(i, "feed_forward.w1.weight"), new long[] {h, d}),
                    t.apply(layerName(i, "feed_forward.w3.weight"), new long[] {h, d}),
                    t.apply(layerName(i, "feed_forward.w2.weight"), new long[] {d, h})));
        }
        layers = java.util.Collections.unmodifiableList(ls);
        norm = t.apply("norm.weight", new long[] {d});
        output = t.apply("output.weight", new long[] {c.vocabSize(), d});
    }

    /** Fails with one line naming the first tensor of {@code ckpt} that the model does not have. */
    public static void rejectUnexpected(Checkpoint ckpt, Set<String> expected, Set<String> ignored) {
        for (String name : ckpt.tensors().keySet()) {
            if (!expected.contains(name) && !ignored.contains(name)) {
                throw new CheckpointException(ckpt.path() + ": unexpected tensor '" + name + "' (not part of this model; "
                        + "check the family, preset and n_layer)");
            }
        }
    }

    public LlamaGenConfig config() {
        return config;
    }

    public Tensor clsEmbedding() {
        return clsEmbedding;
    }

    public Tensor tokEmbeddings() {
        return tokEmbeddings;
    }

    public List<Layer> layers() {
        return layers;
    }

    public Tensor norm() {
        return norm;
    }

    public Tensor output() {
        return output;
    }
}
