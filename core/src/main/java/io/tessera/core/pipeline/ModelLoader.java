package io.tessera.core.pipeline;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.model.ParConfig;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.ParWeights;
import io.tessera.core.model.RandarConfig;
import io.tessera.core.model.RandarModel;
import io.tessera.core.model.RandarWeights;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.model.RandomWeights;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongFunction;

/** Reads the pipeline's {@code model:} node into a family config and shape-checked weights. */
public final class ModelLoader {
    public static final List<String> FAMILIES = List.of("llamagen", "par", "lpd", "randar");

    private ModelLoader() {
    }

    /** A loaded model and the checkpoint it maps (close it when done). */
    public record Loaded(ModelSpec spec, Checkpoint checkpoint) {
    }

    public static Loaded load(ConfigNode node, Path baseDir) {
        String family = node.string("family", "llamagen");
        return switch (family) {
            case "llamagen" -> {
                LlamaGenConfig c = llamaGenConfig(node);
                yield open(node, baseDir, seed -> RandomWeights.llamaGen(c, seed), ckpt -> new LlamaGenModel(c, new LlamaGenWeights(c, ckpt)));
            }
            case "par" -> {
                ParConfig c = parConfig(node);
                yield open(node, baseDir, seed -> RandomWeights.par(c, seed), ckpt -> new ParModel(c, new ParWeights(c, ckpt)));
            }
            case "lpd" -> {
                LpdConfig c = lpdConfig(node);
                yield open(node, baseDir, seed -> RandomWeights.lpd(c, seed), ckpt -> new LpdModel(c, new LpdWeights(c, ckpt)));
            }
            case "randar" -> {
                RandarConfig c = randarConfig(node);
                yield open(node, baseDir, seed -> RandomWeights.randar(c, seed), ckpt -> new RandarModel(c, new RandarWeights(c, ckpt)));
            }
            default -> throw node.error("family", "unknown model family '" + family + "' (known: " + String.join(", ", FAMILIES) + ")");
        };
    }

