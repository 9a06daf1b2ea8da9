package io.tessera.cpu;

/**
 * Per-thread working memory of {@link CacheAttention}: grows to the largest pass a thread has seen and is reused,
 * so a pass allocates nothing. Holds no results between calls (every field is written before it is read).
 */
final class AttentionScratch {
    /** Entries one {@link GptKernels.Vector} block serves per loaded key or value vector. */
    static final int BLOCK = 4;

    /** Softmax inputs / probabilities: BLOCK (or a head run's) lists of up to capacity slots. */
    float[] scores = new float[0];
    /** Visible slots of one entry, in slot order. */
    int[] slots = new int[0];
    /** One block slot's four scores. */
    final float[] four = new float[BLOCK];
    /**
     * The pass's blocks (held by the calling thread, read by all): block b's slots that some entry sees,
     * union[b · capacity ..), in slot order, which entries see each (seenBy, bit m = entry m), and how many (count[b]).
     */
    int[] union = new int[0];
    byte[] seenBy = new byte[0];
    int[] count = new int[0];

    /**
     * A bfloat16 cache's keys and values widened to float for the kernels (slot s of a head slice at s · stride), and
     * what they hold: cache row wideCache, kv head wideHead, slots [0, wideUpTo] (block path), or -1 for nothing.
     */
    float[] wideKeys = new float[0];
    float[] wideValues = new float[0];
    int wideCache = -1;
    int wideHead = -1;
    int wideUpTo = -1;

    private static final ThreadLocal<AttentionScratch> PER_THREAD = ThreadLocal.withInitial(AttentionScratch::new);

    /** This thread's scratch, sized for {@code lists} score lists of {@code capacity} slots. */
    static AttentionScratch of(int capacity, int lists) {
        return PER_THREAD.get().fit(capacity, lists);
    }

    AttentionScratch fit(int capacity, int lists) {
        int need = Math.multiplyExact(Math.max(lists, BLOCK), capacity);
        if (scores.length < need) {
            scores = new float[need];
        }
        if (slots.length < capacity) {
            slots = new int[capacity];
        }
        return this;
    }

    /** Sizes the widened key/value buffers for {@code n} floats each; forgets what they held. */
    AttentionScratch fitWide(int n) {
        if (wideKeys.length < n) {
            wideKeys = new float[n];
            wideValues = new float[n];
        }
        wideCache = -1;
        wideHead = -1;
        wideUpTo = -1;
        return this;
    }

    /** Sizes the block arrays for {@code blocks} blocks of {@code capacity} slots. */
    AttentionScratch fitBlocks(int blocks, int capacity) {
        int need = Math.multiplyExact(blocks, capacity);
        if (union.length < need) {
            union = new int[need];
            seenBy = new byte[need];
        }
        if (count.length < blocks) {
            count = new int[blocks];
        }
        return this;
    }
}
