package io.tessera.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.model.LlamaGenConfig;
import org.junit.jupiter.api.Test;

class GptNetTest {
    /** precompute_freqs_cis_2d(grid=16, n_elem=32, base=10000, cls_token_num=1), computed by its formula. */
    @Test
    void ropeTableMatchesOfficialLayout() {
        LlamaGenConfig c = new LlamaGenConfig(64, 1, 2, 2, 256, Float.NaN, 1e-5f, 10000f, 64, 10, 1, 0.1f, 16);
        float[][] t = GptNet.ropeTable(c);
        int half = 16;
        for (int m = 0; m < half; m++) {
            assertEquals(0f, t[0][m]);  // class token row: cos = sin = 0
            assertEquals(0f, t[1][m]);
        }
        int k = 3 * 16 + 5; // y = 3, x = 5
        for (int m = 0; m < half; m++) {
            double theta = 1.0 / Math.pow(10000, (2.0 * (m % 8)) / half);
            double angle = (m < 8 ? 3 : 5) * theta;
            assertEquals(Math.cos(angle), t[0][(1 + k) * half + m], 1e-5);
            assertEquals(Math.sin(angle), t[1][(1 + k) * half + m], 1e-5);
        }
    }
}
