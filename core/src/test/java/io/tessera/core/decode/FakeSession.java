package io.tessera.core.decode;

import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deterministic stand-in for a backend: it keeps a real slot cache of the ids written, and each
 * entry's logits peak at (sum of the ids in its visible slots + 7·position + kind) mod vocab, so the
 * sampled tokens depend on exactly what the adapter fed and what the mask lets it see.
 */
final class FakeSession implements GptSession {
    final ModelSpec model;
    final List<ForwardBatch> calls = new ArrayList<>();
    int[][] cache;
    int resets;
    int clears;

    FakeSession(ModelSpec model) {
        this.model = model;
    }

    @Override
    public ModelSpec model() {
        return model;
    }

    @Override
    public void reset(int rows, int capacity) {
        cache = new int[rows][capacity];
        resets++;
    }

    @Override
    public void clearRow(int row) {
        Arrays.fill(cache[row], 0);
        clears++;
    }

    @Override
    public float[] forward(ForwardBatch b) {
        calls.add(b);
        int v = model.vocabSize();
        for (int r = 0; r < b.rows(); r++) {
            for (int t = 0; t < b.length(); t++) {
                int k = b.index(r, t);
                cache[b.cacheRows()[r]][b.slots()[k]] = (b.kinds()[k] == EntryKind.CLASS ? 1000 : 0) + b.ids()[k] + 1;
            }
        }
        float[] out = new float[b.rows() * b.length() * v];
        for (int r = 0; r < b.rows(); r++) {
            for (int t = 0; t < b.length(); t++) {
                long sum = 0;
                for (int s = 0; s < b.capacity(); s++) {
                    if (b.isVisible(r, t, s)) {
                        sum += cache[b.cacheRows()[r]][s] * (s + 1L);
                    }
                }
                int k = b.index(r, t);
                int peak = Math.floorMod(sum + 7L * b.positions()[k], v);
                out[k * v + peak] = 3f;
            }
        }
        return out;
    }

    @Override
    public void close() {
    }
}
