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
        pool.range(batch.rows() * batch.length() * nHead, (from, to) -> {
            float[] scores = new float[capacity];
            int[] slots = new int[capacity];
            for (int task = from; task < to; task++) {
                int e = task / nHead;
                int hq = task % nHead;
                int cache = batch.cacheRowOf(e) * layers + layer;
                float[] keys = keyCache[cache];
                float[] values = valueCache[cache];
                int q = e * qkvDim + hq * hd;
                int kvOff = (hq / group) * hd;
                int count = 0;
                for (int s = 0; s < capacity; s++) {
                    if (visible[e * capacity + s]) {
                        slots[count++] = s;
                    }
                }
                gpt.attend(qkv, q, keys, values, kvDim, kvOff, hd, slots, count, scale, scores, attn, e * width + hq * hd);
            }
        });
    }
}
