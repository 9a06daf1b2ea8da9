package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The packed-GEMM convolution against the direct-loop reference on odd shapes, tails and block edges. */
class ConvKernelsTest {
    private final ConvKernels vector = ConvKernels.of(true);
    private final ConvKernels scalar = ConvKernels.of(false);

    private static float[] conv(ConvKernels k, int threads, float[] w, float[] bias, int cout, int cin, int ks, float[] in,
                                int h, int wd, boolean up) {
        int f = up ? 4 : 1;
        float[] out = new float[cout * h * wd * f];
        try (Parallel pool = new Parallel(threads, "test")) {
            k.conv(pool, k.pack("w", w, bias, cout, cin, ks), in, h, wd, up, out);
        }
        return out;
    }

    @Test
    void vectorMatchesScalarOnOddShapes() {
        // channel counts around MR = 8, the 64-channel task group and the 64-channel K block
        int[][] shapes = {{1, 1, 1, 1}, {3, 5, 3, 5}, {9, 7, 2, 7}, {17, 70, 5, 3}, {70, 65, 4, 9}, {8, 16, 16, 16}};
        for (int[] s : shapes) {
            int cout = s[0];
            int cin = s[1];
            int h = s[2];
            int wd = s[3];
            float[] in = TestTensors.gaussian(cin * 31L + h, cin * h * wd);
            float[] bias = TestTensors.gaussian(cout, cout);
            for (int ks : new int[] {1, 3}) {
                float[] w = TestTensors.gaussian(cout * 7L + ks, cout * cin * ks * ks);
                for (boolean up : new boolean[] {false, true}) {
                    float[] expected = conv(scalar, 1, w, bias, cout, cin, ks, in, h, wd, up);
                    float[] actual = conv(vector, 1, w, bias, cout, cin, ks, in, h, wd, up);
                    String what = cout + "×" + cin + " " + h + "×" + wd + " k" + ks + (up ? " up" : "");
                    float tol = 1e-5f * cin * ks * ks;
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], actual[i], tol * Math.max(1f, Math.abs(expected[i])), what + " index " + i);
                    }
                    assertArrayEquals(actual, conv(vector, 2, w, bias, cout, cin, ks, in, h, wd, up), what + ", 2 threads");
                    assertArrayEquals(expected, conv(scalar, 3, w, bias, cout, cin, ks, in, h, wd, up), what + ", scalar 3 threads");
                }
            }
        }
    }

    @Test
    void winogradMatchesScalar() {
        // {cout, cin, h, w, upsample}: channels off the MR = 8 panels; 272 tiles (the last task short);
        // a tile grid 17 wide; the upsampled input; a 16-channel output (the smallest Winograd takes)
        int[][] shapes = {{20, 70, 32, 34, 0}, {16, 9, 16, 17, 1}, {33, 5, 34, 32, 0}};
        for (int[] s : shapes) {
            int cout = s[0];
            int cin = s[1];
            int h = s[2];
            int wd = s[3];
            boolean up = s[4] == 1;
            int f = up ? 2 : 1;
            assertTrue(VectorConvKernels.winograd(3, cin, cout, h * f, wd * f), "shape takes the Winograd path");
            float[] in = TestTensors.gaussian(cin * 13L + h, cin * h * wd);
            float[] bias = TestTensors.gaussian(cout + 1, cout);
            float[] w = TestTensors.gaussian(cout * 5L + cin, cout * cin * 9);
            float[] expected = conv(scalar, 1, w, bias, cout, cin, 3, in, h, wd, up);
            float[] actual = conv(vector, 1, w, bias, cout, cin, 3, in, h, wd, up);
            String what = cout + "×" + cin + " " + h + "×" + wd + (up ? " up" : "");
            float tol = 1e-5f * cin * 9;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], tol * Math.max(1f, Math.abs(expected[i])), what + " index " + i);
            }
            assertArrayEquals(actual, conv(vector, 2, w, bias, cout, cin, 3, in, h, wd, up), what + ", 2 threads");
            assertArrayEquals(actual, conv(vector, 3, w, bias, cout, cin, 3, in, h, wd, up), what + ", 3 threads");
        }
        // below the thresholds the direct GEMM runs
        assertFalse(VectorConvKernels.winograd(3, 128, 3, 256, 256), "conv_out (3 channels)");
        assertFalse(VectorConvKernels.winograd(3, 256, 256, 8, 8), "8×8");
        assertFalse(VectorConvKernels.winograd(3, 64, 64, 33, 64), "odd height");
        assertFalse(VectorConvKernels.winograd(1, 64, 64, 64, 64), "1×1");
        assertFalse(VectorConvKernels.winograd(3, 512, 512, 32, 32), "512×512 weights (kept direct: memory)");
        assertTrue(VectorConvKernels.winograd(3, 512, 256, 32, 32), "512→256");
    }

    @Test
    void normConvIsGroupNormThenConv() {
        // {cout, cin, h, w}: a row tail (w = 7 < L), an even image that takes Winograd, 1×1; groups of 2 channels
        int[][] shapes = {{9, 6, 5, 7}, {16, 8, 32, 32}, {5, 4, 3, 19}};
        for (int[] s : shapes) {
            int cout = s[0];
            int cin = s[1];
            int h = s[2];
            int wd = s[3];
            int groups = cin / 2;
            float[] in = TestTensors.gaussian(cin * 3L + wd, cin * h * wd);
            for (int i = 0; i < in.length; i++) {
                in[i] = in[i] * 3f + 0.7f;
            }
            float[] gamma = TestTensors.gaussian(cin + 2, cin);
            float[] beta = TestTensors.gaussian(cin + 3, cin);
            float[] bias = TestTensors.gaussian(cout + 4, cout);
            for (int ks : new int[] {1, 3}) {
                float[] w = TestTensors.gaussian(cout * 11L + ks, cout * cin * ks * ks);
                for (boolean up : new boolean[] {false, true}) {
                    for (boolean swish : new boolean[] {false, true}) {
                        String what = cout + "×" + cin + " " + h + "×" + wd + " k" + ks + (up ? " up" : "") + (swish ? " swish" : "");
                        float[] normed = new float[in.length];
                        vector.groupNorm(in, normed, cin, h * wd, groups, gamma, beta, 1e-6f, swish, 0, groups);
                        float[] expected = conv(vector, 2, w, bias, cout, cin, ks, normed, h, wd, up);
                        float[] fused = new float[expected.length];
                        float[] ref = new float[expected.length];
                        try (Parallel pool = new Parallel(2, "test")) {
                            vector.normConv(pool, vector.pack("w", w, bias, cout, cin, ks), in, h, wd, up, fused, groups,
                                    gamma, beta, 1e-6f, swish);
                            scalar.normConv(pool, scalar.pack("w", w, bias, cout, cin, ks), in, h, wd, up, ref, groups,
                                    gamma, beta, 1e-6f, swish);
                        }
                        assertArrayEquals(expected, fused, what + ": fused = groupNorm then conv, bit for bit");
                        float tol = 1e-5f * cin * ks * ks;
                        for (int i = 0; i < ref.length; i++) {
                            assertEquals(ref[i], fused[i], tol * Math.max(1f, Math.abs(ref[i])), what + " vs scalar, index " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void nearestUpsampleThenIdentity() {
        // nearest ×2 upsample then a 1×1 identity conv: each pixel repeated in a 2×2 block
        float[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        for (ConvKernels k : new ConvKernels[] {scalar, vector}) {
            float[] up = conv(k, 1, new float[] {1f}, new float[] {0f}, 1, 1, 1, in, 3, 3, true);
            assertEquals(1f, up[0]);
            assertEquals(1f, up[7]);
            assertEquals(2f, up[2]);
            assertEquals(9f, up[35]);
            assertEquals(5f, up[2 * 6 + 2]);
        }
    }

    @Test
    void handChecked() {
        // in: one channel 3×3 = 1..9; channel 0: 3×3 of ones, bias 0.5 → sum of the zero-padded
        // neighbourhood + 0.5; channel 1: only the centre tap = 2, bias −1.
        float[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] a = new float[18];
        java.util.Arrays.fill(a, 0, 9, 1f);
        a[9 + 4] = 2f;
        float[] bias = {0.5f, -1f};
        float[] expected = {
            12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f,
            1, 3, 5, 7, 9, 11, 13, 15, 17};
        for (ConvKernels k : new ConvKernels[] {scalar, vector}) {
            assertArrayEquals(expected, conv(k, 1, a, bias, 2, 1, 3, in, 3, 3, false), 1e-6f);
            // nearest ×2 upsample then a 1×1 identity: each pixel repeated in a 2×2 block
            float[] up = conv(k, 1, new float[] {1f}, new float[] {0f}, 1, 1, 1, in, 3, 3, true);
            assertEquals(1f, up[0]);
            assertEquals(1f, up[7]);
            assertEquals(2f, up[2]);
            assertEquals(5f, up[2 * 6 + 2]);
            assertEquals(9f, up[35]);
        }
    }

    @Test
    void groupNormMatchesScalarOnTails() {
        for (int hw : new int[] {1, 7, 33, 257, 1031}) {
            int channels = 6;
            int groups = 3;
            float[] x = TestTensors.gaussian(hw, channels * hw);
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 4f + 1.5f; // off-centre, |v| up to ~25 after the affine
            }
            float[] gamma = TestTensors.gaussian(hw + 1, channels);
            float[] beta = TestTensors.gaussian(hw + 2, channels);
            for (boolean swish : new boolean[] {false, true}) {
                float[] expected = new float[x.length];
                float[] actual = new float[x.length];
                scalar.groupNorm(x, expected, channels, hw, groups, gamma, beta, 1e-6f, swish, 0, groups);
                vector.groupNorm(x, actual, channels, hw, groups, gamma, beta, 1e-6f, swish, 0, groups);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(expected[i], actual[i], 2e-6f * Math.max(1f, Math.abs(expected[i])),
                            "hw " + hw + (swish ? " swish" : "") + " index " + i);
                }
                float[] split = new float[x.length];
                vector.groupNorm(x, split, channels, hw, groups, gamma, beta, 1e-6f, swish, 0, 1);
                vector.groupNorm(x, split, channels, hw, groups, gamma, beta, 1e-6f, swish, 1, groups);
                assertArrayEquals(actual, split, "groups split over calls");
            }
        }
    }

    @Test
    void vectorExpAndSilu() {
        var f = VectorKernels.F;
        float[] xs = new float[f.length()];
        double worst = 0;
        for (float x = -87f; x <= 88f; x += 0.0137f) {
            java.util.Arrays.fill(xs, x);
            float e = VectorConvKernels.exp(jdk.incubator.vector.FloatVector.fromArray(f, xs, 0)).lane(0);
            float ref = (float) Math.exp(x);
            worst = Math.max(worst, Math.abs(e - ref) / Math.ulp(ref));
        }
        org.junit.jupiter.api.Assertions.assertTrue(worst <= 2, "exp within 2 ulp, worst " + worst);
        float[] vs = {0f, -0f, 1f, -1f, 20f, -20f, 100f, -100f, 1e-30f, Float.NaN};
        for (float v : vs) {
            java.util.Arrays.fill(xs, v);
            float s = VectorConvKernels.silu(jdk.incubator.vector.FloatVector.fromArray(f, xs, 0)).lane(0);
            float ref = Kernels.silu(v);
            if (Float.isNaN(v)) {
                org.junit.jupiter.api.Assertions.assertTrue(Float.isNaN(s), "silu(NaN)");
            } else {
                assertEquals(ref, s, 1e-6f * Math.max(1f, Math.abs(ref)), "silu(" + v + ")");
            }
        }
    }
}
