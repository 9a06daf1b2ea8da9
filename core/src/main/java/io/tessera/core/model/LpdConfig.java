package io.tessera.core.model;

import io.tessera.core.ConfigException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LPD's ViT decoder (mit-han-lab/lpd {@code models/lpd.py LPD}, {@code models/block.py Block}): pre-norm
 * blocks with LayerNorm (eps 1e-6, {@code partial(nn.LayerNorm, eps=1e-6)}), fused qkv with bias, output
 * projection with bias, timm {@code Mlp} (fc1 → exact erf GELU → fc2, biases), no RoPE: a learned
 * absolute position table {@code pos_embed} [N + 1, dim] added at embedding time and followed by
 * {@code z_proj_ln}. Field names follow the official constructor.
 *
 * <p>Presets: {@code lpd-l} 1024/24/16, {@code lpd-xl} 1280/36/20, {@code lpd-xxl} 1536/48/24
 * (width/layers/heads; lpd.py {@code lpd_l}, {@code lpd_xl}, {@code lpd_xxl}).
 *
 * @param dim        {@code decoder_embed_dim}
 * @param depth      {@code decoder_depth}
 * @param numHeads   {@code decoder_num_heads}
 * @param mlpRatio   {@code mlp_ratio}: MLP hidden = int(dim · mlp_ratio)
 * @param vocabSize  {@code vqgan_vocab_size}
 * @param numClasses {@code class_num} (class table rows; the null class is the separate {@code fake_latent})
 * @param normEps    LayerNorm epsilon of every norm (blocks, final norm, z_proj_ln)
 * @param grid       token grid side ({@code img_size / vqgan_stride}: 16 at 256 px, 32 at 512 px)
 */
public record LpdConfig(int dim, int depth, int numHeads, double mlpRatio, int vocabSize, int numClasses, float normEps,
                        int grid) {
    private static final Map<String, int[]> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("lpd-l", new int[] {1024, 24, 16});
        PRESETS.put("lpd-xl", new int[] {1280, 36, 20});
        PRESETS.put("lpd-xxl", new int[] {1536, 48, 24});
    }

    public LpdConfig {
        require(dim > 0, "decoder_embed_dim", dim);
        require(depth > 0, "decoder_depth", depth);
        require(numHeads > 0 && dim % numHeads == 0, "decoder_num_heads", numHeads);
        require(mlpRatio > 0 && (int) (dim * mlpRatio) > 0, "mlp_ratio", mlpRatio);
        require(vocabSize > 0, "vqgan_vocab_size", vocabSize);
        require(numClasses > 0, "class_num", numClasses);
        require(normEps > 0, "norm_eps", normEps);
        require(grid > 0, "grid", grid);
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new ConfigException("model." + field + ": invalid value " + value);
        }
    }

    /** The official defaults (mlp_ratio 4, vocab 16384, 1000 classes, eps 1e-6) with the given shape. */
    public static LpdConfig of(int dim, int depth, int numHeads, int grid) {
        return new LpdConfig(dim, depth, numHeads, 4.0, 16384, 1000, 1e-6f, grid);
    }

    /** A named preset ({@code lpd-l}, {@code LPD-XL}, ...). */
    public static LpdConfig preset(String name, int grid) {
        int[] p = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (p == null) {
            throw new ConfigException("model.preset: unknown LPD preset '" + name + "' (valid: " + String.join(", ", PRESETS.keySet()) + ")");
        }
        return of(p[0], p[1], p[2], grid);
    }

    public static Set<String> presetNames() {
        return PRESETS.keySet();
    }

    public int headDim() {
        return dim / numHeads;
    }

    /** MLP hidden width int(dim · mlp_ratio). */
    public int mlpHidden() {
        return (int) (dim * mlpRatio);
    }

    /** Grid cells N. */
    public int seqLen() {
        return grid * grid;
    }

    /** Class id that selects {@code fake_latent} (the unconditional input) in a forward batch. */
    public int nullClass() {
        return numClasses;
    }
}
