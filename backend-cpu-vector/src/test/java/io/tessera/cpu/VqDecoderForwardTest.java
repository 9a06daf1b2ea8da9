package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.core.model.RandomWeights;
import org.junit.jupiter.api.Test;

/** The VQ decoder on a tiny random config: codebook 64×8, z 32, ch 32, ch_mult [1, 2], 2 res blocks per level. */
class VqDecoderForwardTest {
    private static final VqConfig CONFIG = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 1, 3);
    private static final int[] TOKENS = {0, 5, 63, 17, 17, 2, 40, 41, 9, 33, 1, 62}; // n = 2, h = 3, w = 2

    private static float[] decode(VqWeights w, int threads, String kernels) {
        try (VqDecoderSession s = new CpuVectorBackend().openDecoder(w, TestTensors.options(threads, kernels))) {
            return s.decode(TOKENS, 2, 3, 2);
        }
    }

    private static VqWeights weights(DType dt) {
        return new VqWeights(CONFIG, TestTensors.checkpoint(TestTensors.convertAll(RandomWeights.vq(CONFIG, 5), dt)));
    }

    @Test
    void decodesToFiniteImagesOfTwiceTheGrid() {
        float[] img = decode(weights(DType.F32), 2, "vector");
        assertEquals(2 * 3 * 6 * 4, img.length);
        double energy = 0;
        for (float v : img) {
            assertTrue(Float.isFinite(v));
            energy += v * v;
        }
        assertTrue(energy > 0);
        // the two images come from different tokens
        boolean differ = false;
        for (int i = 0; i < 72; i++) {
            differ |= img[i] != img[72 + i];
        }
        assertTrue(differ);
    }

    @Test
    void deterministicAcrossThreadCountsAndCloseToScalar() {
        VqWeights w = weights(DType.F32);
        float[] one = decode(w, 1, "vector");
        assertArrayEquals(one, decode(w, 2, "vector"));
        float[] s1 = decode(w, 1, "scalar");
        assertArrayEquals(s1, decode(w, 2, "scalar"));
        for (int i = 0; i < one.length; i++) {
            assertEquals(s1[i], one[i], 1e-4f * Math.max(1f, Math.abs(s1[i])), "pixel " + i);
        }
    }

    @Test
    void bf16WeightsDecodeClose() {
        float[] ref = decode(weights(DType.F32), 2, "vector");
        float[] bf = decode(weights(DType.BF16), 2, "vector");
        double max = 0;
        double scale = 0;
        for (int i = 0; i < ref.length; i++) {
            max = Math.max(max, Math.abs(ref[i] - bf[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        assertTrue(max < 0.05 * scale, "max |Δ| " + max + " vs " + scale);
    }
}
