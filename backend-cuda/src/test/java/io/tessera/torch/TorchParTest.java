package io.tessera.torch;

import static io.tessera.torch.Fixtures.Entry;
import static io.tessera.torch.Fixtures.batch;
import static io.tessera.torch.Fixtures.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.contract.ReferenceLlamaGen;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.ParConfig;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.ParWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.GptSession;
import io.tessera.core.model.RandomWeights;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PAR on libtorch: the LlamaGen forward whose QUERY entries embed the transition tokens. */
class TorchParTest {
    private static final TorchBackend BACKEND = new TorchBackend();
    /** PAR-4× on a 4×4 grid: dim 64, 2 layers, 4 heads, vocab 1024, 10 classes. */
    private static final ParConfig CONFIG =
            new ParConfig(new LlamaGenConfig(64, 2, 4, 4, 256, Float.NaN, 1e-5f, 10000f, 1024, 10, 1, 0.1f, 4), 4);
    private static final int CAP = CONFIG.gpt().blockSize(); // 16 = [cls, x0..x3, M1..M3, x4..x11]

    /**
     * Random weights with attention projections ×12 (so the mask and the cache layout dominate the error) and
     * transition tokens ×4 (so a query that embedded anything else, or kept a non-zero RoPE, fails clearly).
     */
    private static ParModel model() {
        Map<String, Tensor> w = new LinkedHashMap<>(RandomWeights.par(CONFIG, 21));
        w.replaceAll((name, t) -> name.endsWith("attention.wqkv.weight") || name.endsWith("attention.wo.weight") ? scaled(t, 12f)
                : name.equals(ParWeights.TRANSITION) ? scaled(t, 4f) : t);
        return new ParModel(CONFIG, new ParWeights(CONFIG, new MemoryCheckpoint("par-test", w)));
    }

    private static Tensor scaled(Tensor t, float factor) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] *= factor;
        }
        return Tensor.ofFloats(t.name(), t.shape(), v);
    }

    /** Reordered token k (k &lt; n) at its grid cell: position 1 + cell, slot 1 + k, sees slots ≤ its own. */
    private static Entry first(int token, int k) {
        int cell = CONFIG.cellAt(k);
        return new Entry(EntryKind.TOKEN, token, 1 + cell, 1 + k, Fixtures.upTo(1 + k, CAP));
    }

    /** Entry of the first parallel group (slots n .. 2n − 1): sees the whole group, bidirectionally. */
    private static Entry group(EntryKind kind, int id, int position, int slot) {
        return new Entry(kind, id, position, slot, Fixtures.upTo(2 * CONFIG.regions() - 1, CAP));
    }

    /**
     * Two passes of two CFG rows against the double oracle: [cls, x0, x1, x2] causally, then PAR's first
     * parallel group [x3, M1, M2, M3] (transition tokens at position 0) with group-bidirectional visibility,
     * so x3 attends to keys written in the same pass.
     */
    @Test
    void passesWithTransitionTokensMatchReference() {
        ParModel m = model();
        int n = CONFIG.regions();
        Entry[][] prefill = {
            {Entry.cls(3, CAP), first(100, 0), first(7, 1), first(901, 2)},
            {Entry.cls(CONFIG.gpt().nullClass(), CAP), first(100, 0), first(7, 1), first(901, 2)}};
        Entry[][] parallel = new Entry[2][];
        for (int r = 0; r < 2; r++) {
            parallel[r] = new Entry[] {
                group(EntryKind.TOKEN, 55 + r, 1 + CONFIG.cellAt(3), n),
                group(EntryKind.QUERY, 0, 0, n + 1),
                group(EntryKind.QUERY, 1, 0, n + 2),
                group(EntryKind.QUERY, 2, 0, n + 3)};
        }
        ReferenceLlamaGen ref = new ReferenceLlamaGen(m);
        try (GptSession s = BACKEND.openModel(m, Fixtures.cpu())) {
            assertEquals("par", s.model().family());
            ref.reset(2, CAP);
            s.reset(2, CAP);
            Fixtures.assertPassesMatch(s, ref::forwardExact, CONFIG.gpt().vocabSize(), prefill, parallel);
        }
    }

    /** Each QUERY id reads its own transition row: M1, M2 and M3 at the same position give different logits. */
    @Test
    void transitionTokensAreDistinctRows() {
        int v = CONFIG.gpt().vocabSize();
        try (GptSession s = BACKEND.openModel(model(), Fixtures.cpu())) {
            s.reset(1, CAP);
            float[] logits = s.forward(batch(new Entry[][] {{
                new Entry(EntryKind.QUERY, 0, 0, 5, Fixtures.upTo(5, CAP)),
                new Entry(EntryKind.QUERY, 1, 0, 6, new boolean[] {false, false, false, false, false, false, true, false,
                    false, false, false, false, false, false, false, false}),
                new Entry(EntryKind.QUERY, 2, 0, 7, new boolean[] {false, false, false, false, false, false, false, true,
                    false, false, false, false, false, false, false, false})}}));
            float[] m2 = Arrays.copyOfRange(logits, v, 2 * v);
            float[] m3 = Arrays.copyOfRange(logits, 2 * v, 3 * v);
            assertTrue(relErr(m2, m3) > 0.1, "M2 and M3 alone give (nearly) the same logits: " + relErr(m2, m3));
        }
    }

    @Test
    void refusesOutOfRangeTransitionTokensAndQueriesOnLlamaGen() {
        Entry bad = new Entry(EntryKind.QUERY, CONFIG.transitionTokens(), 0, 5, Fixtures.upTo(5, CAP));
        try (GptSession s = BACKEND.openModel(model(), Fixtures.cpu())) {
            s.reset(1, CAP);
            BackendException e = assertThrows(BackendException.class, () -> s.forward(batch(new Entry[][] {{bad}})));
            assertTrue(e.getMessage().contains("transition token id 3"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
        try (GptSession s = BACKEND.openModel(Fixtures.model(Fixtures.TINY, 1), Fixtures.cpu())) {
            s.reset(1, 17);
            Entry query = new Entry(EntryKind.QUERY, 0, 0, 1, Fixtures.upTo(1, 17));
            BackendException e = assertThrows(BackendException.class, () -> s.forward(batch(new Entry[][] {{query}})));
            assertEquals("torch: family 'llamagen' has no QUERY entries (entry 0)", e.getMessage());
        }
    }
}
