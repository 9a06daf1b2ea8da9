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
    /** Keys the official scripts drop before loading. */
    private static final Set<String> IGNORED = Set.of("freqs_cis");

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
        this(c, (name, shape) -> ckpt.get(name).requireShape(ckpt.path().toString(), shape));
        rejectUnexpected(ckpt, layout(c).keySet(), IGNORED);
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
