package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The grouped, blocked attention of a pass gives every (entry, head) exactly the bits of {@link GptKernels#attend} on
 * that entry alone, whatever entries share its cache row or block, however the pass is split, on any thread count.
 */
class CacheAttentionTest {
    private final GptKernels vector = GptKernels.of(true);
    private final GptKernels scalar = GptKernels.of(false);

    /** A pass with random masks: each entry sees a random subset of slots (density per entry differs; some none). */
    private static ForwardBatch batch(SplittableRandom rnd, int rows, int length, int capacity, int[] cacheRows) {
        int n = rows * length;
        EntryKind[] kinds = new EntryKind[n];
        Arrays.fill(kinds, EntryKind.TOKEN);
        int[] zeros = new int[n];
        int[] slots = new int[n];
        boolean[] visible = new boolean[n * capacity];
        for (int e = 0; e < n; e++) {
            slots[e] = rnd.nextInt(capacity);
            double density = switch (e % 5) {
                case 0 -> 1.0;            // sees everything (the all-seen fast path of a block)
                case 1 -> 0.0;            // sees nothing
                default -> rnd.nextDouble();
            };
            int prefix = rnd.nextInt(capacity + 1); // causal-like: a prefix, thinned
            for (int s = 0; s < capacity; s++) {
                visible[e * capacity + s] = (e % 5 == 0) || (s < prefix && rnd.nextDouble() < density);
            }
        }
        return new ForwardBatch(rows, length, kinds, zeros, zeros, slots, visible, cacheRows);
    }

    /** The reference: per (entry, head), {@link GptKernels#attend} over that entry's own visible slots. */
    private static float[] perEntry(GptKernels k, ForwardBatch b, int layer, int layers, float[] qkv, int qkvDim, int nHead,
                                    int nKv, int hd, float[][] keys, float[][] values, int capacity) {
        int n = b.rows() * b.length();
        float[] out = new float[n * nHead * hd];
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int e = 0; e < n; e++) {
            int[] slots = new int[capacity];
            int count = GptKernels.visibleSlots(b.visible(), e * capacity, capacity, slots);
            int cache = b.cacheRowOf(e) * layers + layer;
            for (int h = 0; h < nHead; h++) {
                k.attend(qkv, e * qkvDim + h * hd, keys[cache], values[cache], hd, (h / (nHead / nKv)) * capacity * hd, hd,
                        slots, count, scale, new float[capacity], out, (e * nHead + h) * hd);
            }
        }
        return out;
    }

    @Test
    void groupedPassHasEachEntrysOwnBitsOnAnyThreadCount() {
        int lanes = VectorKernels.L;
        SplittableRandom rnd = new SplittableRandom(13);
        int layers = 2;
        int layer = 1;
        for (int hd : new int[] {lanes, 64, 64 + 3}) {
            for (int[] heads : new int[][] {{4, 4}, {6, 3}, {3, 1}}) {
                int nHead = heads[0];
                int nKv = heads[1];
                for (int[] shape : new int[][] {{2, 1}, {1, 7}, {2, 25}, {3, 6}, {4, 2}}) {
                    int rows = shape[0];
                    int length = shape[1];
                    int capacity = 1 + rnd.nextInt(3 * lanes + 5);
                    int cacheRowsTotal = rows + 2;
                    int[] cacheRows = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        cacheRows[r] = cacheRowsTotal - 1 - r; // a subset, in reverse order
                    }
                    ForwardBatch b = batch(rnd, rows, length, capacity, cacheRows);
                    int qkvDim = nHead * hd + 2 * nKv * hd + 1;
                    float[] qkv = TestTensors.gaussian(rnd.nextLong(), rows * length * qkvDim);
                    float[][] keys = new float[cacheRowsTotal * layers][];
                    float[][] values = new float[cacheRowsTotal * layers][];
                    for (int c = 0; c < keys.length; c++) {
                        keys[c] = TestTensors.gaussian(rnd.nextLong(), capacity * nKv * hd);
                        values[c] = TestTensors.gaussian(rnd.nextLong(), capacity * nKv * hd);
                    }
                    float[] expected = perEntry(vector, b, layer, layers, qkv, qkvDim, nHead, nKv, hd, keys, values, capacity);
                    String what = "hd " + hd + " heads " + nHead + "/" + nKv + " rows " + rows + " × " + length
                            + " capacity " + capacity;
                    for (int threads : new int[] {1, 2, 3, 5}) {
                        try (Parallel pool = new Parallel(threads, "attn-test")) {
                            float[] actual = new float[expected.length];
                            Arrays.fill(actual, Float.NaN); // every output must be written
                            CacheAttention.attend(pool, vector, b, layer, layers, qkv, qkvDim, nHead, nKv, hd, keys, values,
                                    capacity, actual);
                            assertArrayEquals(expected, actual, what + " threads " + threads);
                        }
                    }
                    try (Parallel pool = new Parallel(2, "attn-test")) {
                        float[] ref = new float[expected.length];
                        CacheAttention.attend(pool, scalar, b, layer, layers, qkv, qkvDim, nHead, nKv, hd, keys, values,
                                capacity, ref);
                        for (int i = 0; i < ref.length; i++) {
                            assertEquals(ref[i], expected[i], 1e-5f * hd * Math.max(1f, Math.abs(ref[i])), what + " scalar " + i);
                        }
                    }
                }
            }
        }
    }

    /**
     * A bfloat16 cache (kv_cache: bfloat16) gives every (entry, head) exactly the bits of a float cache holding the same
     * rounded values, on the entry-major path (one entry per cache row) and the block path, with GQA, on any thread
     * count, for vector and scalar kernels.
     */
    @Test
    void bfloat16CacheHasTheBitsOfAFloatCacheOfTheRoundedValues() {
        SplittableRandom rnd = new SplittableRandom(29);
        int layers = 2;
        int layer = 1;
        for (int hd : new int[] {VectorKernels.L, 64, 64 + 3}) {
            for (int[] heads : new int[][] {{4, 4}, {12, 12}, {6, 3}, {3, 1}}) {
                int nHead = heads[0];
                int nKv = heads[1];
                for (int[] shape : new int[][] {{2, 1}, {16, 1}, {1, 7}, {2, 25}}) {
                    int rows = shape[0];
                    int length = shape[1];
                    int capacity = 1 + rnd.nextInt(40);
                    int[] cacheRows = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        cacheRows[r] = rows - 1 - r;
                    }
                    ForwardBatch b = batch(rnd, rows, length, capacity, cacheRows);
                    int qkvDim = nHead * hd + 2 * nKv * hd;
                    float[] qkv = TestTensors.gaussian(rnd.nextLong(), rows * length * qkvDim);
                    KvCache cache = new KvCache(layers, nKv * hd, hd, true);
                    cache.reset(rows, capacity);
                    float[][] keys = new float[rows * layers][];
                    float[][] values = new float[rows * layers][];
                    for (int c = 0; c < keys.length; c++) {
                        keys[c] = TestTensors.gaussian(rnd.nextLong(), capacity * nKv * hd);
                        values[c] = TestTensors.gaussian(rnd.nextLong(), capacity * nKv * hd);
                        for (int i = 0; i < keys[c].length; i++) {
                            cache.keys16()[c][i] = KvCache.toBf16(keys[c][i]);
                            cache.values16()[c][i] = KvCache.toBf16(values[c][i]);
                            keys[c][i] = Float.intBitsToFloat(cache.keys16()[c][i] << 16);
                            values[c][i] = Float.intBitsToFloat(cache.values16()[c][i] << 16);
                        }
                    }
                    String what = "hd " + hd + " heads " + nHead + "/" + nKv + " rows " + rows + " × " + length
                            + " capacity " + capacity;
                    for (GptKernels k : new GptKernels[] {vector, scalar}) {
                        float[] expected = perEntry(k, b, layer, layers, qkv, qkvDim, nHead, nKv, hd, keys, values, capacity);
                        for (int threads : new int[] {1, 2, 3}) {
                            try (Parallel pool = new Parallel(threads, "attn-test")) {
                                float[] actual = new float[expected.length];
                                Arrays.fill(actual, Float.NaN);
                                CacheAttention.attend(pool, k, b, layer, layers, qkv, qkvDim, nHead, nKv, hd, cache, actual);
                                assertArrayEquals(expected, actual, what + " " + k.getClass().getSimpleName() + " threads " + threads);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * attendBlock gives each entry taking part the bits of attend alone, for every subset of a block's four entries
     * (how the pool's chunks cut a block; a lone entry; absent entries' marks ignored), with random masks; it writes
     * nothing of the entries not taking part.
     */
    @Test
    void attendBlockHasEachEntrysBitsForAnySubset() {
        int lanes = VectorKernels.L;
        SplittableRandom rnd = new SplittableRandom(7);
        for (int hd : new int[] {lanes / 2, lanes, 2 * lanes, 2 * lanes + 1, 3 * lanes + 3, 64}) {
            int nKv = 2;
            int stride = nKv * hd + 1;
            int block = AttentionScratch.BLOCK;
            int capacity = 2 * lanes + 7;
            for (int trial = 0; trial < 4; trial++) {
                ForwardBatch b = batch(rnd, 1, block, capacity, new int[] {0});
                int qStride = 3 * hd + 2;
                float[] q = TestTensors.gaussian(rnd.nextLong(), block * qStride);
                float[] keys = TestTensors.gaussian(rnd.nextLong(), capacity * stride);
                float[] values = TestTensors.gaussian(rnd.nextLong(), capacity * stride);
                float scale = (float) (1 / Math.sqrt(hd));
                int h = 1;
                int kvOff = hd;
                int outStride = 2 * hd + 1;
                float[] expected = new float[block * outStride];
                for (int e = 0; e < block; e++) {
                    int[] slots = new int[capacity];
                    int count = GptKernels.visibleSlots(b.visible(), e * capacity, capacity, slots);
                    vector.attend(q, e * qStride + h * hd, keys, values, stride, kvOff, hd, slots, count, scale,
                            new float[capacity], expected, e * outStride + h * hd);
                }
                int[] union = new int[capacity + 3];
                byte[] seenBy = new byte[capacity + 3];
                int u = 3; // at an offset, as a pass's later blocks are
                for (int s = 0; s < capacity; s++) {
                    int bits = 0;
                    for (int m = 0; m < block; m++) {
                        bits |= b.visible()[m * capacity + s] ? 1 << m : 0;
                    }
                    if (bits != 0) {
                        union[u] = s;
                        seenBy[u++] = (byte) bits;
                    }
                }
                for (int entries = 1; entries < 1 << block; entries++) {
                    float[] actual = new float[expected.length];
                    Arrays.fill(actual, Float.NaN);
                    vector.attendBlock(q, qStride, h, 0, entries, union, seenBy, 3, u - 3, keys, values, stride, kvOff, hd,
                            scale, new AttentionScratch().fit(capacity, 1), actual, outStride);
                    for (int e = 0; e < block; e++) {
                        for (int i = e * outStride; i < (e + 1) * outStride; i++) {
                            boolean mine = (entries & (1 << e)) != 0 && i >= e * outStride + h * hd
                                    && i < e * outStride + (h + 1) * hd;
                            if (mine) {
                                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                                        "hd " + hd + " entries " + entries + " entry " + e + " index " + i);
                            } else {
                                assertEquals(Float.NaN, actual[i], "hd " + hd + " entries " + entries + " wrote index " + i);
                            }
                        }
                    }
                }
            }
        }
    }
}
