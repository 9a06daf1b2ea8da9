package io.tessera.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class Rope2dTest {
    /** precompute_freqs_cis_2d(grid=16, n_elem=32, base=10000, cls_token_num=1), by its formula in double. */
    @Test
    void matchesTheOfficialFormulaAndLayout() {
        Rope2d t = Rope2d.of(16, 32, 10000f);
        int half = 16;
        assertEquals(half, t.pairs());
        assertEquals(1 + 256, t.positions());
        for (int m = 0; m < half; m++) {
            assertEquals(0f, t.cos()[m]);  // class token row: cos = sin = 0
            assertEquals(0f, t.sin()[m]);
        }
        int k = 3 * 16 + 5; // y = 3, x = 5
        float[] inter = t.interleaved();
        for (int m = 0; m < half; m++) {
            double theta = 1.0 / Math.pow(10000, (2.0 * (m % 8)) / half);
            double angle = (m < 8 ? 3 : 5) * theta;
            assertEquals(Math.cos(angle), t.cos()[t.offset(1 + k) + m], 1e-5);
            assertEquals(Math.sin(angle), t.sin()[t.offset(1 + k) + m], 1e-5);
            assertEquals(t.cos()[t.offset(1 + k) + m], inter[2 * (t.offset(1 + k) + m)]);
            assertEquals(t.sin()[t.offset(1 + k) + m], inter[2 * (t.offset(1 + k) + m) + 1]);
        }
    }
}
