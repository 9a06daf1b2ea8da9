package io.tessera.core.model;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Recognises the family and preset of a checkpoint from its tensor names and shapes (for {@code tessera inspect}). */
public final class Detector {
    private static final Pattern LAYER = Pattern.compile("^layers\\.(\\d+)\\.");
    private static final Pattern LEVEL = Pattern.compile("^decoder\\.conv_blocks\\.(\\d+)\\.");

    private Detector() {
    }

    /** What was recognised: family ("unknown" if nothing), preset (or "custom"), and the inferred fields. */
    public record Detection(String family, String preset, Map<String, Object> fields) {
    }

    public static Detection detect(Checkpoint c) {
        if (c.has("tok_embeddings.weight") && c.has("layers.0.attention.wqkv.weight")) {
            return llamaGen(c);
        }
        if (c.has("quantize.embedding.weight") && c.has("decoder.conv_in.weight")) {
            return vq(c);
        }
        return new Detection("unknown", "-", Map.of());
    }

    private static Detection llamaGen(Checkpoint c) {
        Map<String, Object> f = new LinkedHashMap<>();
        Tensor tok = c.get("tok_embeddings.weight");
        int dim = (int) tok.dim(1);
        int layers = maxIndex(c, LAYER) + 1;
        f.put("dim", dim);
        f.put("n_layer", layers);
        f.put("vocab_size", tok.dim(0));
        if (c.has("cls_embedding.embedding_table.weight")) {
            long rows = c.get("cls_embedding.embedding_table.weight").dim(0);
            f.put("num_classes", rows - 1);
            f.put("class_table_rows", rows);
        }
        if (c.has("layers.0.feed_forward.w1.weight")) {
            f.put("ffn_hidden", c.get("layers.0.feed_forward.w1.weight").dim(0));
        }
        String preset = "custom";
        for (String name : LlamaGenConfig.presetNames()) {
            LlamaGenConfig p = LlamaGenConfig.preset(name, 16);
            if (p.dim() == dim && p.nLayer() == layers) {
                preset = name;
                f.put("n_head", p.nHead());
            }
        }
        long qkvRows = c.get("layers.0.attention.wqkv.weight").dim(0);
        if (qkvRows != 3L * dim) {
            f.put("wqkv_rows", qkvRows + " (grouped-query attention: n_kv_head < n_head)");
        }
        return new Detection("llamagen", preset, f);
    }

    private static Detection vq(Checkpoint c) {
        Map<String, Object> f = new LinkedHashMap<>();
        Tensor cb = c.get("quantize.embedding.weight");
        f.put("codebook_size", cb.dim(0));
        f.put("codebook_embed_dim", cb.dim(1));
        if (c.has("post_quant_conv.weight")) {
            f.put("z_channels", c.get("post_quant_conv.weight").dim(0));
        }
        int levels = maxIndex(c, LEVEL) + 1;
        int[] mult = new int[levels];
        int ch = 0;
        for (int li = 0; li < levels; li++) {
            String name = "decoder.conv_blocks." + li + ".res.0.conv1.weight";
            if (c.has(name)) {
                mult[levels - 1 - li] = (int) c.get(name).dim(0);
            }
        }
        if (levels > 0) {
            ch = Arrays.stream(mult).min().orElse(0);
            for (int i = 0; i < levels; i++) {
                mult[i] = ch == 0 ? 0 : mult[i] / ch;
            }
            // ch is the smallest width only if mult[0] is 1, as in every LlamaGen config
        }
        f.put("ch", ch);
        f.put("decoder_ch_mult", Arrays.toString(mult));
        int res = 0;
        while (c.has("decoder.conv_blocks.0.res." + res + ".conv1.weight")) {
            res++;
        }
        f.put("num_res_blocks", res - 1);
        String preset = "custom";
        for (String name : VqConfig.presetNames()) {
            VqConfig p = VqConfig.preset(name);
            if (Arrays.equals(p.decoderChMult(), mult) && p.ch() == ch && p.codebookSize() == cb.dim(0)
                    && p.numResBlocks() == res - 1) {
                preset = name;
            }
        }
        f.put("has_encoder", c.has("encoder.conv_in.weight"));
        return new Detection("llamagen-vq", preset, f);
    }

    private static int maxIndex(Checkpoint c, Pattern p) {
        int max = -1;
        for (String n : c.tensors().keySet()) {
            Matcher m = p.matcher(n);
            if (m.find()) {
                max = Math.max(max, Integer.parseInt(m.group(1)));
            }
        }
        return max;
    }
}
