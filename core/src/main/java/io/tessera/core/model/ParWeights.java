package io.tessera.core.model;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The PAR state-dict name map: every LlamaGen GPT tensor ({@link LlamaGenWeights}) plus the transition
 * tokens {@value #TRANSITION} [n − 1, dim] (gpt.py {@code SpecialTokenEmbedding}).
 */
public final class ParWeights {
    /** Official name of the transition-token table. */
    public static final String TRANSITION = "spe_tok_embeddings.special_embeddings.weight";

    private final ParConfig config;
    private final LlamaGenWeights gpt;
    private final Tensor transition; // [n − 1, dim]

    /** Resolves every tensor of {@code c} in {@code ckpt}; fails on a missing, unexpected or wrong-shaped one. */
    public ParWeights(ParConfig c, Checkpoint ckpt) {
        this(c, (name, shape) -> ckpt.get(name).requireWeight(ckpt.path().toString(), shape));
        LlamaGenWeights.rejectUnexpected(ckpt, layout(c).keySet(), LlamaGenWeights.runtimeBuffers(c.gpt().nLayer()));
    }

    private ParWeights(ParConfig c, BiFunction<String, long[], Tensor> t) {
        this.config = c;
        this.gpt = new LlamaGenWeights(c.gpt(), t);
        this.transition = t.apply(TRANSITION, new long[] {c.transitionTokens(), c.gpt().dim()});
    }

    /** Every tensor name of the official PAR module for {@code c} with its shape. */
    public static Map<String, long[]> layout(ParConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        new ParWeights(c, (name, shape) -> {
            out.put(name, shape);
            return null;
        });
        return out;
    }

    public ParConfig config() {
        return config;
    }

    /** The LlamaGen backbone's tensors. */
    public LlamaGenWeights gpt() {
        return gpt;
    }

    /** Transition tokens M_1 .. M_{n−1}: row j − 1 is M_j. */
    public Tensor transition() {
        return transition;
    }
}
