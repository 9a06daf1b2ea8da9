package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Vector kernels against the scalar reference on odd sizes and tails, for every weight dtype. */
class KernelsTest {
    private static final int[] SIZES = {1, 7, 33, 257};
    private final Kernels vector = Kernels.of(true);
    private final Kernels scalar = Kernels.of(false);

    private static Matrix matrix(DType dt, int rows, int cols, long seed) {
        float[] v = TestTensors.gaussian(seed, rows * cols);
        return Matrix.of(TestTensors.convert(Tensor.ofFloats("w", new long[] {rows, cols}, v), dt));
    }

    private static void assertClose(float[] expected, float[] actual, float tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1f, Math.abs(expected[i])), "index " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void vectorWideningIsExact(DType dt) {
        GptKernels gemm = GptKernels.of(true);
        // One-hot activations pick single weights: every lane of the widening path must be exact,
        // including F16 subnormals and zeros of both signs.
        int cols = 40;
        float[] values = TestTensors.gaussian(5, cols);
        values[0] = 6.0e-8f;   // F16 subnormal
        values[1] = -0.0f;
        values[2] = 1.0e-5f;   // F16 subnormal
        values[3] = 65504f;    // F16 max
        values[4] = -65504f;
        values[5] = -3.0e-6f;
        Matrix w = Matrix.of(TestTensors.convert(Tensor.ofFloats("w", new long[] {1, cols}, values), dt));
        for (int c = 0; c < cols; c++) {
            float[] x = new float[cols];
            x[c] = 1f;
            float[] out = new float[1];
            gemm.matmul(Panels.of(w), 0, 1, x, 1, out);
            assertEquals(w.get(0, c), out[0], 0f, "column " + c);
        }
        // an infinite weight (F16 exponent 31) widens to infinity
        values[4] = Float.POSITIVE_INFINITY;
        Matrix inf = Matrix.of(TestTensors.convert(Tensor.ofFloats("w", new long[] {1, cols}, values), dt));
        float[] ones = new float[cols];
        java.util.Arrays.fill(ones, 1f);
        float[] out = new float[1];
        gemm.matmul(Panels.of(inf), 0, 1, ones, 1, out);
        assertEquals(Float.POSITIVE_INFINITY, out[0]);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 33, 64, 257})
    void dotAxpySumOfSquares(int n) {
        float[] a = TestTensors.gaussian(n, n + 3);
        float[] b = TestTensors.gaussian(n + 1, n + 5);
        assertEquals(scalar.dot(a, 3, b, 5, n), vector.dot(a, 3, b, 5, n), 1e-4f * n);
        assertEquals(scalar.sumOfSquares(a, 2, n), vector.sumOfSquares(a, 2, n), 1e-4f * n);
        float[] y1 = b.clone();
        float[] y2 = b.clone();
        scalar.axpy(0.37f, a, 1, y1, 2, n);
        vector.axpy(0.37f, a, 1, y2, 2, n);
        assertClose(y1, y2, 1e-6f);
    }

    @Test
    void handCheckedGroupNorm() {
        // 4 channels, 2 groups, 2 pixels. Group 0 = {1, 3, 5, 7}: mean 4, var 5; group 1 = {2, 4, 2, 4}: mean 3, var 1.
        float[] x = {1, 3, 5, 7, 2, 4, 2, 4};
        float[] gamma = {1, 2, 1, 1};
        float[] beta = {0, 0, 0.5f, -1};
        float[] out = new float[8];
        Kernels.groupNorm(x, out, 4, 2, 2, gamma, beta, 0f, false, 0, 2);
        float s = (float) (1 / Math.sqrt(5));
        assertArrayEquals(new float[] {-3 * s, -1 * s, 2 * s, 6 * s, -0.5f, 1.5f, -2, 0}, out, 1e-6f);
        Kernels.groupNorm(x, out, 4, 2, 2, gamma, beta, 0f, true, 0, 2);
        assertEquals(-0.5 / (1 + Math.exp(0.5)), out[4], 1e-6);
        assertEquals(-3 * s / (1 + Math.exp(3 * s)), out[0], 1e-6);
    }

    @Test
    void softmaxAndRmsNorm() {
        float[] x = {0, (float) Math.log(3), 5};
        Kernels.softmax(x, 0, 2);
        assertArrayEquals(new float[] {0.25f, 0.75f, 5}, x, 1e-6f);
        float[] v = {3, 4};
        float[] out = new float[2];
        for (Kernels k : new Kernels[] {scalar, vector}) {
            k.rmsNorm(v, 0, 2, new float[] {1, 2}, 0f, out, 0);
            float r = (float) (1 / Math.sqrt(12.5));
            assertArrayEquals(new float[] {3 * r, 8 * r}, out, 1e-6f);
        }
    }

    @Test
    void layerNormMatchesScalarAndTheDoubleFormula() {
        for (int n : SIZES) {
            float[] x = TestTensors.gaussian(n * 3L, n);
            for (int i = 0; i < n; i++) {
                x[i] = 2.5f + 3f * x[i]; // a mean and a scale far from 0 and 1
            }
            float[] w = TestTensors.gaussian(n * 5L, n);
            float[] b = TestTensors.gaussian(n * 7L, n);
            float[] expected = new float[n + 3];
            float[] actual = new float[n + 3];
            scalar.layerNorm(x, 0, n, w, b, 1e-6f, expected, 3);
            vector.layerNorm(x, 0, n, w, b, 1e-6f, actual, 3);
            assertClose(expected, actual, 1e-5f);
            double mean = 0;
            for (float v : x) {
                mean += v;
            }
            mean /= n;
            double var = 0;
            for (float v : x) {
                var += (v - mean) * (v - mean);
            }
            var /= n;
            for (int i = 0; i < n; i++) {
                double want = (x[i] - mean) / Math.sqrt(var + 1e-6) * w[i] + b[i];
                assertEquals(want, actual[3 + i], 1e-4 * Math.max(1, Math.abs(want)), "n " + n + ", index " + i);
            }
        }
    }

    @Test
    void addBiasMatchesScalar() {
        for (int n : SIZES) {
            float[] bias = TestTensors.gaussian(n, n);
            float[] a = TestTensors.gaussian(n + 1L, n + 2);
            float[] c = a.clone();
            scalar.addBias(a, 2, bias, n);
            vector.addBias(c, 2, bias, n);
            assertArrayEquals(a, c);
            assertEquals(TestTensors.gaussian(n + 1L, n + 2)[0] + 0f, a[0]);
        }
    }

    @Test
    void vectorGeluMatchesScalarAndIgnoresTheSplit() {
        float[] x = new float[4001];
        for (int i = 0; i < x.length; i++) {
            x[i] = -10f + 20f * i / (x.length - 1);
        }
        float[] s = x.clone();
        scalar.gelu(s, 0, s.length);
        float[] v = x.clone();
        vector.gelu(v, 0, v.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(s[i], v[i], 3e-7f * Math.max(1f, Math.abs(s[i])) + 1e-9f, "gelu(" + x[i] + ")");
        }
        float[] split = x.clone();
        vector.gelu(split, 0, 3);
        vector.gelu(split, 3, 1000);
        vector.gelu(split, 1000, split.length);
        assertArrayEquals(v, split);
    }

    /** nn.GELU() values: x·Φ(x), Φ from erf (reference values from Python's math.erf). */
    @Test
    void exactGeluMatchesErfValues() {
        float[] x = {-3f, -1f, -0.5f, 0f, 0.5f, 1f, 2f, 5f};
        double[] want = {-0.00404969409489031, -0.15865525393145707, -0.15426876936299347, 0.0, 0.34573123063700656,
            0.8413447460685429, 1.9544997361036416, 4.999998566742141};
        for (Kernels k : new Kernels[] {scalar, vector}) {
            float[] y = x.clone();
            k.gelu(y, 0, y.length);
            for (int i = 0; i < y.length; i++) {
                assertEquals(want[i], y[i], 4e-7 * Math.max(1, Math.abs(want[i])), k.name() + " gelu index " + i);
            }
        }
        // erf itself (math.erf values)
        assertEquals(0.8427007929497149, Kernels.erf(1.0), 2e-7);
        assertEquals(-0.9661051464753108, Kernels.erf(-1.5), 2e-7);
        assertEquals(0.5204998778130465, Kernels.erf(0.5), 2e-7);
    }

    @Test
    void swiGluMatchesScalarAndDoesNotDependOnItsRange() {
        for (int n : SIZES) {
            float[] gate = TestTensors.gaussian(11 + n, n);
            float[] up = TestTensors.gaussian(12 + n, n);
            for (int i = 0; i < n; i += 5) {
                gate[i] *= 30f; // both saturated ends of σ
            }
            float[] ref = gate.clone();
            scalar.swiGlu(ref, up, 0, n);
            float[] whole = gate.clone();
            vector.swiGlu(whole, up, 0, n);
            assertClose(ref, whole, 1e-6f);
            // every split point: an element has the same bits in a vector body and in a masked tail
            for (int split = 0; split <= n; split += Math.max(1, n / 9)) {
                float[] parts = gate.clone();
                vector.swiGlu(parts, up, 0, split);
                vector.swiGlu(parts, up, split, n);
                assertArrayEquals(whole, parts, "n " + n + " split " + split);
            }
        }
    }
}