    private static Loaded open(ConfigNode node, Path baseDir, LongFunction<Map<String, io.tessera.core.checkpoint.Tensor>> random,
                               Function<Checkpoint, ModelSpec> model) {
        Checkpoint ckpt = CheckpointRef.open(node, "checkpoint", baseDir, random);
        try {
            ModelSpec m = model.apply(ckpt);
            node.rejectUnknown();
            return new Loaded(m, ckpt);
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    /**
     * PAR: a preset ({@code preset: par-xl-4x}, or {@code par-xl} with {@code regions}) or the explicit
     * LlamaGen fields plus {@code regions} (default 4; the official ar_token_num). {@code grid} defaults to 24.
     */
    public static ParConfig parConfig(ConfigNode n) {
        int regions = n.intIn("regions", ParConfig.DEFAULT_REGIONS, 1, 1 << 20);
        int[] presetRegions = {regions};
        LlamaGenConfig gpt = llamaGenConfig(n, ParConfig.DEFAULT_GRID,
                String.join(", ", ParConfig.presetNames()) + ", optionally with -4x or -16x", "dim, n_layer, n_head, regions, ...", (preset, grid) -> {
            ParConfig p = ParConfig.preset(preset, grid, regions);
            presetRegions[0] = p.regions();
            return p.gpt();
        });
        if (presetRegions[0] != regions && n.has("regions")) {
            throw n.error("regions", regions + " contradicts preset '" + n.string("preset") + "' (" + presetRegions[0] + " regions)");
        }
        return new ParConfig(gpt, presetRegions[0]);
    }

    /**
     * RandAR: a preset ({@code preset: randar-xl}) or the explicit LlamaGen fields as the official
     * {@code RandARTransformer} names them; {@code grid} (√block_size) defaults to 16.
     */
    public static RandarConfig randarConfig(ConfigNode n) {
        return new RandarConfig(llamaGenConfig(n, RandarConfig.DEFAULT_GRID, String.join(", ", RandarConfig.presetNames()),
                "dim, n_layer, n_head, ...", (preset, grid) -> RandarConfig.preset(preset, grid).gpt()));
    }

    /**
     * LPD: a preset ({@code preset: lpd-xl}) or explicit fields as the official constructor names them
     * ({@code decoder_embed_dim}, {@code decoder_depth}, {@code decoder_num_heads}, {@code mlp_ratio},
     * {@code vqgan_vocab_size}, {@code class_num}, {@code norm_eps}); {@code grid} defaults to 16.
     */
    public static LpdConfig lpdConfig(ConfigNode n) {
        int grid = n.intIn("grid", 16, 1, 1024);
        LpdConfig base = n.has("preset") ? LpdConfig.preset(n.string("preset"), grid) : null;
        if (base == null && !n.has("decoder_embed_dim")) {
            throw n.error("preset", "give a preset (" + String.join(", ", LpdConfig.presetNames())
                    + ") or explicit fields (decoder_embed_dim, decoder_depth, decoder_num_heads, ...)");
        }
        int dim = n.intAtLeast("decoder_embed_dim", base == null ? 0 : base.dim(), 1);
        int depth = n.intAtLeast("decoder_depth", base == null ? 0 : base.depth(), 1);
        int heads = n.intAtLeast("decoder_num_heads", base == null ? 0 : base.numHeads(), 1);
        double ratio = n.number("mlp_ratio", 4.0);
        int vocab = n.intAtLeast("vqgan_vocab_size", 16384, 1);
        int classes = n.intAtLeast("class_num", 1000, 1);
        double eps = n.number("norm_eps", 1e-6);
        return new LpdConfig(dim, depth, heads, ratio, vocab, classes, (float) eps, grid);
    }

    /** A preset ({@code preset: gpt-b}) or explicit ModelArgs fields; {@code grid} is the token grid side. */
    public static LlamaGenConfig llamaGenConfig(ConfigNode n) {
        return llamaGenConfig(n, 16, String.join(", ", LlamaGenConfig.presetNames()), "dim, n_layer, n_head, ...",
                LlamaGenConfig::preset);
    }

    /** The LlamaGen fields of {@code n}, starting from {@code presets.apply(name, grid)} when a preset is given. */
    private static LlamaGenConfig llamaGenConfig(ConfigNode n, int defaultGrid, String presetNames, String fields,
                                                 BiFunction<String, Integer, LlamaGenConfig> presets) {
        int grid = n.intIn("grid", defaultGrid, 1, 1024);
        LlamaGenConfig base = n.has("preset") ? presets.apply(n.string("preset"), grid) : null;
        if (base == null && !n.has("dim")) {
            throw n.error("preset", "give a preset (" + presetNames + ") or explicit fields (" + fields + ")");
        }
        return llamaGenFields(n, base, grid);
    }

    /**
     * The one binding of LlamaGen's YAML fields (named as the official ModelArgs: dim, n_layer, n_head,
     * n_kv_head, multiple_of, ffn_dim_multiplier, norm_eps, rope_base, vocab_size, num_classes,
     * cls_token_num, class_dropout_prob), used by pipelines and by {@code tessera train}. An absent
     * field takes its value from {@code defaults} (a preset, a trainer's defaults); with null defaults
     * dim, n_layer and n_head must be given and the rest take ModelArgs' defaults.
     */
    public static LlamaGenConfig llamaGenFields(ConfigNode n, LlamaGenConfig defaults, int grid) {
        LlamaGenConfig d = defaults;
        int dim = n.intAtLeast("dim", d == null ? 0 : d.dim(), 1);
        int nLayer = n.intAtLeast("n_layer", d == null ? 0 : d.nLayer(), 1);
        int nHead = n.intAtLeast("n_head", d == null ? 0 : d.nHead(), 1);
        // n_kv_head follows n_head unless the defaults have grouped-query heads of their own
        int nKv = n.intAtLeast("n_kv_head", d == null || d.nKvHead() == d.nHead() ? nHead : d.nKvHead(), 1);
        int multipleOf = n.intAtLeast("multiple_of", d == null ? 256 : d.multipleOf(), 1);
        double ffnMult = n.has("ffn_dim_multiplier") ? n.number("ffn_dim_multiplier") : d == null ? Double.NaN : d.ffnDimMultiplier();
        double eps = n.number("norm_eps", d == null ? 1e-5 : d.normEps());
        double ropeBase = n.number("rope_base", d == null ? 10000 : d.ropeBase());
        int vocab = n.intAtLeast("vocab_size", d == null ? 16384 : d.vocabSize(), 1);
        int classes = n.intAtLeast("num_classes", d == null ? 1000 : d.numClasses(), 1);
        int cls = n.intIn("cls_token_num", 1, 1, 1);
        double drop = n.number("class_dropout_prob", d == null ? 0.1 : d.classDropoutProb());
        return new LlamaGenConfig(dim, nLayer, nHead, nKv, multipleOf, (float) ffnMult, (float) eps, (float) ropeBase,
                vocab, classes, cls, (float) drop, grid);
    }
}
