package io.tessera.train;

import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdWeights;
import io.tessera.torch.nn.LpdModule;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The trainer's LPD model: registers the parameters of LPD's MAR-style ViT ({@code models/lpd.py LPD})
 * under the official state-dict names of {@link LpdWeights#layout} with the initialisation of
 * {@code initialize_weights} (embeddings, pos_embed, fake_latent, mask_token N(0, 0.02); Linear
 * xavier-uniform with zero bias; LayerNorm weight 1, bias 0), lays out the training sequence and its
 * group-id mask, and runs the family's one libtorch module ({@link LpdModule}, the one inference runs).
 * No model math here. Attention and projection dropout (0.1 in the official code) are not used.
 *
 * <p>One forward pass takes the layout of training, {@code [class, X_1 … X_{K−1}] ++ [queries]}:
 * context tokens are token embeddings at the positions of their cells, queries are
 * {@code mask_token} at the positions of their target cells, and {@link #mask} says who sees whom.
 */
public final class LpdNet {
    private final LpdConfig c;
    private final ParamStore p;
    private final LpdModule module;

    public LpdNet(LpdConfig c, ParamStore p) {
        this.c = c;
        this.p = p;
        LpdWeights.layout(c).forEach((name, shape) -> {
            Tensor init;
            if (name.equals("class_emb.weight") || name.equals("token_emb.weight") || name.equals("fake_latent")
                    || name.equals("pos_embed") || name.equals("mask_token")) {
                init = Ops.normal(p.device(), 0.02, shape);
            } else if (name.endsWith("norm1.weight") || name.endsWith("norm2.weight") || name.equals("norm.weight")
                    || name.equals("z_proj_ln.weight")) {
                init = Ops.ones(p.device(), shape);                                   // LayerNorm weight
            } else if (name.endsWith(".bias")) {
                init = Ops.zeros(p.device(), shape);                                  // LayerNorm and Linear biases
            } else {
                double bound = Math.sqrt(6.0 / (shape[0] + shape[1]));               // xavier_uniform_, Linear [out, in]
                init = Ops.uniform(p.device(), bound, shape);
            }
            p.add(name, init);
        });
        module = new LpdModule(new LpdWeights(c, p.asCheckpoint()), p, torch.ScalarType.Float, false);
    }

    public LpdConfig config() {
        return c;
    }

    /**
     * The group ids of LPD's training mask ({@code models/mask.py}) for the layout
     * {@code [class, X_1 … X_{K−1}] ++ [P_{from+1} … P_K]} (groups 1-based, {@code from} 0-based): class 0,
     * context group X_k → 2k, query group P_k → 2k − 1.
     *
     * @param sizes group sizes g_1 … g_K
     * @param from  queries of the first {@code from} groups are left out (0 in training; K − 1 when sampling step K)
     */
    static int[] groupIds(int[] sizes, int from) {
        int k = sizes.length;
        int context = contextLength(sizes);
        int queries = 0;
        for (int g = from; g < k; g++) {
            queries += sizes[g];
        }
        int[] ids = new int[context + queries];
        int at = 1; // ids[0] = 0: the class token
        for (int g = 0; g < k - 1; g++) {
            for (int i = 0; i < sizes[g]; i++) {
                ids[at++] = 2 * (g + 1);
            }
        }
        for (int g = from; g < k; g++) {
            for (int i = 0; i < sizes[g]; i++) {
                ids[at++] = 2 * (g + 1) - 1;
            }
        }
        return ids;
    }

    /** 1 + N − g_K: the class token and every group but the last, which is never encoded. */
    static int contextLength(int[] sizes) {
        int n = 1;
        for (int g = 0; g < sizes.length - 1; g++) {
            n += sizes[g];
        }
        return n;
    }

    /**
     * The attention mask of {@link #groupIds}, row-major [L, L], true = query row may attend to key
     * column: same group, or an earlier group that is context ({@code mask_mod}: a query in P_k sees
     * class + X_{&lt;k} + P_k; a context token in X_k sees class + X_{&lt;k} + X_k; nobody sees another
     * step's queries).
     */
    static boolean[] mask(int[] sizes, int from) {
        int[] ids = groupIds(sizes, from);
        int context = contextLength(sizes);
        int l = ids.length;
        boolean[] m = new boolean[l * l];
        for (int q = 0; q < l; q++) {
            for (int kv = 0; kv < l; kv++) {
                m[q * l + kv] = ids[q] == ids[kv] || (ids[kv] < ids[q] && kv < context);
            }
        }
        return m;
    }

    /** {@link #mask} as a bool tensor [L, L] on the parameters' device. */
    Tensor maskTensor(int[] sizes, int from) {
        boolean[] m = mask(sizes, from);
        long[] v = new long[m.length];
        for (int i = 0; i < m.length; i++) {
            v[i] = m[i] ? 1 : 0;
        }
        int l = (int) Math.round(Math.sqrt(m.length));
        return Ops.longs(p.device(), v, l, l).to(torch.ScalarType.Bool);
    }

    /**
     * Forward pass over {@code [class, context tokens] ++ [queries]}; logits of the queries.
     *
     * @param classes   [B] int64 class ids; {@code num_classes} selects {@code fake_latent}
     * @param ctxTokens [B, C−1] int64 context token ids (in generation order), or null when C = 1
     * @param ctxCells  [B, C−1] int64 their grid cells, or null
     * @param qCells    [B, Q] int64 target cells of the queries
     * @param mask      [C−1+1+Q, same] bool, true = may attend
     * @return logits [B, Q, vocab]
     */
    public Tensor forward(Tensor classes, Tensor ctxTokens, Tensor ctxCells, Tensor qCells, Tensor mask) {
        Tensor clsRows = classes.unsqueeze(1);                                                                    // [B, 1]
        Tensor clsPos = torch.zeros_like(clsRows);                                                                // pos_embed row 0
        Tensor qRows = torch.full_like(qCells, new Scalar((long) module.queryRow()));                            // [B, Q] mask_token
        Tensor qPos = qCells.add(new Scalar(1L));                                                                 // row 1 + cell
        Tensor rows = ctxTokens == null ? Ops.cat(1, clsRows, qRows)
                : Ops.cat(1, clsRows, ctxTokens.add(new Scalar((long) module.tokenRow(0))), qRows);              // [B, L]
        Tensor positions = ctxTokens == null ? Ops.cat(1, clsPos, qPos) : Ops.cat(1, clsPos, ctxCells.add(new Scalar(1L)), qPos);
        return module.forward(rows, positions, module.masked(mask), qCells.size(1));                             // [B, Q, V]
    }
}
