package io.tessera.torch;

import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.model.RandomWeights;
import java.util.Map;
import java.util.function.Function;

/** Tiny models, options and batch builders shared by the tests. */
final class Fixtures {
    private Fixtures() {
    }

    static final LlamaGenConfig TINY = LlamaGenConfig.of(64, 2, 4, 4);
    /** GQA: 4 query heads share 2 key/value heads. */
    static final LlamaGenConfig TINY_GQA = new LlamaGenConfig(64, 2, 4, 2, 256, Float.NaN, 1e-5f, 10000f, 16384, 1000, 1, 0.1f, 4);
    static final VqConfig TINY_VQ = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 1, 3);

    static LlamaGenModel model(LlamaGenConfig c, long seed) {
        return model(c, RandomWeights.llamaGen(c, seed));
    }

    static LlamaGenModel model(LlamaGenConfig c, Map<String, Tensor> tensors) {
        return new LlamaGenModel(c, new LlamaGenWeights(c, new MemoryCheckpoint("random", tensors)));
    }

    static VqWeights vq(VqConfig c, Map<String, Tensor> tensors) {
        return new VqWeights(c, new MemoryCheckpoint("random-vq", tensors));
    }

    /** backend options from alternating key, value pairs. */
    static BackendOptions options(Object... kv) {
        ConfigNode node = ConfigNode.empty("backend");
        node.put("name", "torch");
        for (int i = 0; i < kv.length; i += 2) {
            node.put((String) kv[i], kv[i + 1]);
        }
        return new BackendOptions(node);
    }

    static BackendOptions cpu() {
        return options("device", "cpu", "threads", 2);
    }

    /** One entry of a batch row. */
    record Entry(EntryKind kind, int id, int position, int slot, boolean[] visible) {
        static Entry cls(int id, int capacity) {
            return new Entry(EntryKind.CLASS, id, 0, 0, upTo(0, capacity));
        }

        /** Token at grid cell {@code cell}: position 1 + cell, slot 1 + cell, sees slots ≤ its own. */
        static Entry token(int id, int cell, int capacity) {
            return new Entry(EntryKind.TOKEN, id, 1 + cell, 1 + cell, upTo(1 + cell, capacity));
        }
    }

    static boolean[] upTo(int slot, int capacity) {
        boolean[] v = new boolean[capacity];
        for (int s = 0; s <= slot; s++) {
            v[s] = true;
        }
        return v;
    }

    /** A batch of {@code rows[r][t]} entries (every row the same length). */
    static ForwardBatch batch(Entry[][] rows) {
        int b = rows.length;
        int t = rows[0].length;
        int cap = rows[0][0].visible().length;
        EntryKind[] kinds = new EntryKind[b * t];
        int[] ids = new int[b * t];
        int[] pos = new int[b * t];
        int[] slots = new int[b * t];
        boolean[] vis = new boolean[b * t * cap];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                Entry e = rows[r][i];
                int n = r * t + i;
                kinds[n] = e.kind();
                ids[n] = e.id();
                pos[n] = e.position();
                slots[n] = e.slot();
                System.arraycopy(e.visible(), 0, vis, n * cap, cap);
            }
        }
        return new ForwardBatch(b, t, kinds, ids, pos, slots, vis);
    }

    /**
     * Runs each pass on {@code session} after {@code exact} (a reference's float64 forward of the same batch) and
     * asserts [B, T, vocab] logits within 1e-5 relative error of the reference's.
     */
    static void assertPassesMatch(GptSession session, Function<ForwardBatch, double[]> exact, int vocab, Entry[][]... passes) {
        for (Entry[][] pass : passes) {
            ForwardBatch fb = batch(pass);
            double[] reference = exact.apply(fb);
            float[] want = new float[reference.length];
            for (int i = 0; i < reference.length; i++) {
                want[i] = (float) reference[i];
            }
            float[] got = session.forward(fb);
            if (got.length != pass.length * pass[0].length * vocab) {
                throw new AssertionError("pass of " + pass[0].length + " entries: " + got.length + " logits");
            }
            double err = relErr(got, want);
            if (!(err < 1e-5)) {
                throw new AssertionError("pass of " + pass[0].length + " entries: relative error " + err);
            }
        }
    }

    /** max |a − b| / max |b|. */
    static double relErr(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths " + a.length + " vs " + b.length);
        }
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            maxRef = Math.max(maxRef, Math.abs(b[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-30);
    }
}
