package io.tessera.train;

import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.torch.nn.LlamaGenModule;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The trainer's GPT: registers the LlamaGen c2i GPT's parameters under the official state-dict names
 * of {@link LlamaGenWeights#layout} with the initialisation of {@code initialize_weights} (Linear and
 * Embedding N(0, 0.02), norms 1, output zero), and runs the family's one libtorch module
 * ({@link LlamaGenModule}, the one inference runs) over them. No model math here. No dropout
 * (training-only in the official code; not used here).
 */
public final class GptNet {
    private final LlamaGenConfig c;
    private final LlamaGenModule module;

    public GptNet(LlamaGenConfig c, ParamStore p) {
        if (c.nKvHead() != c.nHead()) {
            throw new IllegalArgumentException("the trainer supports plain multi-head attention only (n_kv_head = n_head)");
        }
        this.c = c;
        double std = 0.02;
        LlamaGenWeights.layout(c).forEach((name, shape) -> {
            Tensor init;
            if (name.endsWith("norm.weight")) {
                init = Ops.ones(p.device(), shape);                 // RMSNorm weight
            } else if (name.equals("output.weight")) {
                init = Ops.zeros(p.device(), shape);                // zero-out output layer
            } else {
                init = Ops.normal(p.device(), std, shape);          // Linear, Embedding
            }
            p.add(name, init);
        });
        module = new LlamaGenModule(new LlamaGenWeights(c, p.asCheckpoint()), p, ScalarType.Float, null, false);
    }

    public LlamaGenConfig config() {
        return c;
    }

    /**
     * Training forward: input = [class, x_0 .. x_{N−2}], logits at position i predict x_i.
     *
     * @param tokens  [B, N] int64 image tokens (N = grid²)
     * @param classes [B] int64 class ids (num_classes = the null class)
     * @return logits [B, N, vocab]
     */
    public Tensor forward(Tensor tokens, Tensor classes) {
        return module.forward(tokens, classes);
    }
}
