package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bfloat16 slots of {@code kv_cache: bfloat16}: rounding to nearest even and exact widening. */
class KvCacheTest {
    private static float widened(short h) {
        return Float.intBitsToFloat(h << 16);
    }

    @Test
    void roundsToNearestEvenLikeTorch() {
        assertEquals((short) 0x3f80, KvCache.toBf16(1f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1)
        assertEquals((short) 0x3f80, KvCache.toBf16(1f + 0x1p-8f));
        // 1 + 3 · 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
        assertEquals((short) 0x3f82, KvCache.toBf16(1f + 3 * 0x1p-8f));
        assertEquals((short) 0x3f81, KvCache.toBf16(1f + 0x1p-8f + 0x1p-20f)); // just above the tie: up
        assertEquals((short) 0xbf80, KvCache.toBf16(-1f));
        assertEquals((short) 0x7f80, KvCache.toBf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x7f80, KvCache.toBf16(Float.MAX_VALUE)); // rounds past the largest bfloat16
        assertEquals((short) 0x7fc0, KvCache.toBf16(Float.NaN));
        assertEquals((short) 0x8000, KvCache.toBf16(-0f));
    }

    @Test
    void roundedValueIsTheNearestBfloat16AndWideningIsExact() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 4099;
        float[] x = new float[n];
        short[] h = new short[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-30, 30)));
            h[i] = KvCache.toBf16(x[i]);
            float r = widened(h[i]);
            float down = widened((short) (h[i] - 1));
            float up = widened((short) (h[i] + 1));
            assertTrue(Math.abs(x[i] - r) <= Math.abs(x[i] - down) && Math.abs(x[i] - r) <= Math.abs(x[i] - up),
                    x[i] + " → " + r);
        }
        float[] out = new float[n + 3];
        KvCache.widen(h, 0, out, 3, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(widened(h[i])), Float.floatToRawIntBits(out[3 + i]), "element " + i);
        }
    }
}
