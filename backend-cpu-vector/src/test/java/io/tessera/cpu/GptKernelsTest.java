package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The decode-step kernels against the scalar reference on odd sizes and tails. */
class GptKernelsTest {
    private final GptKernels vector = GptKernels.of(true);
    private final GptKernels scalar = GptKernels.of(false);

    private static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1f, Math.abs(expected[i])), what + " index " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matmulMatchesScalarOnTails(DType dt) {
        for (int cols : new int[] {1, 7, 16, 33, 47, 257}) {
            Matrix w = Matrix.of(TestTensors.convert(
                    Tensor.ofFloats("w", new long[] {6, cols}, TestTensors.gaussian(cols, 6 * cols)), dt));
            for (int rows : new int[] {1, 2, 3, 4, 5, 7, 9}) {
                float[] x = TestTensors.gaussian(rows * 7L + cols, rows * cols);
                float[] expected = new float[rows * 6];
                float[] actual = new float[rows * 6];
                scalar.matmul(w, 0, 6, x, rows, expected);
                vector.matmul(w, 0, 6, x, rows, actual);
                assertClose(expected, actual, 1e-4f * (float) Math.sqrt(cols), dt + " " + rows + "×" + cols);
                // a row's value depends neither on how many rows came with it nor on the range
                for (int r = 0; r < rows; r++) {
                    float[] one = new float[6];
                    float[] xr = Arrays.copyOfRange(x, r * cols, (r + 1) * cols);
                    vector.matmul(w, 0, 2, xr, 1, one);
                    vector.matmul(w, 2, 6, xr, 1, one);
                    assertArrayEquals(Arrays.copyOfRange(actual, r * 6, (r + 1) * 6), one, "row " + r);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void tiledMatmulGivesTheSameBitsForAnyTileAndRowCount(DType dt) {
        int cols = 67;
        int outRows = 13;
        Matrix w = Matrix.of(TestTensors.convert(
                Tensor.ofFloats("w", new long[] {outRows, cols}, TestTensors.gaussian(5, outRows * cols)), dt));
        GptKernels.Vector v = new GptKernels.Vector();
        for (int rows : new int[] {3, 6, 11, 17}) {
            float[] x = TestTensors.gaussian(rows, rows * cols);
            float[] whole = new float[rows * outRows];
            v.matmul(w, 0, outRows, x, rows, whole, Long.MAX_VALUE / 4);
            for (long blockBytes : new long[] {1, 5L * cols * 4, 9L * cols * 4}) {
                for (int split : new int[] {1, 4, 6}) {
                    float[] tiled = new float[rows * outRows];
                    v.matmul(w, 0, split, x, rows, tiled, blockBytes);
                    v.matmul(w, split, outRows, x, rows, tiled, blockBytes);
                    assertArrayEquals(whole, tiled, rows + " rows, block " + blockBytes + " bytes, split at " + split);
                }
            }
            for (int r = 0; r < rows; r++) {
                float[] one = new float[outRows];
                v.matmul(w, 0, outRows, Arrays.copyOfRange(x, r * cols, (r + 1) * cols), 1, one);
                assertArrayEquals(Arrays.copyOfRange(whole, r * outRows, (r + 1) * outRows), one, "row " + r + " of " + rows);
            }
        }
    }

    @Test
    void attendMatchesScalar() {
        for (int hd : new int[] {1, 8, 17, 64}) {
            for (int count : new int[] {1, 5, 16, 33}) {
                int stride = 2 * hd + 3;  // two kv heads per slot, plus padding
                int kvOff = hd;           // the second head
                int capacity = 2 * count + 1;
                float[] keys = TestTensors.gaussian(hd * 11L + count, capacity * stride);
                float[] values = TestTensors.gaussian(hd * 13L + count, capacity * stride);
                float[] q = TestTensors.gaussian(hd + count, hd + 2);
                int[] slots = new int[count];
                for (int j = 0; j < count; j++) {
                    slots[j] = 2 * j + (j % 2); // gaps, as a mask leaves them
                }
                float[] expected = new float[hd + 4];
                float[] actual = new float[hd + 4];
                Arrays.fill(expected, 9f);
                Arrays.fill(actual, 9f);
                float scale = (float) (1 / Math.sqrt(hd));
                scalar.attend(q, 2, keys, values, stride, kvOff, hd, slots, count, scale, new float[count], expected, 3);
                vector.attend(q, 2, keys, values, stride, kvOff, hd, slots, count, scale, new float[count], actual, 3);
                assertClose(expected, actual, 1e-5f * hd, "hd " + hd + " count " + count);
            }
        }
    }

    @Test
    void butterflySumIsExactOnIntegers() {
        float[] v = new float[VectorKernels.L];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        assertEquals(v.length * (v.length + 1) / 2f,
                GptKernels.Vector.hsum(jdk.incubator.vector.FloatVector.fromArray(VectorKernels.F, v, 0)));
    }
}
