package io.tessera.core.model;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The LPD state-dict name map (lpd.py {@code LPD.__init__}, block.py {@code Block}, timm {@code Mlp}),
 * resolved and shape-checked against a config. Names are built only here.
 */
public final class LpdWeights {
    /** One ViT block. */
    public record Block(
            Tensor norm1Weight, Tensor norm1Bias, // [dim]
            Tensor qkvWeight,                     // [3·dim, dim]  rows: q | k | v, each head-major
            Tensor qkvBias,                       // [3·dim]
            Tensor projWeight,                    // [dim, dim]
            Tensor projBias,                      // [dim]
            Tensor norm2Weight, Tensor norm2Bias, // [dim]
            Tensor fc1Weight,                     // [hidden, dim]
            Tensor fc1Bias,                       // [hidden]
            Tensor fc2Weight,                     // [dim, hidden]
            Tensor fc2Bias) {                     // [dim]
    }

    private final LpdConfig config;
    private final Tensor classEmb;    // [class_num, dim]
    private final Tensor tokenEmb;    // [vocab, dim]
    private final Tensor fakeLatent;  // [1, dim]        null-class embedding
    private final Tensor posEmbed;    // [1, N + 1, dim] row 0 = class, row 1 + k = cell k
    private final Tensor zProjLnWeight; // [dim]
    private final Tensor zProjLnBias;   // [dim]
    private final Tensor maskToken;   // [1, 1, dim]
    private final List<Block> blocks;
    private final Tensor normWeight;  // [dim]
    private final Tensor normBias;    // [dim]
    private final Tensor head;        // [vocab, dim]  no bias

    public static String blockName(int i, String suffix) {
        return "blocks." + i + "." + suffix;
    }

    /** Resolves every tensor of {@code c} in {@code ckpt}; fails on a missing, unexpected or wrong-shaped one. */
    public LpdWeights(LpdConfig c, Checkpoint ckpt) {
        this(c, (name, shape) -> ckpt.get(name).requireWeight(ckpt.path().toString(), shape));
        LlamaGenWeights.rejectUnexpected(ckpt, layout(c).keySet(), Set.of());
    }

    /** Every tensor name of the official LPD module for {@code c} with its shape, in module order. */
    public static Map<String, long[]> layout(LpdConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        new LpdWeights(c, (name, shape) -> {
            out.put(name, shape);
            return null;
        });
        return out;
    }

    private LpdWeights(LpdConfig c, BiFunction<String, long[], Tensor> t) {
        this.config = c;
        long d = c.dim();
        long h = c.mlpHidden();
        classEmb = t.apply("class_emb.weight", new long[] {c.numClasses(), d});
        tokenEmb = t.apply("token_emb.weight", new long[] {c.vocabSize(), d});
        fakeLatent = t.apply("fake_latent", new long[] {1, d});
        posEmbed = t.apply("pos_embed", new long[] {1, c.seqLen() + 1L, d});
        zProjLnWeight = t.apply("z_proj_ln.weight", new long[] {d});
        zProjLnBias = t.apply("z_proj_ln.bias", new long[] {d});
        maskToken = t.apply("mask_token", new long[] {1, 1, d});
        List<Block> bs = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) {
            bs.add(new Block(
                    t.apply(blockName(i, "norm1.weight"), new long[] {d}),
                    t.apply(blockName(i, "norm1.bias"), new long[] {d}),
                    t.apply(blockName(i, "attn.qkv.weight"), new long[] {3 * d, d}),
                    t.apply(blockName(i, "attn.qkv.bias"), new long[] {3 * d}),
                    t.apply(blockName(i, "attn.proj.weight"), new long[] {d, d}),
                    t.apply(blockName(i, "attn.proj.bias"), new long[] {d}),
                    t.apply(blockName(i, "norm2.weight"), new long[] {d}),
                    t.apply(blockName(i, "norm2.bias"), new long[] {d}),
                    t.apply(blockName(i, "mlp.fc1.weight"), new long[] {h, d}),
                    t.apply(blockName(i, "mlp.fc1.bias"), new long[] {h}),
                    t.apply(blockName(i, "mlp.fc2.weight"), new long[] {d, h}),
                    t.apply(blockName(i, "mlp.fc2.bias"), new long[] {d})));
        }
        blocks = Collections.unmodifiableList(bs);
        normWeight = t.apply("norm.weight", new long[] {d});
        normBias = t.apply("norm.bias", new long[] {d});
        head = t.apply("head.weight", new long[] {c.vocabSize(), d});
    }

    public LpdConfig config() {
        return config;
    }

    public Tensor classEmb() {
        return classEmb;
    }

    public Tensor tokenEmb() {
        return tokenEmb;
    }

    public Tensor fakeLatent() {
        return fakeLatent;
    }

    public Tensor posEmbed() {
        return posEmbed;
    }

    public Tensor zProjLnWeight() {
        return zProjLnWeight;
    }

    public Tensor zProjLnBias() {
        return zProjLnBias;
    }

    public Tensor maskToken() {
        return maskToken;
    }

    public List<Block> blocks() {
        return blocks;
    }

    public Tensor normWeight() {
        return normWeight;
    }

    public Tensor normBias() {
        return normBias;
    }

    public Tensor head() {
        return head;
    }
}
