package io.tessera.torch;

import static io.tessera.torch.Fixtures.Entry;
import static io.tessera.torch.Fixtures.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.contract.FamilyPasses;
import io.tessera.core.contract.ReferenceLpd;
import io.tessera.core.decode.LpdAdapter;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.model.RandomWeights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** LPD's ViT on libtorch against the double oracle, its input checks, and its native memory over many passes. */
class TorchLpdTest {
    private static final TorchBackend BACKEND = new TorchBackend();
    /** 4×4 grid: dim 64, 2 blocks, 4 heads of 16, MLP 256, vocab 1024, 10 classes, eps 1e-6. */
    private static final LpdConfig CONFIG = new LpdConfig(64, 2, 4, 4.0, 1024, 10, 1e-6f, 4);
    private static final int CAP = 1 + CONFIG.seqLen();

    /**
     * Random weights made to expose layout mistakes: qkv ×3 (peaked attention, so a wrong q|k|v or head split
     * moves the logits far), fc1 ×3 (GELU inputs over ±6, where tanh- and erf-GELU differ), z_proj_ln with
     * gains 1 ± 0.5 and biases ~ N(0, 0.5) (so skipping it, or using it without its affine, fails).
     */
    private static LpdModel model() {
        Map<String, Tensor> w = new LinkedHashMap<>(RandomWeights.lpd(CONFIG, 33));
        w.replaceAll((name, t) -> name.endsWith("attn.qkv.weight") || name.endsWith("mlp.fc1.weight") ? affine(t, 3f, 0f)
                : name.equals("z_proj_ln.weight") ? affine(t, 5f, -4f)  // 1 ± 0.1 → 1 ± 0.5
                : name.equals("z_proj_ln.bias") ? affine(t, 25f, 0f)    // N(0, 0.02) → N(0, 0.5)
                : t);
        return new LpdModel(CONFIG, new LpdWeights(CONFIG, new MemoryCheckpoint("lpd-test", w)));
    }

    private static Tensor affine(Tensor t, float scale, float shift) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] * scale + shift;
        }
        return Tensor.ofFloats(t.name(), t.shape(), v);
    }

    private static Entry entry(EntryKind kind, int id, int position, int slot, int seesUpTo) {
        return new Entry(kind, id, position, slot, Fixtures.upTo(seesUpTo, CAP));
    }

    /**
     * Two passes of two CFG rows (class 3 / fake_latent): [class, queries for cells 5 and 9] (the queries see
     * each other), then [tokens at cells 5 and 9 overwriting the queries' slots, queries for cells 0 and 15];
     * one query also sees slots 5..8, which no one wrote (zeros).
     */
    @Test
    void passesMatchReference() {
        LpdModel m = model();
        Entry[][] first = new Entry[2][];
        Entry[][] second = new Entry[2][];
        int[] classes = {3, CONFIG.nullClass()};
        for (int r = 0; r < 2; r++) {
            first[r] = new Entry[] {
                entry(EntryKind.CLASS, classes[r], 0, 0, 0),
                entry(EntryKind.QUERY, 0, 1 + 5, 1, 2),
                entry(EntryKind.QUERY, 0, 1 + 9, 2, 2)};
            second[r] = new Entry[] {
                entry(EntryKind.TOKEN, 700 + r, 1 + 5, 1, 2),
                entry(EntryKind.TOKEN, 12, 1 + 9, 2, 2),
                entry(EntryKind.QUERY, 0, 1, 3, 4),
                entry(EntryKind.QUERY, 0, 1 + 15, 4, 8)};
        }
        ReferenceLpd ref = new ReferenceLpd(m);
        try (GptSession s = BACKEND.openModel(m, Fixtures.cpu())) {
            assertEquals("lpd", s.model().family());
            ref.reset(2, CAP);
            s.reset(2, CAP);
            Fixtures.assertPassesMatch(s, ref::forwardExact, CONFIG.vocabSize(), first, second);
        }
    }

    @Test
    void refusesOutOfRangeEntriesInOneLine() {
        Entry[] bad = {
            entry(EntryKind.QUERY, 1, 1, 1, 1),
            entry(EntryKind.CLASS, CONFIG.nullClass() + 1, 0, 0, 0),
            entry(EntryKind.TOKEN, CONFIG.vocabSize(), 1, 1, 1),
            entry(EntryKind.TOKEN, 0, CONFIG.seqLen() + 1, 1, 1),
            entry(EntryKind.TOKEN, 0, 1, CAP, 1)};
        try (GptSession s = BACKEND.openModel(model(), Fixtures.cpu())) {
            s.reset(1, CAP);
            for (Entry e : bad) {
                BackendException x = assertThrows(BackendException.class, () -> s.forward(batch(new Entry[][] {{e}})), e.toString());
                assertTrue(x.getMessage().startsWith("torch: "), x.getMessage());
                assertFalse(x.getMessage().contains("\n"), "one line: " + x.getMessage());
            }
        }
    }

    /** Generations through the LPD adapter (random order, CFG rows) do not grow native memory. */
    @Test
    void manyPassesKeepMemoryBounded() {
        LpdModel m = model();
        LpdAdapter adapter = new LpdAdapter(m);
        List<ForwardBatch> passes = FamilyPasses.passes(adapter, FamilyPasses.randomOrder(1, 2, 3, 4, 6), 7, 13);
        try (GptSession s = BACKEND.openModel(m, Fixtures.cpu())) {
            Runnable generation = () -> {
                s.reset(2, adapter.capacity());
                passes.forEach(s::forward);
            };
            for (int i = 0; i < 3; i++) {
                generation.run(); // warm up allocators and JIT
            }
            long count0 = Pointer.totalCount();
            long rss0 = TorchMemoryTest.rssBytes();
            for (int i = 0; i < 30; i++) {
                generation.run();
            }
            long countGrowth = Pointer.totalCount() - count0;
            long rssGrowth = TorchMemoryTest.rssBytes() - rss0;
            int total = 30 * passes.size();
            assertTrue(countGrowth <= 16, "JavaCPP pointers still alive after " + total + " LPD passes: +" + countGrowth);
            assertTrue(rssGrowth < 48L << 20, "RSS grew by " + (rssGrowth >> 20) + " MiB over " + total + " LPD passes");
        }
    }
}
