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
    /** The vector kernel at this JVM's vector length. */
    private final GptKernels[] vectors = {new GptKernels.Vector()};

    private static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1f, Math.abs(expected[i])), what + " index " + i);
        }
    }

    /** The defining sum in double precision, for a tolerance check of the FMA chain itself. */
    private static double exact(Matrix w, float[] x, int r, int o) {
        double s = 0;
        for (int i = 0; i < w.cols(); i++) {
            s += (double) w.get(o, i) * x[r * w.cols() + i];
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matmulGivesTheScalarChainsBitsOnEveryShape(DType dt) {
        for (int outs : new int[] {1, 6, 31, 32, 33, 70}) {
            for (int cols : new int[] {1, 7, 16, 47, 257}) {
                Matrix m = Matrix.of(TestTensors.convert(
                        Tensor.ofFloats("w", new long[] {outs, cols}, TestTensors.gaussian(cols + 31L * outs, outs * cols)), dt));
                Panels w = Panels.of(m);
                assertEquals((outs + Panels.WIDTH - 1) / Panels.WIDTH, w.panels());
                for (int rows : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 14, 15, 16, 17, 29, 32}) {
                    float[] x = TestTensors.gaussian(rows * 7L + cols, rows * cols);
                    float[] expected = new float[rows * outs];
                    scalar.matmul(w, 0, w.panels(), x, rows, expected);
                    String what = dt + " " + rows + "×" + cols + "→" + outs;
                    for (GptKernels v : vectors) {
                        float[] actual = new float[rows * outs];
                        v.matmul(w, 0, w.panels(), x, rows, actual);
                        assertArrayEquals(expected, actual, what);
                    }
                    for (int r = 0; r < rows; r++) {
                        for (int o = 0; o < outs; o++) {
                            double e = exact(m, x, r, o);
                            assertEquals(e, expected[r * outs + o], 1e-5 * Math.sqrt(cols) * Math.max(1, Math.abs(e)), what);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matmulRowsDoNotDependOnTheirCompanyOrThePanelRange(DType dt) {
        int cols = 67;
        int outs = 3 * Panels.WIDTH + 5;
        Panels w = Panels.of(Matrix.of(TestTensors.convert(
                Tensor.ofFloats("w", new long[] {outs, cols}, TestTensors.gaussian(5, outs * cols)), dt)));
        GptKernels vector = vectors[0];
        for (int rows : new int[] {3, 6, 11, 16, 17, 30, 40}) {
            float[] x = TestTensors.gaussian(rows, rows * cols);
            float[] whole = new float[rows * outs];
            vector.matmul(w, 0, w.panels(), x, rows, whole);
            for (int split = 0; split <= w.panels(); split++) {
                float[] parts = new float[rows * outs];
                vector.matmul(w, 0, split, x, rows, parts);
                vector.matmul(w, split, w.panels(), x, rows, parts);
                assertArrayEquals(whole, parts, rows + " rows, panels split at " + split);
            }
            for (int r = 0; r < rows; r++) {
                float[] one = new float[outs];
                vector.matmul(w, 0, w.panels(), Arrays.copyOfRange(x, r * cols, (r + 1) * cols), 1, one);
                assertArrayEquals(Arrays.copyOfRange(whole, r * outs, (r + 1) * outs), one, "row " + r + " of " + rows);
            }
        }
    }

    @Test
    void matmulWritesOnlyTheOutputsOfItsPanels() {
        int cols = 9;
        int outs = 2 * Panels.WIDTH + 3;
        Panels w = Panels.of(Matrix.of(Tensor.ofFloats("w", new long[] {outs, cols}, TestTensors.gaussian(2, outs * cols))));
        int rows = 5;
        float[] x = TestTensors.gaussian(3, rows * cols);
        for (GptKernels k : new GptKernels[] {vector, scalar}) {
            float[] out = new float[rows * outs];
            Arrays.fill(out, Float.NaN);
            k.matmul(w, 1, 3, x, rows, out);
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < outs; o++) {
                    boolean mine = o >= Panels.WIDTH;
                    assertEquals(mine, !Float.isNaN(out[r * outs + o]), "row " + r + " output " + o);
                }
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

    /**
     * The slot-blocked scores give each slot the bits of the per-slot path (FMA chain, butterfly
     * hsum, scalar tail), for every count 1 .. 3L + 5 and so for any number of blocks, and a query's
     * output does not depend on the other slots' blocking: each count is checked against the
     * per-slot reference built here from {@link GptKernels.Vector#hsum}.
     */
    @Test
    void blockedScoresHaveThePerSlotBits() {
        int lanes = VectorKernels.L;
        for (int hd : new int[] {lanes / 2, lanes, 64, 64 + 3}) {
            for (int count = 1; count <= 3 * lanes + 5; count++) {
                int stride = 2 * hd + 1;
                int kvOff = hd;
                int capacity = 2 * count + 2;
                float[] keys = TestTensors.gaussian(hd * 31L + count, capacity * stride);
                float[] values = TestTensors.gaussian(hd * 37L + count, capacity * stride);
                float[] q = TestTensors.gaussian(hd * 41L + count, hd + 1);
                int[] slots = new int[count];
                for (int j = 0; j < count; j++) {
                    slots[j] = 2 * j + (j % 3 == 0 ? 1 : 0);
                }
                float scale = (float) (1 / Math.sqrt(hd));
                float[] scores = new float[count];
                float[] out = new float[hd + 2];
                vector.attend(q, 1, keys, values, stride, kvOff, hd, slots, count, scale, scores, out, 2);
                float[] expected = new float[hd + 2];
                perSlotAttend(q, 1, keys, values, stride, kvOff, hd, slots, count, scale, expected, 2);
                assertArrayEquals(expected, out, "hd " + hd + " count " + count);
            }
        }
    }

    /**
     * Several heads at once give every head the bits of {@link GptKernels#attend} on its own, for any head range (how
     * CacheAttention splits an entry over tasks), with and without grouped kv heads, for slot-major heads (a widened
     * bfloat16 run) and head-major ones (the float cache).
     */
    @Test
    void attendHeadsHasEachHeadsBitsForAnyRange() {
        int lanes = VectorKernels.L;
        for (int hd : new int[] {lanes, 64, 64 + 3}) {
            for (int group : new int[] {1, 2}) {
                for (int nHead : new int[] {4, 6}) { // four heads at a time (score4) and a remainder
                    int nKv = nHead / group;
                    for (int count : new int[] {1, lanes - 1, lanes, 2 * lanes + 3}) {
                        int capacity = count + 5;
                        for (boolean headMajor : new boolean[] {false, true}) {
                            int stride = headMajor ? hd : nKv * hd;
                            int headStride = headMajor ? capacity * hd : hd;
                            float[] keys = TestTensors.gaussian(hd * 7L + count + group, capacity * nKv * hd);
                            float[] values = TestTensors.gaussian(hd * 5L + count + group, capacity * nKv * hd);
                            float[] q = TestTensors.gaussian(hd * 3L + count + group, 3 + nHead * hd);
                            int[] slots = new int[count];
                            for (int j = 0; j < count; j++) {
                                slots[j] = j + (j > count / 2 ? 5 : 0);
                            }
                            float scale = (float) (1 / Math.sqrt(hd));
                            float[] expected = new float[2 + nHead * hd];
                            for (int h = 0; h < nHead; h++) {
                                vector.attend(q, 3 + h * hd, keys, values, stride, (h / group) * headStride, hd, slots, count,
                                        scale, new float[count], expected, 2 + h * hd);
                            }
                            for (int per = 1; per <= nHead; per++) {
                                float[] actual = new float[2 + nHead * hd];
                                for (int h = 0; h < nHead; h += per) {
                                    vector.attendHeads(q, 3, keys, values, stride, headStride, group, hd, h,
                                            Math.min(nHead, h + per), slots, count, scale, new float[per * count], actual, 2);
                                }
                                assertArrayEquals(expected, actual, "hd " + hd + " group " + group + " heads " + nHead
                                        + " count " + count + " per " + per + " head-major " + headMajor);
                                float[] ref = new float[2 + nHead * hd];
                                scalar.attendHeads(q, 3, keys, values, stride, headStride, group, hd, 0, nHead, slots, count,
                                        scale, new float[nHead * count], ref, 2);
                                assertClose(ref, actual, 1e-5f * hd, "scalar, hd " + hd + " count " + count);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The per-slot Vector path as it was before slot blocks: the bit reference of the blocked one. */
    private static void perSlotAttend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd,
                                      int[] slots, int count, float scale, float[] out, int outOff) {
        var f = VectorKernels.F;
        int lanes = VectorKernels.L;
        float[] scores = new float[count];
        for (int j = 0; j < count; j++) {
            int kb = slots[j] * stride + kvOff;
            var acc = jdk.incubator.vector.FloatVector.zero(f);
            int d = 0;
            for (; d + lanes <= hd; d += lanes) {
                acc = jdk.incubator.vector.FloatVector.fromArray(f, q, qOff + d)
                        .fma(jdk.incubator.vector.FloatVector.fromArray(f, keys, kb + d), acc);
            }
            float s = GptKernels.Vector.hsum(acc);
            for (; d < hd; d++) {
                s += q[qOff + d] * keys[kb + d];
            }
            scores[j] = s * scale;
        }
        // softmax and value sum: the kernel's own, fed one slot at a time so no block forms
        float[] p = new float[count];
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        var vmax = jdk.incubator.vector.FloatVector.broadcast(f, max);
        var vsum = jdk.incubator.vector.FloatVector.zero(f);
        int j = 0;
        for (; j + lanes <= count; j += lanes) {
            var e = VectorConvKernels.exp(jdk.incubator.vector.FloatVector.fromArray(f, scores, j).sub(vmax));
            e.intoArray(p, j);
            vsum = vsum.add(e);
        }
        float sum = GptKernels.Vector.hsum(vsum);
        for (; j < count; j++) {
            p[j] = VectorConvKernels.exp(jdk.incubator.vector.FloatVector.broadcast(f, scores[j] - max)).lane(0);
            sum += p[j];
        }
        for (j = 0; j < count; j++) {
            p[j] /= sum;
        }
        for (int d = 0; d < hd; d++) {
            float acc = 0f;
            for (int t = 0; t < count; t++) {
                acc = Math.fma(p[t], values[slots[t] * stride + kvOff + d], acc);
            }
            out[outOff + d] = d < hd - hd % lanes ? acc : 0f;
        }
        for (int d = hd - hd % lanes; d < hd; d++) {
            float acc = 0f;
            for (int t = 0; t < count; t++) {
                acc += p[t] * values[slots[t] * stride + kvOff + d];
            }
            out[outOff + d] = acc;
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
