package io.tessera.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GPT's decode-step kernels: the linears' matmul (few activation rows, weights streamed once)
 * and the attention of one (entry, query head) over its visible cache slots. {@link Vector} is the
 * fast path; {@link Scalar} is the reference, built on {@link ScalarKernels} and the shared helpers
 * of {@link Kernels}. Both are single-threaded over what they are given; the caller splits work over
 * independent outputs, and every output is computed by the same code on any thread.
 */
abstract sealed class GptKernels permits GptKernels.Scalar, GptKernels.Vector {

    /** The kernels named by the {@code kernels} option: "vector" or "scalar". */
    static GptKernels of(boolean vector) {
        return vector ? new Vector() : new Scalar();
    }

    /**
     * out[r, o] = Σ_i w[o, i] · x[r, i] for o in [oFrom, oTo) and every activation row r, as
     * {@link Kernels#matmul}: the value of out[r, o] depends neither on {@code rows} nor on the range.
     */
    abstract void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out);

    /**
     * Attention of one query head: scores_j = (q · k_{slot j}) · scale for the {@code count} visible
     * slots, p = softmax(scores), out[outOff + d] = Σ_j p_j · v_{slot j}[d] for d &lt; hd. Key and value
     * of slot s start at s · stride + kvOff in {@code keys} / {@code values}; {@code scores} is scratch
     * of at least {@code count} floats. Writes out[outOff .. outOff + hd).
     */
    abstract void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                         int count, float scale, float[] scores, float[] out, int outOff);

    /**
     * {@link #attend} of the query heads [hFrom, hTo) of one entry, whose q head h starts at
     * qOff + h · hd and reads kv head h / group (key at s · stride + (h / group) · hd), writing head h to
     * out[outOff + h · hd ..). Every head gets exactly the bits {@link #attend} gives it, whatever the
     * range; the slot-major order only reads each cached slot's heads together. {@code scores} is scratch
     * of at least (hTo − hFrom) · count floats.
     */
    void attendHeads(float[] q, int qOff, float[] keys, float[] values, int stride, int group, int hd, int hFrom,
                     int hTo, int[] slots, int count, float scale, float[] scores, float[] out, int outOff) {
        for (int h = hFrom; h < hTo; h++) {
            attend(q, qOff + h * hd, keys, values, stride, (h / group) * hd, hd, slots, count, scale, scores, out,
                    outOff + h * hd);
        }
    }

    /** Reference: {@link ScalarKernels#matmul}; dot, {@link Kernels#softmax} and axpy per slot. */
    static final class Scalar extends GptKernels {
        private final Kernels k = Kernels.of(false);

        @Override
        void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out) {
            k.matmul(w, oFrom, oTo, x, rows, out);
        }

        @Override
        void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                    int count, float scale, float[] scores, float[] out, int outOff) {
            for (int j = 0; j < count; j++) {
                scores[j] = k.dot(q, qOff, keys, slots[j] * stride + kvOff, hd) * scale;
            }
            Kernels.softmax(scores, 0, count);
            java.util.Arrays.fill(out, outOff, outOff + hd, 0f);
            for (int j = 0; j < count; j++) {
                k.axpy(scores[j], values, slots[j] * stride + kvOff, out, outOff, hd);
            }
        }
    }

    /**
     * Vector API kernels. Horizontal sums are a fixed butterfly (lane i + lane i^(L/2), then ^(L/4),
     * …) of exact lane-wise adds, so interpreted and compiled code give the same bits, in a few
     * shuffles instead of a store and L scalar adds.
     */
    static final class Vector extends GptKernels {
        private static final VectorSpecies<Float> F = VectorKernels.F;
        private static final int L = VectorKernels.L;
        private static final VectorShuffle<Float> X8 = L >= 16 ? VectorShuffle.fromOp(F, i -> i ^ 8) : null;
        private static final VectorShuffle<Float> X4 = L >= 8 ? VectorShuffle.fromOp(F, i -> i ^ 4) : null;
        private static final VectorShuffle<Float> X2 = VectorShuffle.fromOp(F, i -> i ^ 2);
        private static final VectorShuffle<Float> X1 = VectorShuffle.fromOp(F, i -> i ^ 1);

        static {
            if (L < 4 || L > 16) {
                throw new IllegalStateException("cpu-vector: unsupported float vector length " + L);
            }
        }

        /*
         * Slot blocks of the scores: L slots' FMA chains are reduced together by a transpose-reduce whose
         * level k (k = L/2, L/4, …, 1) merges two vectors a, b into one whose lanes with bit k clear hold
         * a[i] + a[i^k] and whose lanes with bit k set hold b[i] + b[i^k]: the very adds of hsum's
         * butterfly (a + b is exact-commutative), so every lane ends with its slot's hsum, bit for bit.
         * The vector at input position p ends in lane bitrev(p), so position p reads slot bitrev(p).
         */
        private static final VectorShuffle<Float> S2 = VectorShuffle.fromOp(F, i -> i ^ (L / 2));
        private static final VectorShuffle<Float> S4 = VectorShuffle.fromOp(F, i -> i ^ (L / 4));
        private static final VectorShuffle<Float> S8 = L >= 8 ? VectorShuffle.fromOp(F, i -> i ^ (L / 8)) : null;
        private static final VectorShuffle<Float> S16 = L >= 16 ? VectorShuffle.fromOp(F, i -> i ^ (L / 16)) : null;
        private static final VectorMask<Float> M2 = bit(L / 2);
        private static final VectorMask<Float> M4 = bit(L / 4);
        private static final VectorMask<Float> M8 = L >= 8 ? bit(L / 8) : null;
        private static final VectorMask<Float> M16 = L >= 16 ? bit(L / 16) : null;
        private static final int[] BITREV = new int[L];

        static {
            int bits = Integer.numberOfTrailingZeros(L);
            for (int p = 0; p < L; p++) {
                BITREV[p] = Integer.reverse(p) >>> (32 - bits);
            }
        }

        private static VectorMask<Float> bit(int k) {
            boolean[] m = new boolean[L];
            for (int i = 0; i < L; i++) {
                m[i] = (i & k) != 0;
            }
            return VectorMask.fromArray(F, m, 0);
        }

        private static FloatVector merge(FloatVector a, FloatVector b, VectorShuffle<Float> x, VectorMask<Float> m) {
            return a.blend(b, m).add(b.blend(a, m).rearrange(x));
        }

        /** The FMA chain of one slot over the head's whole L-wide pieces (as in the per-slot path). */
        private static FloatVector chain(float[] q, int qOff, float[] keys, int kb, int hd) {
            FloatVector acc = FloatVector.zero(F);
            for (int d = 0; d + L <= hd; d += L) {
                acc = FloatVector.fromArray(F, q, qOff + d).fma(FloatVector.fromArray(F, keys, kb + d), acc);
            }
            return acc;
        }

        private static FloatVector red2(float[] q, int qOff, float[] keys, int stride, int kvOff, int hd, int[] slots,
                                        int j0, int p) {
            return merge(chain(q, qOff, keys, slots[j0 + BITREV[p]] * stride + kvOff, hd),
                    chain(q, qOff, keys, slots[j0 + BITREV[p + 1]] * stride + kvOff, hd), S2, M2);
        }

        private static FloatVector red4(float[] q, int qOff, float[] keys, int stride, int kvOff, int hd, int[] slots,
                                        int j0, int p) {
            return merge(red2(q, qOff, keys, stride, kvOff, hd, slots, j0, p),
                    red2(q, qOff, keys, stride, kvOff, hd, slots, j0, p + 2), S4, M4);
        }

        private static FloatVector red8(float[] q, int qOff, float[] keys, int stride, int kvOff, int hd, int[] slots,
                                        int j0, int p) {
            return merge(red4(q, qOff, keys, stride, kvOff, hd, slots, j0, p),
                    red4(q, qOff, keys, stride, kvOff, hd, slots, j0, p + 4), S8, M8);
        }

        private static FloatVector red16(float[] q, int qOff, float[] keys, int stride, int kvOff, int hd, int[] slots,
                                         int j0) {
            return merge(red8(q, qOff, keys, stride, kvOff, hd, slots, j0, 0),
                    red8(q, qOff, keys, stride, kvOff, hd, slots, j0, 8), S16, M16);
        }

        /** Lane i: hsum of slot j0 + i's FMA chain, for the L slots j0 .. j0 + L − 1. */
        private static FloatVector blockSums(float[] q, int qOff, float[] keys, int stride, int kvOff, int hd, int[] slots,
                                             int j0) {
            return switch (L) {
                case 16 -> red16(q, qOff, keys, stride, kvOff, hd, slots, j0);
                case 8 -> red8(q, qOff, keys, stride, kvOff, hd, slots, j0, 0);
                default -> red4(q, qOff, keys, stride, kvOff, hd, slots, j0, 0);
            };
        }

        /** scores[off .. off + count) ← softmax of themselves, as {@link #attend} describes. */
        private static void softmax(float[] scores, int off, int count) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < count; j++) {
                max = Math.max(max, scores[off + j]);
            }
            FloatVector vmax = FloatVector.broadcast(F, max);
            FloatVector vsum = FloatVector.zero(F);
            int j = 0;
            for (; j + L <= count; j += L) {
                FloatVector e = VectorConvKernels.exp(FloatVector.fromArray(F, scores, off + j).sub(vmax));
                e.intoArray(scores, off + j);
                vsum = vsum.add(e);
            }
            float sum = hsum(vsum);
            for (; j < count; j++) {
                float e = VectorConvKernels.exp(FloatVector.broadcast(F, scores[off + j] - max)).lane(0);
                scores[off + j] = e;
                sum += e;
            }
            FloatVector vs = FloatVector.broadcast(F, sum);
            j = 0;
            for (; j + L <= count; j += L) {
                FloatVector.fromArray(F, scores, off + j).div(vs).intoArray(scores, off + j);
            }
            for (; j < count; j++) {
                scores[off + j] /= sum;
            }
        }

        /** One slot's score for one head: FMA chain, butterfly sum, scalar tail, × scale. */
        private static float score(float[] q, int qOff, float[] keys, int kb, int hd, float scale) {
            FloatVector acc = FloatVector.zero(F);
            int d = 0;
            for (; d + L <= hd; d += L) {
                acc = FloatVector.fromArray(F, q, qOff + d).fma(FloatVector.fromArray(F, keys, kb + d), acc);
            }
            float s = hsum(acc);
            for (; d < hd; d++) {
                s += q[qOff + d] * keys[kb + d];
            }
            return s * scale;
        }

        /**
         * Slot-major {@link #attend} of several heads: per block of L slots every head's blocked scores,
         * the last count mod L slots per slot and head; per head the same softmax; the value sum walks the
         * slots once, each head's L-wide pieces accumulating in {@code out} by the same FMA chain (from
         * zero, slots in order) as {@link #attend}'s register accumulator, so the same bits per head.
         */
        @Override
        void attendHeads(float[] q, int qOff, float[] keys, float[] values, int stride, int group, int hd, int hFrom,
                         int hTo, int[] slots, int count, float scale, float[] scores, float[] out, int outOff) {
            int heads = hTo - hFrom;
            FloatVector vscale = FloatVector.broadcast(F, scale);
            int whole = hd - hd % L;
            int j0 = 0;
            for (; j0 + L <= count; j0 += L) {
                for (int i = 0; i < heads; i++) {
                    int h = hFrom + i;
                    int kvOff = (h / group) * hd;
                    int so = i * count;
                    FloatVector sums = blockSums(q, qOff + h * hd, keys, stride, kvOff, hd, slots, j0);
                    if (whole == hd) {
                        sums.mul(vscale).intoArray(scores, so + j0);
                    } else {
                        sums.intoArray(scores, so + j0);
                        for (int j = j0; j < j0 + L; j++) {
                            int kb = slots[j] * stride + kvOff;
                            float sc = scores[so + j];
                            for (int d = whole; d < hd; d++) {
                                sc += q[qOff + h * hd + d] * keys[kb + d];
                            }
                            scores[so + j] = sc * scale;
                        }
                    }
                }
            }
            for (int j = j0; j < count; j++) {
                int kb = slots[j] * stride;
                for (int i = 0; i < heads; i++) {
                    int h = hFrom + i;
                    scores[i * count + j] = score(q, qOff + h * hd, keys, kb + (h / group) * hd, hd, scale);
                }
            }
            for (int i = 0; i < heads; i++) {
                softmax(scores, i * count, count);
            }
            java.util.Arrays.fill(out, outOff + hFrom * hd, outOff + hTo * hd, 0f);
            for (int t = 0; t < count; t++) {
                int vb = slots[t] * stride;
                for (int i = 0; i < heads; i++) {
                    int h = hFrom + i;
                    int vo = vb + (h / group) * hd;
                    int o = outOff + h * hd;
                    FloatVector p = FloatVector.broadcast(F, scores[i * count + t]);
                    float ps = scores[i * count + t];
                    int d = 0;
                    for (; d < whole; d += L) {
                        p.fma(FloatVector.fromArray(F, values, vo + d), FloatVector.fromArray(F, out, o + d))
                                .intoArray(out, o + d);
                    }
                    for (; d < hd; d++) {
                        out[o + d] += ps * values[vo + d];
                    }
                }
            }
        }

        /** Σ of the lanes in a fixed butterfly order. */
        static float hsum(FloatVector v) {
            if (X8 != null) {
                v = v.add(v.rearrange(X8));
            }
            if (X4 != null) {
                v = v.add(v.rearrange(X4));
            }
            v = v.add(v.rearrange(X2));
            v = v.add(v.rearrange(X1));
            return v.lane(0);
        }

        /** Activation rows per register tile of the wide path. */
        static final int MR = 4;
        /** Weight rows (outputs) per register tile. */
        static final int NR = 4;
        /** Bytes of activations per row block: a block stays in L2 while every weight quad of the range passes over it. */
        static final long X_BLOCK_BYTES = 512 * 1024;

        /**
         * Register-blocked matmul. Outputs go four at a time (a weight quad); for each quad the
         * activation rows go four at a time (a 4×4 tile of accumulators in registers: per L-wide step 4
         * weight and 4 activation loads feed 16 FMAs), then two, then one. The quad is read from memory
         * once per call and from L1 for every further row group; the activations stay in L2 (rows are
         * cut into blocks of about {@link #X_BLOCK_BYTES}). BF16/F16 weights are widened in the tile as they
         * are loaded (an f32 panel widened once per call was slower when measured: the tiles' load site
         * then saw two kinds of memory segment).
         *
         * <p>Per (r, o), whatever the tile, row count, block or range: ONE FMA chain of L-wide steps
         * over i = 0, L, 2L, … (a single accumulator), the fixed butterfly sum, then the scalar tail
         * in order. So out[r, o] has the same bits for any rows and any split of the outputs; a
         * decode pass with one or two rows streams each weight once (bandwidth-bound, as before).
         */
        @Override
        void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out) {
            matmul(w, oFrom, oTo, x, rows, out, X_BLOCK_BYTES);
        }

        /** {@link #matmul} with another activation block size (tests use small ones to cross block borders). */
        void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out, long xBlockBytes) {
            int n = w.cols();
            int outDim = w.rows();
            MemorySegment seg = w.data();
            int dt = VectorKernels.code(w.dtype());
            int block = (int) Math.min(Math.max(rows, 1),
                    Math.max(MR, xBlockBytes / Math.max(1L, (long) n * Float.BYTES) / MR * MR));
            for (int r0 = 0; r0 < rows; r0 += block) {
                int r1 = Math.min(rows, r0 + block);
                int o = oFrom;
                for (; o + NR <= oTo; o += NR) {
                    long base = (long) o * n;
                    int r = r0;
                    for (; r + MR <= r1; r += MR) {
                        tile4x4(seg, dt, base, n, x, r * n, out, r * outDim + o, outDim);
                    }
                    if (r + 2 <= r1) {
                        tile2x4(seg, dt, base, n, x, r * n, out, r * outDim + o, outDim);
                        r += 2;
                    }
                    if (r < r1) {
                        tile1x4(seg, dt, base, n, x, r * n, out, r * outDim + o);
                    }
                }
                for (; o < oTo; o++) { // the last outputs of the range, one at a time
                    for (int r = r0; r < r1; r++) {
                        out[r * outDim + o] = dot(seg, dt, (long) o * n, n, x, r * n);
                    }
                }
            }
        }

        /** Four activation rows (x0, x0 + n, …) against four weight rows: out[r, o .. o + 3] for r = 0..3. */
        private static void tile4x4(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] out, int o0,
                                    int ldo) {
            long b1 = base + n;
            long b2 = b1 + n;
            long b3 = b2 + n;
            int x1 = x0 + n;
            int x2 = x1 + n;
            int x3 = x2 + n;
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = c00;
            FloatVector c02 = c00;
            FloatVector c03 = c00;
            FloatVector c10 = c00;
            FloatVector c11 = c00;
            FloatVector c12 = c00;
            FloatVector c13 = c00;
            FloatVector c20 = c00;
            FloatVector c21 = c00;
            FloatVector c22 = c00;
            FloatVector c23 = c00;
            FloatVector c30 = c00;
            FloatVector c31 = c00;
            FloatVector c32 = c00;
            FloatVector c33 = c00;
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector w0 = VectorKernels.load(seg, dt, base + i);
                FloatVector w1 = VectorKernels.load(seg, dt, b1 + i);
                FloatVector w2 = VectorKernels.load(seg, dt, b2 + i);
                FloatVector w3 = VectorKernels.load(seg, dt, b3 + i);
                FloatVector p = FloatVector.fromArray(F, x, x0 + i);
                c00 = w0.fma(p, c00);
                c01 = w1.fma(p, c01);
                c02 = w2.fma(p, c02);
                c03 = w3.fma(p, c03);
                p = FloatVector.fromArray(F, x, x1 + i);
                c10 = w0.fma(p, c10);
                c11 = w1.fma(p, c11);
                c12 = w2.fma(p, c12);
                c13 = w3.fma(p, c13);
                p = FloatVector.fromArray(F, x, x2 + i);
                c20 = w0.fma(p, c20);
                c21 = w1.fma(p, c21);
                c22 = w2.fma(p, c22);
                c23 = w3.fma(p, c23);
                p = FloatVector.fromArray(F, x, x3 + i);
                c30 = w0.fma(p, c30);
                c31 = w1.fma(p, c31);
                c32 = w2.fma(p, c32);
                c33 = w3.fma(p, c33);
            }
            out[o0] = hsum(c00);
            out[o0 + 1] = hsum(c01);
            out[o0 + 2] = hsum(c02);
            out[o0 + 3] = hsum(c03);
            tail4(seg, dt, base, n, i, x, x0, out, o0);
            out[o0 + ldo] = hsum(c10);
            out[o0 + ldo + 1] = hsum(c11);
            out[o0 + ldo + 2] = hsum(c12);
            out[o0 + ldo + 3] = hsum(c13);
            tail4(seg, dt, base, n, i, x, x1, out, o0 + ldo);
            out[o0 + 2 * ldo] = hsum(c20);
            out[o0 + 2 * ldo + 1] = hsum(c21);
            out[o0 + 2 * ldo + 2] = hsum(c22);
            out[o0 + 2 * ldo + 3] = hsum(c23);
            tail4(seg, dt, base, n, i, x, x2, out, o0 + 2 * ldo);
            out[o0 + 3 * ldo] = hsum(c30);
            out[o0 + 3 * ldo + 1] = hsum(c31);
            out[o0 + 3 * ldo + 2] = hsum(c32);
            out[o0 + 3 * ldo + 3] = hsum(c33);
            tail4(seg, dt, base, n, i, x, x3, out, o0 + 3 * ldo);
        }

        /** Two activation rows against four weight rows. */
        private static void tile2x4(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] out, int o0,
                                    int ldo) {
            long b1 = base + n;
            long b2 = b1 + n;
            long b3 = b2 + n;
            int x1 = x0 + n;
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = c00;
            FloatVector c02 = c00;
            FloatVector c03 = c00;
            FloatVector c10 = c00;
            FloatVector c11 = c00;
            FloatVector c12 = c00;
            FloatVector c13 = c00;
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector w0 = VectorKernels.load(seg, dt, base + i);
                FloatVector w1 = VectorKernels.load(seg, dt, b1 + i);
                FloatVector w2 = VectorKernels.load(seg, dt, b2 + i);
                FloatVector w3 = VectorKernels.load(seg, dt, b3 + i);
                FloatVector p = FloatVector.fromArray(F, x, x0 + i);
                c00 = w0.fma(p, c00);
                c01 = w1.fma(p, c01);
                c02 = w2.fma(p, c02);
                c03 = w3.fma(p, c03);
                p = FloatVector.fromArray(F, x, x1 + i);
                c10 = w0.fma(p, c10);
                c11 = w1.fma(p, c11);
                c12 = w2.fma(p, c12);
                c13 = w3.fma(p, c13);
            }
            out[o0] = hsum(c00);
            out[o0 + 1] = hsum(c01);
            out[o0 + 2] = hsum(c02);
            out[o0 + 3] = hsum(c03);
            tail4(seg, dt, base, n, i, x, x0, out, o0);
            out[o0 + ldo] = hsum(c10);
            out[o0 + ldo + 1] = hsum(c11);
            out[o0 + ldo + 2] = hsum(c12);
            out[o0 + ldo + 3] = hsum(c13);
            tail4(seg, dt, base, n, i, x, x1, out, o0 + ldo);
        }

        /** One activation row against four weight rows. */
        private static void tile1x4(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] out, int o0) {
            long b1 = base + n;
            long b2 = b1 + n;
            long b3 = b2 + n;
            FloatVector c0 = FloatVector.zero(F);
            FloatVector c1 = c0;
            FloatVector c2 = c0;
            FloatVector c3 = c0;
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector p = FloatVector.fromArray(F, x, x0 + i);
                c0 = VectorKernels.load(seg, dt, base + i).fma(p, c0);
                c1 = VectorKernels.load(seg, dt, b1 + i).fma(p, c1);
                c2 = VectorKernels.load(seg, dt, b2 + i).fma(p, c2);
                c3 = VectorKernels.load(seg, dt, b3 + i).fma(p, c3);
            }
            out[o0] = hsum(c0);
            out[o0 + 1] = hsum(c1);
            out[o0 + 2] = hsum(c2);
            out[o0 + 3] = hsum(c3);
            tail4(seg, dt, base, n, i, x, x0, out, o0);
        }

        /**
         * Adds, in order from i on, the scalar tail of weight rows base/n + k (k &lt; 4) against x[x0 ..] to
         * out[o0 + k], which holds the butterfly sum of the accumulator: s = hsum; s += w_i · x_i.
         * Vectors never cross a call boundary here (a vector argument of a method the JIT does not
         * inline is boxed).
         */
        private static void tail4(MemorySegment seg, int dt, long base, int n, int i, float[] x, int x0, float[] out,
                                  int o0) {
            if (i == n) {
                return;
            }
            float s0 = out[o0];
            float s1 = out[o0 + 1];
            float s2 = out[o0 + 2];
            float s3 = out[o0 + 3];
            for (; i < n; i++) {
                float xi = x[x0 + i];
                s0 += VectorKernels.scalarAt(seg, dt, base + i) * xi;
                s1 += VectorKernels.scalarAt(seg, dt, base + n + i) * xi;
                s2 += VectorKernels.scalarAt(seg, dt, base + 2L * n + i) * xi;
                s3 += VectorKernels.scalarAt(seg, dt, base + 3L * n + i) * xi;
            }
            out[o0] = s0;
            out[o0 + 1] = s1;
            out[o0 + 2] = s2;
            out[o0 + 3] = s3;
        }

        /** One (r, o): the same arithmetic as one accumulator of the tiles. */
        private static float dot(MemorySegment seg, int dt, long base, int n, float[] x, int x0) {
            FloatVector c = FloatVector.zero(F);
            int i = 0;
            for (; i + L <= n; i += L) {
                c = VectorKernels.load(seg, dt, base + i).fma(FloatVector.fromArray(F, x, x0 + i), c);
            }
            float s = hsum(c);
            for (; i < n; i++) {
                s += VectorKernels.scalarAt(seg, dt, base + i) * x[x0 + i];
            }
            return s;
        }

        /**
         * Scores: one FMA chain per slot over the head, butterfly sum, scalar tail; whole blocks of L
         * slots share one transpose-reduce ({@link #blockSums}, the same adds as the butterfly, so the
         * same bits as the per-slot path, which takes the last count mod L slots). Softmax: scalar
         * max, e = exp(s − max) with {@link VectorConvKernels#exp} (L lanes at a time, the tail one lane
         * at a time through the same function), Σ in lane order, then e / Σ. Output: per L-wide piece
         * of the head, one FMA chain over the slots, stored once.
         */
        @Override
        void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                    int count, float scale, float[] scores, float[] out, int outOff) {
            FloatVector vscale = FloatVector.broadcast(F, scale);
            int j0 = 0;
            for (; j0 + L <= count; j0 += L) {
                FloatVector sums = blockSums(q, qOff, keys, stride, kvOff, hd, slots, j0);
                if (hd % L == 0) {
                    sums.mul(vscale).intoArray(scores, j0);
                } else {
                    sums.intoArray(scores, j0);
                    for (int j = j0; j < j0 + L; j++) {
                        int kb = slots[j] * stride + kvOff;
                        float s = scores[j];
                        for (int d = hd - hd % L; d < hd; d++) {
                            s += q[qOff + d] * keys[kb + d];
                        }
                        scores[j] = s * scale;
                    }
                }
            }
            for (int j = j0; j < count; j++) {
                int kb = slots[j] * stride + kvOff;
                FloatVector acc = FloatVector.zero(F);
                int d = 0;
                for (; d + L <= hd; d += L) {
                    acc = FloatVector.fromArray(F, q, qOff + d).fma(FloatVector.fromArray(F, keys, kb + d), acc);
                }
                float s = hsum(acc);
                for (; d < hd; d++) {
                    s += q[qOff + d] * keys[kb + d];
                }
                scores[j] = s * scale;
            }
            softmax(scores, 0, count);
            int d = 0;
            for (; d + L <= hd; d += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int t = 0; t < count; t++) {
                    acc = FloatVector.broadcast(F, scores[t]).fma(FloatVector.fromArray(F, values, slots[t] * stride + kvOff + d), acc);
                }
                acc.intoArray(out, outOff + d);
            }
            for (; d < hd; d++) {
                float acc = 0f;
                for (int t = 0; t < count; t++) {
                    acc += scores[t] * values[slots[t] * stride + kvOff + d];
                }
                out[outOff + d] = acc;
            }
        }
    }
}
