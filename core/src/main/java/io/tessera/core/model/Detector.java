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
    private static final Pattern BLOCK = Pattern.compile("^blocks\\.(\\d+)\\.");
    private static final Pattern LEVEL = Pattern.compile("^decoder\\.conv_blocks\\.(\\d+)\\.");

    private Detector() {
    }

    /** What was recognised: family ("unknown" if nothing), preset (or "custom"), and the inferred fields. */
    public record Detection(String family, String preset, Map<String, Object> fields) {
    }

    public static Detection detect(Checkpoint c) {
        if (c.has("tok_embeddings.weight") && c.has("layers.0.attention.wqkv.weight")) {
            Detection gpt = llamaGen(c);
            if (c.has(RandarWeights.POS_INSTRUCT)) {
                return randar(gpt);
            }
            return c.has(ParWeights.TRANSITION) ? par(c, gpt) : gpt;
        }
        if (c.has("token_emb.weight") && c.has("mask_token") && c.has("blocks.0.attn.qkv.weight")) {
            return lpd(c);
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

    /** PAR = a LlamaGen GPT with n − 1 transition tokens; preset {@code par-<shape>-<n>x}. */
    private static Detection par(Checkpoint c, Detection gpt) {
        Map<String, Object> f = new LinkedHashMap<>(gpt.fields());
        long regions = c.get(ParWeights.TRANSITION).dim(0) + 1;
        f.put("regions", regions);
        String preset = gpt.preset().equals("custom") ? "custom" : "par-" + gpt.preset().substring("gpt-".length()) + "-" + regions + "x";
        if (preset.startsWith("par-b-")) {
            preset = "custom"; // PAR released no GPT-B-shaped model
        }
        return new Detection("par", preset, f);
    }

    /** RandAR = a LlamaGen GPT with the position-instruction vector; preset {@code randar-<shape>} (L and XL published). */
    private static Detection randar(Detection gpt) {
        String preset = switch (gpt.preset()) {
            case "gpt-l" -> "randar-l";
            case "gpt-xl" -> "randar-xl";
            default -> "custom";
        };
        return new Detection("randar", preset, gpt.fields());
    }

    private static Detection lpd(Checkpoint c) {
        Map<String, Object> f = new LinkedHashMap<>();
        Tensor tok = c.get("token_emb.weight");
        int dim = (int) tok.dim(1);
        int depth = maxIndex(c, BLOCK) + 1;
        f.put("decoder_embed_dim", dim);
        f.put("decoder_depth", depth);
        f.put("vqgan_vocab_size", tok.dim(0));
        if (c.has("class_emb.weight")) {
            f.put("class_num", c.get("class_emb.weight").dim(0));
        }
        if (c.has("pos_embed")) {
            long positions = c.get("pos_embed").dim(1);
            long grid = Math.round(Math.sqrt(positions - 1));
            f.put("grid", grid * grid == positions - 1 ? grid + "x" + grid + " (" + grid * 16 + " px with the ds16 tokenizer)" : positions - 1 + " tokens");
        }
        if (c.has("blocks.0.mlp.fc1.weight")) {
            f.put("mlp_hidden", c.get("blocks.0.mlp.fc1.weight").dim(0));
        }
        String preset = "custom";
        for (String name : LpdConfig.presetNames()) {
            LpdConfig p = LpdConfig.preset(name, 16);
            if (p.dim() == dim && p.depth() == depth) {
                preset = name;
                f.put("decoder_num_heads", p.numHeads());
            }
        }
        return new Detection("lpd", preset, f);
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
