package io.tessera.core.model;

import io.tessera.core.CheckpointException;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The RandAR state-dict name map ({@code RandARTransformer.state_dict()}, saved as safetensors by the
 * official {@code save_model_safetensors}): every LlamaGen GPT tensor ({@link LlamaGenWeights}) plus the
 * position-instruction vector {@value #POS_INSTRUCT} [1, dim]. {@code freqs_cis} is a plain attribute there,
 * not a buffer, so it is never in the file (ignored if present).
 */
public final class RandarWeights {
    /** Official name of the one learned position-instruction vector. */
    public static final String POS_INSTRUCT = "pos_instruct_embeddings";

    private final RandarConfig config;
    private final LlamaGenWeights gpt;
    private final Tensor posInstruct; // [1, dim]

    /** Resolves every tensor of {@code c} in {@code ckpt}; fails on a missing, unexpected or wrong-shaped one. */
    public RandarWeights(RandarConfig c, Checkpoint ckpt) {
        this(c, (name, shape) -> ckpt.get(name).requireShape(ckpt.path().toString(), shape), ckpt);
        LlamaGenWeights.rejectUnexpected(ckpt, layout(c).keySet(), Set.of("freqs_cis"));
    }

    private RandarWeights(RandarConfig c, BiFunction<String, long[], Tensor> t, Checkpoint ckpt) {
        if (ckpt != null && !ckpt.has(POS_INSTRUCT) && ckpt.has("tok_embeddings.weight")) {
            String what = ckpt.has(ParWeights.TRANSITION) ? "a PAR" : "a LlamaGen";
            throw new CheckpointException(ckpt.path() + ": missing tensor '" + POS_INSTRUCT + "' (RandAR's position-instruction"
                    + " vector; this looks like " + what + " checkpoint: set model.family accordingly)");
        }
        this.config = c;
        this.gpt = new LlamaGenWeights(c.gpt(), t);
        this.posInstruct = t.apply(POS_INSTRUCT, new long[] {1, c.gpt().dim()});
    }

    /** Every tensor name of the official RandAR module for {@code c} with its shape. */
    public static Map<String, long[]> layout(RandarConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        new RandarWeights(c, (name, shape) -> {
            out.put(name, shape);
            return null;
        }, null);
        return out;
    }

    public RandarConfig config() {
        return config;
    }

    /** The LlamaGen backbone's tensors. */
    public LlamaGenWeights gpt() {
        return gpt;
    }

    /** The position-instruction vector [1, dim], viewed per head as [n_head, head_dim] before its rotation. */
    public Tensor posInstruct() {
        return posInstruct;
    }
}
