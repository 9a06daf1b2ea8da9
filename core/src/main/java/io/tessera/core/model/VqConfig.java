package io.tessera.core.model;

import io.tessera.core.ConfigException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The LlamaGen VQ tokenizer ({@code tokenizer/tokenizer_image/vq_model.py ModelArgs} + Decoder
 * defaults). Names follow the official code.
 *
 * @param codebookSize     codes
 * @param codebookEmbedDim code vector width
 * @param codebookL2Norm   lookup uses L2-normalised code vectors
 * @param zChannels        latent channels after post_quant_conv
 * @param ch               base channel count of the decoder
 * @param decoderChMult    channel multipliers per resolution (the decoder walks them in reverse)
 * @param numResBlocks     the decoder has numResBlocks + 1 ResNet blocks per level
 * @param outChannels      image channels
 */
public record VqConfig(int codebookSize, int codebookEmbedDim, boolean codebookL2Norm, int zChannels, int ch,
                       int[] decoderChMult, int numResBlocks, int outChannels) {

    private static final Map<String, int[]> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("vq-16", new int[] {1, 1, 2, 2, 4});
        PRESETS.put("vq-8", new int[] {1, 2, 2, 4});
    }

    public VqConfig {
        decoderChMult = decoderChMult.clone();
        if (codebookSize <= 0) throw bad("codebook_size", codebookSize);
        if (codebookEmbedDim <= 0) throw bad("codebook_embed_dim", codebookEmbedDim);
        if (zChannels <= 0) throw bad("z_channels", zChannels);
        if (ch <= 0 || ch % 32 != 0) throw bad("ch (GroupNorm(32) needs a multiple of 32)", ch);
        if (decoderChMult.length == 0) throw bad("decoder_ch_mult", Arrays.toString(decoderChMult));
        if (numResBlocks < 0) throw bad("num_res_blocks", numResBlocks);
        if (outChannels <= 0) throw bad("out_channels", outChannels);
    }

    private static ConfigException bad(String field, Object value) {
        return new ConfigException("tokenizer." + field + ": invalid value " + value);
    }

    public static VqConfig preset(String name) {
        int[] mult = PRESETS.get(name.toLowerCase(java.util.Locale.ROOT));
        if (mult == null) {
            throw new ConfigException("tokenizer.preset: unknown preset '" + name + "' (valid: " + String.join(", ", PRESETS.keySet()) + ")");
        }
        return new VqConfig(16384, 8, true, 256, 128, mult, 2, 3);
    }

    public static java.util.Set<String> presetNames() {
        return PRESETS.keySet();
    }

    @Override
    public int[] decoderChMult() {
        return decoderChMult.clone();
    }

    /** Pixels per token side: 2^(levels − 1). */
    public int downsample() {
        return 1 << (decoderChMult.length - 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VqConfig v && codebookSize == v.codebookSize && codebookEmbedDim == v.codebookEmbedDim
                && codebookL2Norm == v.codebookL2Norm && zChannels == v.zChannels && ch == v.ch
                && Arrays.equals(decoderChMult, v.decoderChMult) && numResBlocks == v.numResBlocks && outChannels == v.outChannels;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(decoderChMult) * 31 + java.util.Objects.hash(codebookSize, codebookEmbedDim, codebookL2Norm, zChannels, ch, numResBlocks, outChannels);
    }

    @Override
    public String toString() {
        return "VqConfig[codebook_size=" + codebookSize + ", codebook_embed_dim=" + codebookEmbedDim + ", l2=" + codebookL2Norm
                + ", z_channels=" + zChannels + ", ch=" + ch + ", decoder_ch_mult=" + Arrays.toString(decoderChMult)
                + ", num_res_blocks=" + numResBlocks + "]";
    }
}
