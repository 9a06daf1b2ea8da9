package io.tessera.cpu;

import io.tessera.core.spi.ForwardBatch;
import java.util.Arrays;

/**
 * Scaled dot-product attention of every (entry, query head) of a pass over the KV-cache slots its mask
 * makes visible, shared by the GPT (LlamaGen, PAR) and ViT (LPD) forwards. Unwritten visible slots
 * hold zeros: score 0 and value 0, as in the official caches. Query head hq reads kv head
 * hq / (n_head / n_kv_head) (torch {@code repeat_interleave}).
 */
final class CacheAttention {
    private CacheAttention() {
    }

    /**
     * @param qkv      [n, qkvDim] with each entry's q at offset 0 (n_head · hd values)
     * @param keyCache per (row · layers + layer): [capacity, n_kv · hd]
     * @param attn     out [n, n_head · hd]
     */
    static void attend(Parallel pool, GptKernels gpt, ForwardBatch batch, int layer, int layers, float[] qkv, int qkvDim,
                       int nHead, int nKv, int hd, float[][] keyCache, float[][] valueCache, int capacity, float[] attn) {
        final int kvDim = nKv * hd;
        final int group = nHead / nKv;
        final int width = nHead * hd;
        final float scale = (float) (1.0 / Math.sqrt(hd));
        final boolean[] visible = batch.visible();
        Arrays.fill(attn, 0f);
        final int n = batch.rows() * batch.length();
        // Each task takes a run of one entry's heads (slot-major: a cached slot's heads are read together).
        // The run length only spreads the work over the threads; no head's bits depend on it.
        final int perTask = Math.max(1, Math.min(nHead, (int) ((long) nHead * n / (4L * pool.threads()))));
        final int runs = (nHead + perTask - 1) / perTask;
        pool.range(n * runs, (from, to) -> {
            float[] scores = new float[perTask * capacity];
            int[] slots = new int[capacity];
            int count = 0;
            int slotsOf = -1; // the entry whose visible slots `slots` holds (the same for all its heads)
            for (int task = from; task < to; task++) {
                int e = task / runs;
                int hFrom = (task % runs) * perTask;
                int hTo = Math.min(nHead, hFrom + perTask);
                int cache = batch.cacheRowOf(e) * layers + layer;
                if (e != slotsOf) {
                    count = 0;
                    for (int s = 0; s < capacity; s++) {
                        if (visible[e * capacity + s]) {
                            slots[count++] = s;
                        }
                    }
                    slotsOf = e;
                }
                gpt.attendHeads(qkv, e * qkvDim, keyCache[cache], valueCache[cache], kvDim, group, hd, hFrom, hTo,
                        slots, count, scale, scores, attn, e * width);
            }
        });
    }
}
