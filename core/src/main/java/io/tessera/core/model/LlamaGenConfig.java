package io.tessera.core.model;

import io.tessera.core.ConfigException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The LlamaGen GPT ({@code autoregressive/models/gpt.py ModelArgs}) for class-conditional (c2i)
 * generation. Field names follow the official {@code ModelArgs}; {@code grid} is the token grid side
 * (image size / tokenizer downsample), so {@code block_size = grid²}.
 *
 * @param dim             model width
 * @param nLayer          transformer blocks
 * @param nHead           query heads
 * @param nKvHead         key/value heads (equal to nHead for plain multi-head attention)
 * @param multipleOf      FFN hidden size is rounded up to a multiple of this
 * @param ffnDimMultiplier optional FFN multiplier (NaN when absent, as in every released model)
 * @param normEps         RMSNorm epsilon
 * @param ropeBase        RoPE base
 * @param vocabSize       image-token vocabulary (codebook size)
 * @param numClasses      classes; the class table has numClasses + 1 rows when classDropoutProb &gt; 0
 * @param clsTokenNum     class tokens (1 for c2i)
 * @param classDropoutProb class dropout used in training (&gt; 0 adds the null-class row)
 * @param grid            token grid side
 */
public record LlamaGenConfig(int dim, int nLayer, int nHead, int nKvHead, int multipleOf, float ffnDimMultiplier,
                             float normEps, float ropeBase, int vocabSize, int numClasses, int clsTokenNum,
                             float classDropoutProb, int grid) {

    /** Named presets of gpt.py (c2i): name → (n_layer, n_head, dim). */
    private static final Map<String, int[]> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("gpt-b", new int[] {12, 12, 768});
        PRESETS.put("gpt-l", new int[] {24, 16, 1024});
        PRESETS.put("gpt-xl", new int[] {36, 20, 1280});
        PRESETS.put("gpt-xxl", new int[] {48, 24, 1536});
        PRESETS.put("gpt-3b", new int[] {24, 32, 3200});
    }

    public LlamaGenConfig {
        require(dim > 0, "dim", dim);
        require(nLayer > 0, "n_layer", nLayer);
        require(nHead > 0 && dim % nHead == 0, "n_head", nHead);
        require(nKvHead > 0 && nHead % nKvHead == 0, "n_kv_head", nKvHead);
        require((dim / nHead) % 4 == 0, "n_head (head_dim must be a multiple of 4 for 2-D RoPE)", nHead);
        require(multipleOf > 0, "multiple_of", multipleOf);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(numClasses > 0, "num_classes", numClasses);
        require(clsTokenNum == 1, "cls_token_num (only 1 is supported for c2i)", clsTokenNum);
        require(grid > 0, "grid", grid);
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new ConfigException("model." + field + ": invalid value " + value);
        }
    }

    /** The official defaults of ModelArgs with the given shape. */
    public static LlamaGenConfig of(int dim, int nLayer, int nHead, int grid) {
        return new LlamaGenConfig(dim, nLayer, nHead, nHead, 256, Float.NaN, 1e-5f, 10000f, 16384, 1000, 1, 0.1f, grid);
    }

    /** A named preset ({@code gpt-b}, {@code gpt-l}, ...; case-insensitive, {@code GPT-B} works). */
    public static LlamaGenConfig preset(String name, int grid) {
        int[] p = PRESETS.get(name.toLowerCase(java.util.Locale.ROOT));
        if (p == null) {
            throw new ConfigException("model.preset: unknown preset '" + name + "' (valid: " + String.join(", ", PRESETS.keySet()) + ")");
        }
        return of(p[2], p[0], p[1], grid);
    }

    public static java.util.Set<String> presetNames() {
        return PRESETS.keySet();
    }

    public int headDim() {
        return dim / nHead;
    }

    /** FFN hidden size: find_multiple(int(2 * 4 * dim / 3) [* ffn_dim_multiplier], multiple_of). */
    public int ffnHidden() {
        int hidden = (int) (2 * (4 * dim) / 3.0);
        if (!Float.isNaN(ffnDimMultiplier)) {
            hidden = (int) (ffnDimMultiplier * hidden);
        }
        return ((hidden + multipleOf - 1) / multipleOf) * multipleOf;
    }

    /** Rows of the class-embedding table: numClasses + 1 when a null class exists for CFG. */
    public int classTableRows() {
        return classDropoutProb > 0 ? numClasses + 1 : numClasses;
    }

    /** Class id that selects the unconditional (null) embedding. */
    public int nullClass() {
        return numClasses;
    }

    public int blockSize() {
        return grid * grid;
    }
}
