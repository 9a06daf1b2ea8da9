package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.ParWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checks of the PAR and LPD oracles against hand values and identities that do not depend on them. */
class ReferenceFamiliesSelfTest {

    /** erf and GELU against Python's math.erf. */
    @Test
    void erfAndGeluMatchHandValues() {
        assertEquals(0.8427007929497149, ReferenceLpd.erf(1.0), 1e-15);
        assertEquals(-0.9661051464753108, ReferenceLpd.erf(-1.5), 1e-15);
        assertEquals(0.5204998778130465, ReferenceLpd.erf(0.5), 1e-15);
        assertEquals(0.9999999845827421, ReferenceLpd.erf(4.0), 1e-15);
        assertEquals(-0.00404969409489031, ReferenceLpd.gelu(-3), 1e-15); // 1 + erf(x) cancels for x < 0
        assertEquals(0.8413447460685429, ReferenceLpd.gelu(1), 1e-15);
        assertEquals(4.999998566742141, ReferenceLpd.gelu(5), 1e-14);
    }

    /** LayerNorm of [1, 2, 3, 6]: mean 3, biased var 3.5, eps 0.5 → (x − 3)/2, then · w + b. */
    @Test
    void layerNormUsesTheBiasedVariance() {
        double[] y = ReferenceLpd.layerNorm(new double[] {1, 2, 3, 6}, new float[] {1, 2, 1, 1}, new float[] {0, 0, 1, 0}, 0.5);
        assertArrayEquals(new double[] {-1, -1, 1, 1.5}, y, 1e-15);
    }

    /**
     * A PAR transition token j (QUERY id j) is embedded as row j of spe_tok_embeddings and nothing else: it gives the
     * logits of a TOKEN whose tok_embeddings row is replaced by that row, in a LlamaGen model with the same weights.
     */
    @Test
    void parTransitionTokenIsItsTableRow() {
        ParModel par = ContractModels.par(ContractModels.parTiny(1024), ContractModels.GPT_SEED, DType.F32);
        Map<String, Tensor> gpt = new LinkedHashMap<>();
        LlamaGenWeights w = par.weights().gpt();
        float[] tok = w.tokEmbeddings().toFloatArray();
        float[] spe = par.weights().transition().toFloatArray();
        int dim = par.config().gpt().dim();
        System.arraycopy(spe, 2 * dim, tok, 77 * dim, dim);
        for (String name : LlamaGenWeights.layout(par.config().gpt()).keySet()) {
            gpt.put(name, name.equals("tok_embeddings.weight") ? Tensor.ofFloats(name, w.tokEmbeddings().shape(), tok) : tensorOf(par, name));
        }
        LlamaGenModel swapped = new LlamaGenModel(par.config().gpt(), new LlamaGenWeights(par.config().gpt(), new MemoryCheckpoint("swapped", gpt)));
        int cap = par.cacheCapacity();
        List<Passes.Entry> asQuery = List.of(new Passes.Entry(EntryKind.CLASS, new int[] {3, 10}, 0, 0),
                new Passes.Entry(EntryKind.QUERY, new int[] {2, 2}, 0, 5));
        List<Passes.Entry> asToken = List.of(new Passes.Entry(EntryKind.CLASS, new int[] {3, 10}, 0, 0),
                new Passes.Entry(EntryKind.TOKEN, new int[] {77, 77}, 0, 5));
        ForwardBatch q = Passes.batch(2, cap, asQuery, (t, s) -> s == 0 || s == 5);
        ForwardBatch t = Passes.batch(2, cap, asToken, (tt, s) -> s == 0 || s == 5);
        ReferenceLlamaGen a = new ReferenceLlamaGen(par);
        ReferenceLlamaGen b = new ReferenceLlamaGen(swapped);
        a.reset(2, cap);
        b.reset(2, cap);
        assertArrayEquals(b.forwardExact(t), a.forwardExact(q), 0.0);
    }

    private static Tensor tensorOf(ParModel m, String name) {
        LlamaGenWeights w = m.weights().gpt();
        if (name.equals("cls_embedding.embedding_table.weight")) {
            return w.clsEmbedding();
        }
        if (name.equals("norm.weight")) {
            return w.norm();
        }
        if (name.equals("output.weight")) {
            return w.output();
        }
        int layer = Integer.parseInt(name.split("\\.")[1]);
        LlamaGenWeights.Layer l = w.layers().get(layer);
        return switch (name.substring(name.indexOf('.', "layers.".length()) + 1)) {
            case "attention_norm.weight" -> l.attentionNorm();
            case "attention.wqkv.weight" -> l.wqkv();
            case "attention.wo.weight" -> l.wo();
            case "ffn_norm.weight" -> l.ffnNorm();
            case "feed_forward.w1.weight" -> l.w1();
            case "feed_forward.w3.weight" -> l.w3();
            case "feed_forward.w2.weight" -> l.w2();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * LPD's fused encode + decode: a query written at a slot and then overwritten by the real token gives the same
     * later logits as writing the real token there in the first place; the null class id embeds fake_latent.
     */
    @Test
    void lpdQuerySlotOverwriteEqualsDirectWriteAndNullClassIsFakeLatent() {
        LpdModel m = ContractModels.lpd(ContractModels.lpdTiny(1024), ContractModels.GPT_SEED, DType.F32);
        int cap = m.cacheCapacity();
        int nul = m.nullClass();
        ForwardBatch cls = Passes.batch(2, cap, List.of(new Passes.Entry(EntryKind.CLASS, new int[] {4, nul}, 0, 0)), (t, s) -> s == 0);
        ForwardBatch query = Passes.batch(2, cap, List.of(new Passes.Entry(EntryKind.QUERY, new int[] {0, 0}, 1 + 9, 1)), (t, s) -> s <= 1);
        ForwardBatch token = Passes.batch(2, cap, List.of(new Passes.Entry(EntryKind.TOKEN, new int[] {500, 500}, 1 + 9, 1)), (t, s) -> s <= 1);
        ForwardBatch next = Passes.batch(2, cap, List.of(new Passes.Entry(EntryKind.QUERY, new int[] {0, 0}, 1 + 3, 2)), (t, s) -> s <= 2);
        ReferenceLpd a = new ReferenceLpd(m);
        a.reset(2, cap);
        a.forwardExact(cls);
        a.forwardExact(query);
        a.forwardExact(token);
        double[] viaQuery = a.forwardExact(next);
        ReferenceLpd b = new ReferenceLpd(m);
        b.reset(2, cap);
        double[] clsLogits = b.forwardExact(cls);
        b.forwardExact(token);
        assertArrayEquals(b.forwardExact(next), viaQuery, 1e-12);
        // the unconditional row differs from the conditional one (fake_latent ≠ class 4) ...
        assertEquals(false, java.util.Arrays.equals(java.util.Arrays.copyOfRange(clsLogits, 0, 1024), java.util.Arrays.copyOfRange(clsLogits, 1024, 2048)));
        // ... and equals a conditional row whose class_emb is fake_latent: checked through the embedding of a one-class model
        float[] fake = m.weights().fakeLatent().toFloatArray();
        float[] classRow = java.util.Arrays.copyOfRange(m.weights().classEmb().toFloatArray(), 4 * 64, 5 * 64);
        assertEquals(false, java.util.Arrays.equals(fake, classRow));
    }
}
