package io.tessera.core.pipeline;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.testing.RandomWeights;
import java.nio.file.Path;
import java.util.List;

/** Reads the pipeline's {@code model:} node into a family config and shape-checked weights. */
public final class ModelLoader {
    public static final List<String> FAMILIES = List.of("llamagen");

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
                Checkpoint ckpt = CheckpointRef.open(node, "checkpoint", baseDir, seed -> RandomWeights.llamaGen(c, seed));
                try {
                    LlamaGenModel m = new LlamaGenModel(c, new LlamaGenWeights(c, ckpt));
                    node.rejectUnknown();
                    yield new Loaded(m, ckpt);
                } catch (RuntimeException e) {
                    ckpt.close();
                    throw e;
                }
            }
            default -> throw node.error("family", "unknown model family '" + family + "' (known: " + String.join(", ", FAMILIES) + ")");
        };
    }

    /** A preset ({@code preset: gpt-b}) or explicit ModelArgs fields; {@code grid} is the token grid side. */
    public static LlamaGenConfig llamaGenConfig(ConfigNode n) {
        int grid = n.intIn("grid", 16, 1, 1024);
        LlamaGenConfig base = n.has("preset") ? LlamaGenConfig.preset(n.string("preset"), grid) : null;
        if (base == null && !n.has("dim")) {
            throw n.error("preset", "give a preset (" + String.join(", ", LlamaGenConfig.presetNames())
                    + ") or explicit fields (dim, n_layer, n_head, ...)");
        }
        int dim = n.intAtLeast("dim", base == null ? 0 : base.dim(), 1);
        int nLayer = n.intAtLeast("n_layer", base == null ? 0 : base.nLayer(), 1);
        int nHead = n.intAtLeast("n_head", base == null ? 0 : base.nHead(), 1);
        int nKv = n.intAtLeast("n_kv_head", base == null ? nHead : base.nKvHead(), 1);
        int multipleOf = n.intAtLeast("multiple_of", 256, 1);
        double ffnMult = n.has("ffn_dim_multiplier") ? n.number("ffn_dim_multiplier") : Double.NaN;
        double eps = n.number("norm_eps", 1e-5);
        double ropeBase = n.number("rope_base", 10000);
        int vocab = n.intAtLeast("vocab_size", 16384, 1);
        int classes = n.intAtLeast("num_classes", 1000, 1);
        int cls = n.intIn("cls_token_num", 1, 1, 1);
        double drop = n.number("class_dropout_prob", 0.1);
        return new LlamaGenConfig(dim, nLayer, nHead, nKv, multipleOf, (float) ffnMult, (float) eps, (float) ropeBase,
                vocab, classes, cls, (float) drop, grid);
    }
}
