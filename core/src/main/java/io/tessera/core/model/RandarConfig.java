package io.tessera.core.model;

import io.tessera.core.ConfigException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * RandAR (ziqipang/RandAR {@code RandAR/model/randar_gpt.py RandARTransformer}): the LlamaGen GPT plus one
 * learned position-instruction vector {@code pos_instruct_embeddings} [1, dim], trained on random
 * orders. The constructor fields the weights depend on are exactly LlamaGen's ({@code dim}, {@code n_layer},
 * {@code n_head}, {@code n_kv_head}, {@code multiple_of}, {@code ffn_dim_multiplier}, {@code norm_eps},
 * {@code rope_base}, {@code vocab_size}, {@code num_classes}, {@code class_dropout_prob}, {@code cls_token_num},
 * {@code block_size} = grid²); the sampling fields ({@code num_inference_steps}, {@code position_order}) belong
 * to the order ({@code order: {name: random, schedule: cosine, steps: 88}} is the official sampler).
 *
 * <p>Presets, the published checkpoints (both with the LlamaGen VQ-16 tokenizer, 16×16 tokens at 256 px):
 * {@code randar-l} (0.3B, {@code configs/randar/randar_l_0.3b_llamagen.yaml}: 24 layers, 16 heads, dim 1024)
 * and {@code randar-xl} (0.7B, {@code randar_xl_0.7b_llamagen.yaml}: 36 layers, 20 heads, dim 1280).
 *
 * @param gpt the backbone, exactly a LlamaGen config ({@code grid} = token grid side)
 */
public record RandarConfig(LlamaGenConfig gpt) {
    /** Official block_size 256: 16×16 tokens. */
    public static final int DEFAULT_GRID = 16;

    private static final Map<String, String> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("randar-l", "gpt-l");
        SHAPES.put("randar-xl", "gpt-xl");
    }

    public RandarConfig {
        if (gpt == null) {
            throw new ConfigException("model: a RandAR config needs its GPT fields");
        }
    }

    /** The named preset ({@code randar-l}, {@code RandAR-XL}) on a grid of side {@code grid}. */
    public static RandarConfig preset(String name, int grid) {
        String shape = SHAPES.get(name.toLowerCase(Locale.ROOT));
        if (shape == null) {
            throw new ConfigException("model.preset: unknown RandAR preset '" + name + "' (valid: "
                    + String.join(", ", presetNames()) + ")");
        }
        return new RandarConfig(LlamaGenConfig.preset(shape, grid));
    }

    public static Set<String> presetNames() {
        return SHAPES.keySet();
    }

    /** The preset this config equals ({@code randar-xl}), else "custom". */
    public String presetName() {
        for (Map.Entry<String, String> e : SHAPES.entrySet()) {
            if (LlamaGenConfig.preset(e.getValue(), gpt.grid()).equals(gpt)) {
                return e.getKey();
            }
        }
        return "custom";
    }

    /**
     * Cache slots of one generation in the official layout [cls, p₀, x₀, p₁, x₁, …]: slot 0 = class,
     * slot 1 + 2i = the position instruction of the i-th generated token, slot 2 + 2i = that token.
     */
    public int cacheSlots() {
        return 1 + 2 * gpt.blockSize();
    }
}
