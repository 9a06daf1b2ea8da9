package io.tessera.train;

import io.tessera.core.decode.Rng;

/**
 * The deterministic sample order of a run: epoch e visits the items in a permutation drawn from
 * {@code Rng.stream(seed, e)}; step s takes items [s·batch, (s+1)·batch) of the concatenated epochs.
 * A function of (seed, step) only, so a resumed run sees exactly the batches of an uninterrupted one.
 */
final class DataOrder {
    private final int n;
    private final int batch;
    private final long seed;
    private long cachedEpoch = -1;
    private int[] cachedPerm;

    DataOrder(int n, int batch, long seed) {
        if (n <= 0) {
            throw new IllegalArgumentException("empty data set");
        }
        this.n = n;
        this.batch = batch;
        this.seed = seed;
    }

    int[] batch(long step) {
        int[] out = new int[batch];
        long start = step * batch;
        for (int j = 0; j < batch; j++) {
            long pos = start + j;
            out[j] = perm(pos / n)[(int) (pos % n)];
        }
        return out;
    }

    private int[] perm(long epoch) {
        if (epoch != cachedEpoch) {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = i;
            }
            Rng.stream(seed, epoch).shuffle(p);
            cachedPerm = p;
            cachedEpoch = epoch;
        }
        return cachedPerm;
    }
}
