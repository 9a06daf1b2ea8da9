package io.tessera.cpu;

import io.tessera.core.spi.ForwardBatch;

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
     * Work goes head-major inside a cache row: a batch row's entries share its cache row, so its work is the units
     * (row, head, entry) in that order, and a thread's contiguous run of units takes one head slice of the row's keys
     * and values (count × hd × 2 floats) from memory once and reuses it for every entry of the run, from cache,
     * {@link AttentionScratch#BLOCK} entries per loaded vector ({@link GptKernels#attendBlock}). A pass with one entry
     * per cache row (serving, raster) goes entry by entry, a run of heads per task ({@link GptKernels#attendHeads}).
     * Neither the split nor the thread count changes any output's bits.
     *
     * @param qkv      [n, qkvDim] with each entry's q at offset 0 (n_head · hd values)
     * @param keyCache per (row · layers + layer): [n_kv, capacity, hd] (head-major, as {@link KvCache})
     * @param attn     out [n, n_head · hd]
     */
    static void attend(Parallel pool, GptKernels gpt, ForwardBatch batch, int layer, int layers, float[] qkv, int qkvDim,
                       int nHead, int nKv, int hd, float[][] keyCache, float[][] valueCache, int capacity, float[] attn) {
        attend(pool, gpt, batch, layer, layers, qkv, qkvDim, nHead, nKv, hd, keyCache, valueCache, null, null, capacity, attn);
    }

    /**
     * {@link #attend} over a session's cache. A bfloat16 cache is widened to float just before the kernels read it
     * (per task: the visible slots of the task's kv heads, or per (cache row, kv head) of a block run the slots up to the
     * last one its blocks see), so every output has the bits of a float cache holding the same rounded values. A float
     * cache is read in place: a kv head's slots are contiguous, so a block run streams them.
     */
    static void attend(Parallel pool, GptKernels gpt, ForwardBatch batch, int layer, int layers, float[] qkv, int qkvDim,
                       int nHead, int nKv, int hd, KvCache cache, float[] attn) {
        attend(pool, gpt, batch, layer, layers, qkv, qkvDim, nHead, nKv, hd, cache.keys(), cache.values(), cache.keys16(),
                cache.values16(), cache.capacity(), attn);
    }

    private static void attend(Parallel pool, GptKernels gpt, ForwardBatch batch, int layer, int layers, float[] qkv,
                               int qkvDim, int nHead, int nKv, int hd, float[][] keyCache, float[][] valueCache,
                               short[][] keys16, short[][] values16, int capacity, float[] attn) {
        final int group = nHead / nKv;
        final int width = nHead * hd;
        final float scale = (float) (1.0 / Math.sqrt(hd));
        final boolean[] visible = batch.visible();
        final int length = batch.length();
        final int n = batch.rows() * length;
        if (length == 1) {
            entryMajor(pool, gpt, batch, layer, layers, qkv, qkvDim, nHead, group, hd, keyCache, valueCache, keys16, values16,
                    capacity, attn, width, scale, visible, n);
            return;
        }
        // Blocks of BLOCK consecutive entries of a batch row (the last one shorter): the slots any of them sees, and
        // which see each, found once per call on this thread and shared by every head.
        final int block = AttentionScratch.BLOCK;
        final int perRow = (length + block - 1) / block;
        AttentionScratch plan = AttentionScratch.of(capacity, block).fitBlocks(batch.rows() * perRow, capacity);
        final int[] union = plan.union;
        final byte[] seenBy = plan.seenBy;
        final int[] counts = plan.count;
        for (int r = 0; r < batch.rows(); r++) {
            for (int b = 0; b < perRow; b++) {
                int e0 = r * length + b * block;
                int members = Math.min(block, length - b * block);
                int base = (r * perRow + b) * capacity;
                int u = 0;
                for (int s = 0; s < capacity; s++) {
                    int bits = 0;
                    for (int m = 0; m < members; m++) {
                        bits |= visible[(e0 + m) * capacity + s] ? 1 << m : 0;
                    }
                    if (bits != 0) {
                        union[base + u] = s;
                        seenBy[base + u] = (byte) bits;
                        u++;
                    }
                }
                counts[r * perRow + b] = u;
            }
        }
        final int[] cacheRows = batch.cacheRows();
        pool.range(n * nHead, (from, to) -> {
            AttentionScratch scratch = AttentionScratch.of(capacity, block);
            if (keys16 != null) {
                scratch.fitWide(capacity * hd);
            }
            int unit = from;
            while (unit < to) {
                int run = unit / length;          // (batch row, head)
                int r = run / nHead;
                int h = run % nHead;
                int t0 = unit % length;
                int b = t0 / block;
                int t1 = Math.min(Math.min(length, (b + 1) * block), t0 + (to - unit));
                int entries = ((1 << (t1 - t0)) - 1) << (t0 - b * block);
                int cache = cacheRows[r] * layers + layer;
                int blockIndex = r * perRow + b;
                boolean wide = keys16 != null;
                if (wide) {
                    widenHead(scratch, keys16[cache], values16[cache], cache, h / group, capacity, hd, union,
                            blockIndex * capacity, counts[blockIndex]);
                }
                gpt.attendBlock(qkv, qkvDim, h, r * length + b * block, entries, union, seenBy, blockIndex * capacity,
                        counts[blockIndex], wide ? scratch.wideKeys : keyCache[cache], wide ? scratch.wideValues : valueCache[cache],
                        hd, wide ? 0 : (h / group) * capacity * hd, hd, scale, scratch, attn, width);
                unit += t1 - t0;
            }
        });
    }

    /**
     * Widens kv head {@code kvHead} of bfloat16 cache row {@code cache} into the scratch (slot s at s · hd) for every
     * slot up to the last of union[uOff, uOff + count), keeping what an earlier block of the same (row, head) widened;
     * the head's slots are contiguous in the cache, so each call widens one run.
     */
    private static void widenHead(AttentionScratch s, short[] keys16, short[] values16, int cache, int kvHead, int capacity,
                                  int hd, int[] union, int uOff, int count) {
        if (s.wideCache != cache || s.wideHead != kvHead) {
            s.wideCache = cache;
            s.wideHead = kvHead;
            s.wideUpTo = -1;
        }
        int last = count == 0 ? -1 : union[uOff + count - 1];
        int from = s.wideUpTo + 1;
        if (last >= from) {
            int n = (last - from + 1) * hd;
            KvCache.widen(keys16, (kvHead * capacity + from) * hd, s.wideKeys, from * hd, n);
            KvCache.widen(values16, (kvHead * capacity + from) * hd, s.wideValues, from * hd, n);
            s.wideUpTo = last;
        }
    }

    private static void entryMajor(Parallel pool, GptKernels gpt, ForwardBatch batch, int layer, int layers, float[] qkv,
                                   int qkvDim, int nHead, int group, int hd, float[][] keyCache, float[][] valueCache,
                                   short[][] keys16, short[][] values16, int capacity, float[] attn, int width,
                                   float scale, boolean[] visible, int n) {
        // Each task takes a run of one entry's heads (slot-major: a cached slot's heads are read together).
        // The run length only spreads the work over the threads; no head's bits depend on it. A bfloat16 cache takes
        // runs of whole kv-head groups, at most four heads (or one group), so that a run's widened slots stay small.
        int run = Math.max(1, Math.min(nHead, (int) ((long) nHead * n / (4L * pool.threads()))));
        if (keys16 != null) {
            run = Math.min(nHead, ((Math.min(run, 4) + group - 1) / group) * group);
        }
        final int perTask = run;
        final int runs = (nHead + perTask - 1) / perTask;
        pool.range(n * runs, (from, to) -> {
            AttentionScratch scratch = AttentionScratch.of(capacity, perTask);
            int[] slots = scratch.slots;
            int count = 0;
            int slotsOf = -1; // the entry whose visible slots `slots` holds (the same for all its heads)
            for (int task = from; task < to; task++) {
                int e = task / runs;
                int hFrom = (task % runs) * perTask;
                int hTo = Math.min(nHead, hFrom + perTask);
                int cache = batch.cacheRowOf(e) * layers + layer;
                if (e != slotsOf) {
                    count = GptKernels.visibleSlots(visible, e * capacity, capacity, slots);
                    slotsOf = e;
                }
                if (keys16 == null) {
                    gpt.attendHeads(qkv, e * qkvDim, keyCache[cache], valueCache[cache], hd, capacity * hd, group, hd, hFrom,
                            hTo, slots, count, scale, scratch.scores, attn, e * width);
                    continue;
                }
                // the run's kv heads [g0, g1) of its visible slots, widened slot-major (slot s, head g0 + i at
                // s · w + i · hd); hFrom is a multiple of group, so query head hFrom + i reads widened kv head i / group
                int g0 = hFrom / group;
                int g1 = (hTo - 1) / group + 1;
                int w = (g1 - g0) * hd;
                scratch.fitWide(capacity * w);
                for (int j = 0; j < count; j++) {
                    int s = slots[j];
                    for (int g = g0; g < g1; g++) {
                        KvCache.widen(keys16[cache], (g * capacity + s) * hd, scratch.wideKeys, s * w + (g - g0) * hd, hd);
                        KvCache.widen(values16[cache], (g * capacity + s) * hd, scratch.wideValues, s * w + (g - g0) * hd, hd);
                    }
                }
                gpt.attendHeads(qkv, e * qkvDim + hFrom * hd, scratch.wideKeys, scratch.wideValues, w, hd, group, hd, 0,
                        hTo - hFrom, slots, count, scale, scratch.scores, attn, e * width + hFrom * hd);
            }
        });
    }
}
