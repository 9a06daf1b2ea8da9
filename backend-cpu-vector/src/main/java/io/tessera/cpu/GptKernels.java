package io.tessera.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GPT's decode-step kernels: the linears' matmul over {@link Panels} (any number of activation rows,
 * each weight read from memory once per call) and the attention of one (entry, query head) over its visible cache slots. {@link Vector} is the
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
     * out[r, o] = Σ_k w[o, k] · x[r, k] for the outputs o of panels [pFrom, pTo) (clipped to the real outputs) and
     * every activation row r; x is [rows, in], out [rows, out]. Every out[r, o] is ONE chain of fused multiply-adds
     * from zero over k = 0, 1, …, in − 1 in order (acc = fma(x[r, k], w[o, k], acc)), so it has the same bits on
     * both kernels, for any row count, tile, panel range, thread or vector length.
     */
    abstract void matmul(Panels w, int pFrom, int pTo, float[] x, int rows, float[] out);

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
     * qOff + h · hd and reads kv head h / group (key at s · stride + (h / group) · headStride), writing head h to
     * out[outOff + h · hd ..). Every head gets exactly the bits {@link #attend} gives it, whatever the
     * range; the slot-major order only reads each cached slot's heads together. {@code scores} is scratch
     * of at least (hTo − hFrom) · count floats.
     */
    void attendHeads(float[] q, int qOff, float[] keys, float[] values, int stride, int headStride, int group, int hd,
                     int hFrom, int hTo, int[] slots, int count, float scale, float[] scores, float[] out, int outOff) {
        for (int h = hFrom; h < hTo; h++) {
            attend(q, qOff + h * hd, keys, values, stride, (h / group) * headStride, hd, slots, count, scale, scores, out,
                    outOff + h * hd);
        }
    }

    /**
     * {@link #attend} of query head h for up to {@link AttentionScratch#BLOCK} entries e0, e0 + 1, … of one cache row;
     * entry e0 + m takes part where bit m of {@code entries} is set. The slots some entry of the block sees are
     * union[uOff .. uOff + count), in slot order, and bit m of seenBy[uOff + j] says whether entry e0 + m sees
     * union[uOff + j] (bits of entries not taking part are ignored). Entry e's q head starts at e · qStride + h · hd, its
     * output goes to out[e · outStride + h · hd ..); key and value of slot s start at s · stride + kvOff. Every entry gets
     * exactly the bits {@link #attend} gives it alone over its own visible slots, whatever entries share the block.
     */
    void attendBlock(float[] q, int qStride, int h, int e0, int entries, int[] union, byte[] seenBy, int uOff, int count,
                     float[] keys, float[] values, int stride, int kvOff, int hd, float scale, AttentionScratch scratch,
                     float[] out, int outStride) {
        for (int m = 0; m < AttentionScratch.BLOCK; m++) {
            if ((entries & (1 << m)) == 0) {
                continue;
            }
            int c = 0;
            for (int j = 0; j < count; j++) {
                if ((seenBy[uOff + j] & (1 << m)) != 0) {
                    scratch.slots[c++] = union[uOff + j];
                }
            }
            int e = e0 + m;
            attend(q, e * qStride + h * hd, keys, values, stride, kvOff, hd, scratch.slots, c, scale, scratch.scores, out,
                    e * outStride + h * hd);
        }
    }

    /** Writes the slots s &lt; capacity with visible[from + s] to slots[0 ..), in order; returns how many. */
    static int visibleSlots(boolean[] visible, int from, int capacity, int[] slots) {
        int count = 0;
        for (int s = 0; s < capacity; s++) {
            if (visible[from + s]) {
                slots[count++] = s;
            }
        }
        return count;
    }

    /** Reference: the matmul's defining fma loop; dot, {@link Kernels#softmax} and axpy per slot. */
    static final class Scalar extends GptKernels {
        private final Kernels k = Kernels.of(false);

        /** The defining loop, reading the unpacked source matrix. */
        @Override
        void matmul(Panels w, int pFrom, int pTo, float[] x, int rows, float[] out) {
            Matrix m = w.source();
            int in = m.cols();
            int outDim = m.rows();
            for (int o = Panels.firstOutput(pFrom); o < w.endOutput(pTo); o++) {
                for (int r = 0; r < rows; r++) {
                    float acc = 0f;
                    for (int i = 0; i < in; i++) {
                        acc = Math.fma(x[r * in + i], m.get(o, i), acc);
                    }
                    out[r * outDim + o] = acc;
                }
            }
        }

        @Override
        void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                    int count, float scale, float[] scores, float[] out, int outOff) {
            for (int j = 0; j < count; j++) {
                scores[j] = k.dot(q, qOff, keys, slots[j] * stride + kvOff, hd) * scale;
            }
            Kernels.softmax(scores, 0, count);
            Arrays.fill(out, outOff, outOff + hd, 0f);
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
        /**
         * The first two butterfly levels of {@link #score4}: lane i ↔ i^(L/2), then i ↔ i^(L/4); TOP and NEXT mark
         * the lanes that take the second operand of each level.
         */
        private static final VectorShuffle<Float> X_TOP = VectorShuffle.fromOp(F, i -> i ^ (L / 2));
        private static final VectorShuffle<Float> X_NEXT = VectorShuffle.fromOp(F, i -> i ^ (L / 4));
        private static final VectorMask<Float> TOP = VectorMask.fromLong(F, laneBits(L / 2));
        private static final VectorMask<Float> NEXT = VectorMask.fromLong(F, laneBits(L / 4));

        /** Bit i set for every lane i with (i & m) != 0. */
        private static long laneBits(int m) {
            long bits = 0;
            for (int i = 0; i < L; i++) {
                if ((i & m) != 0) {
                    bits |= 1L << i;
                }
            }
            return bits;
        }

        static {
            if (L < 4 || L > 16) {
                throw new IllegalStateException("cpu-vector: unsupported float vector length " + L);
            }
        }

        /**
         * scores[off .. off + count) ← softmax of themselves, as {@link #attend} describes: max (exact in any
         * order, so taken L lanes at a time), e = exp(s − max) L lanes at a time with the tail in one masked
         * vector (exp is lane-wise: the same bits as one lane at a time), Σ of the whole vectors' lanes by
         * {@link #hsum}, then the tail's e one by one in slot order, then e / Σ.
         */
        private static void softmax(float[] scores, int off, int count) {
            int whole = count - count % L;
            FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j < whole; j += L) {
                vmax = vmax.max(FloatVector.fromArray(F, scores, off + j));
            }
            float max = vmax.reduceLanes(VectorOperators.MAX);
            for (; j < count; j++) {
                max = Math.max(max, scores[off + j]);
            }
            vmax = FloatVector.broadcast(F, max);
            FloatVector vsum = FloatVector.zero(F);
            for (j = 0; j < whole; j += L) {
                FloatVector e = VectorConvKernels.exp(FloatVector.fromArray(F, scores, off + j).sub(vmax));
                e.intoArray(scores, off + j);
                vsum = vsum.add(e);
            }
            float sum = hsum(vsum);
            if (whole < count) {
                VectorMask<Float> tail = F.indexInRange(whole, count);
                VectorConvKernels.exp(FloatVector.fromArray(F, scores, off + whole, tail).sub(vmax))
                        .intoArray(scores, off + whole, tail);
                for (j = whole; j < count; j++) {
                    sum += scores[off + j];
                }
            }
            FloatVector vs = FloatVector.broadcast(F, sum);
            for (j = 0; j < whole; j += L) {
                FloatVector.fromArray(F, scores, off + j).div(vs).intoArray(scores, off + j);
            }
            for (j = whole; j < count; j++) {
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
         * {@link #attend} of several heads, with the same bits per head: scores slot-major (every head's
         * score of a cached slot together: four heads at a time by {@link #score4}, the rest by {@link #score}),
         * the same softmax per head, then the
         * value sums of four L-wide pieces (of one or more heads) at a time, each piece ONE FMA chain from
         * zero over the slots in order kept in a register and stored once, exactly {@link #attend}'s
         * accumulator; the hd % L tail lanes one by one, as {@link #attend}'s tail.
         */
        @Override
        void attendHeads(float[] q, int qOff, float[] keys, float[] values, int stride, int headStride, int group, int hd,
                         int hFrom, int hTo, int[] slots, int count, float scale, float[] scores, float[] out, int outOff) {
            int heads = hTo - hFrom;
            for (int j = 0; j < count; j++) {
                int kb = slots[j] * stride;
                int i = 0;
                for (; i + 4 <= heads; i += 4) {
                    int h = hFrom + i;
                    score4(q, qOff + h * hd, keys, kb + (h / group) * headStride, kb + ((h + 1) / group) * headStride,
                            kb + ((h + 2) / group) * headStride, kb + ((h + 3) / group) * headStride, hd, scale, scores,
                            i * count + j, count);
                }
                for (; i < heads; i++) {
                    int h = hFrom + i;
                    scores[i * count + j] = score(q, qOff + h * hd, keys, kb + (h / group) * headStride, hd, scale);
                }
            }
            for (int i = 0; i < heads; i++) {
                softmax(scores, i * count, count);
            }
            int per = hd / L;        // whole L-wide pieces per head
            int pieces = heads * per;
            int k = 0;
            for (; k + 4 <= pieces; k += 4) {
                int i0 = k / per, i1 = (k + 1) / per, i2 = (k + 2) / per, i3 = (k + 3) / per;
                int s0 = i0 * count, s1 = i1 * count, s2 = i2 * count, s3 = i3 * count;
                int v0 = pieceOffset(k, per, hFrom, group, headStride), v1 = pieceOffset(k + 1, per, hFrom, group, headStride);
                int v2 = pieceOffset(k + 2, per, hFrom, group, headStride);
                int v3 = pieceOffset(k + 3, per, hFrom, group, headStride);
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                for (int t = 0; t < count; t++) {
                    int vb = slots[t] * stride;
                    a0 = FloatVector.broadcast(F, scores[s0 + t]).fma(FloatVector.fromArray(F, values, vb + v0), a0);
                    a1 = FloatVector.broadcast(F, scores[s1 + t]).fma(FloatVector.fromArray(F, values, vb + v1), a1);
                    a2 = FloatVector.broadcast(F, scores[s2 + t]).fma(FloatVector.fromArray(F, values, vb + v2), a2);
                    a3 = FloatVector.broadcast(F, scores[s3 + t]).fma(FloatVector.fromArray(F, values, vb + v3), a3);
                }
                a0.intoArray(out, outOff + (hFrom + i0) * hd + (k % per) * L);
                a1.intoArray(out, outOff + (hFrom + i1) * hd + ((k + 1) % per) * L);
                a2.intoArray(out, outOff + (hFrom + i2) * hd + ((k + 2) % per) * L);
                a3.intoArray(out, outOff + (hFrom + i3) * hd + ((k + 3) % per) * L);
            }
            for (; k < pieces; k++) {
                int s0 = (k / per) * count;
                int v0 = pieceOffset(k, per, hFrom, group, headStride);
                FloatVector a0 = FloatVector.zero(F);
                for (int t = 0; t < count; t++) {
                    a0 = FloatVector.broadcast(F, scores[s0 + t])
                            .fma(FloatVector.fromArray(F, values, slots[t] * stride + v0), a0);
                }
                a0.intoArray(out, outOff + (hFrom + k / per) * hd + (k % per) * L);
            }
            for (int i = 0; i < heads && per * L < hd; i++) {
                int h = hFrom + i;
                int vo = (h / group) * headStride;
                for (int d = per * L; d < hd; d++) {
                    float acc = 0f;
                    for (int t = 0; t < count; t++) {
                        acc += scores[i * count + t] * values[slots[t] * stride + vo + d];
                    }
                    out[outOff + h * hd + d] = acc;
                }
            }
        }

        /**
         * {@link #score} of four consecutive query heads (q at qOff, qOff + hd, …; their keys at kA … kD) for one
         * slot, written to scores[sOff + m · stride] for m = 0..3, with the same bits as four calls: the four FMA
         * chains, then ONE transpose-reduce whose adds are the butterfly's pairs (lane i + lane i^(L/2) of each
         * head, then ^(L/4), …; a + b = b + a exactly), so head a ends in lane 0, c in L/4, b in L/2, d in
         * 3L/4; then each head's scalar tail and × scale.
         */
        private static void score4(float[] q, int qOff, float[] keys, int kA, int kB, int kC, int kD, int hd, float scale,
                                   float[] scores, int sOff, int stride) {
            FloatVector a = FloatVector.zero(F);
            FloatVector b = FloatVector.zero(F);
            FloatVector c = FloatVector.zero(F);
            FloatVector d = FloatVector.zero(F);
            int x = 0;
            for (; x + L <= hd; x += L) {
                a = FloatVector.fromArray(F, q, qOff + x).fma(FloatVector.fromArray(F, keys, kA + x), a);
                b = FloatVector.fromArray(F, q, qOff + hd + x).fma(FloatVector.fromArray(F, keys, kB + x), b);
                c = FloatVector.fromArray(F, q, qOff + 2 * hd + x).fma(FloatVector.fromArray(F, keys, kC + x), c);
                d = FloatVector.fromArray(F, q, qOff + 3 * hd + x).fma(FloatVector.fromArray(F, keys, kD + x), d);
            }
            FloatVector ab = a.blend(b, TOP).add(b.blend(a, TOP).rearrange(X_TOP));
            FloatVector cd = c.blend(d, TOP).add(d.blend(c, TOP).rearrange(X_TOP));
            FloatVector r = ab.blend(cd, NEXT).add(cd.blend(ab, NEXT).rearrange(X_NEXT));
            if (L == 16) {
                r = r.add(r.rearrange(X2));
            }
            if (L >= 8) {
                r = r.add(r.rearrange(X1));
            }
            float sa = r.lane(0), sb = r.lane(L / 2), sc = r.lane(L / 4), sd = r.lane(3 * L / 4);
            for (; x < hd; x++) {
                sa += q[qOff + x] * keys[kA + x];
                sb += q[qOff + hd + x] * keys[kB + x];
                sc += q[qOff + 2 * hd + x] * keys[kC + x];
                sd += q[qOff + 3 * hd + x] * keys[kD + x];
            }
            scores[sOff] = sa * scale;
            scores[sOff + stride] = sb * scale;
            scores[sOff + 2 * stride] = sc * scale;
            scores[sOff + 3 * stride] = sd * scale;
        }

        /**
         * {@link GptKernels#attendBlock} with every loaded key and value vector serving the block's entries together (a
         * lone entry goes through {@link #attend}; absent entries are padded with a present one's query and store
         * nothing). Scores slot by slot: each loaded key piece feeds four FMA chains (one per query), reduced as
         * {@link #score4} reduces its heads, so each score has {@link #score}'s bits; an entry keeps the scores of the
         * slots it sees, in slot order, and takes {@link #softmax} of its own list. Value sums two L-wide pieces at a
         * time: per slot, two loaded value vectors and each seeing entry's broadcast probability feed its two chains;
         * every chain is {@link #attend}'s, over the same slots in the same order; the hd % L tail as attend's.
         */
        @Override
        void attendBlock(float[] q, int qStride, int h, int e0, int entries, int[] union, byte[] seenBy, int uOff, int count,
                         float[] keys, float[] values, int stride, int kvOff, int hd, float scale, AttentionScratch scratch,
                         float[] out, int outStride) {
            if (Integer.bitCount(entries) < 2) {
                super.attendBlock(q, qStride, h, e0, entries, union, seenBy, uOff, count, keys, values, stride, kvOff, hd,
                        scale, scratch, out, outStride);
                return;
            }
            final int first = Integer.numberOfTrailingZeros(entries);
            final boolean hasA = (entries & 1) != 0, hasB = (entries & 2) != 0, hasC = (entries & 4) != 0,
                    hasD = (entries & 8) != 0;
            final int q0 = e0 * qStride + h * hd;
            final int qa = q0 + (hasA ? 0 : first) * qStride, qb = q0 + (hasB ? 1 : first) * qStride;
            final int qc = q0 + (hasC ? 2 : first) * qStride, qd = q0 + (hasD ? 3 : first) * qStride;
            final float[] p = scratch.scores;
            final float[] four = scratch.four;
            final int cap = p.length / AttentionScratch.BLOCK; // each entry's score list: p[m · cap ..)
            final int oa = 0, ob = cap, oc = 2 * cap, od = 3 * cap;
            int ca = 0, cb = 0, cc = 0, cd = 0;
            for (int j = 0; j < count; j++) {
                int bits = seenBy[uOff + j] & entries;
                if (bits == 0) {
                    continue;
                }
                scoreQ4(q, qa, qb, qc, qd, keys, union[uOff + j] * stride + kvOff, hd, scale, four);
                if ((bits & 1) != 0) {
                    p[oa + ca++] = four[0];
                }
                if ((bits & 2) != 0) {
                    p[ob + cb++] = four[1];
                }
                if ((bits & 4) != 0) {
                    p[oc + cc++] = four[2];
                }
                if ((bits & 8) != 0) {
                    p[od + cd++] = four[3];
                }
            }
            if (hasA) {
                softmax(p, oa, ca);
            }
            if (hasB) {
                softmax(p, ob, cb);
            }
            if (hasC) {
                softmax(p, oc, cc);
            }
            if (hasD) {
                softmax(p, od, cd);
            }
            final int outA = e0 * outStride + h * hd;
            int d = 0;
            for (; d + 2 * L <= hd; d += 2 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
                int ia = oa, ib = ob, ic = oc, id = od;
                for (int j = 0; j < count; j++) {
                    int bits = seenBy[uOff + j] & entries;
                    if (bits == 0) {
                        continue;
                    }
                    int vb = union[uOff + j] * stride + kvOff + d;
                    FloatVector v0 = FloatVector.fromArray(F, values, vb);
                    FloatVector v1 = FloatVector.fromArray(F, values, vb + L);
                    if (bits == 15) {
                        FloatVector pa = FloatVector.broadcast(F, p[ia++]);
                        FloatVector pb = FloatVector.broadcast(F, p[ib++]);
                        FloatVector pc = FloatVector.broadcast(F, p[ic++]);
                        FloatVector pd = FloatVector.broadcast(F, p[id++]);
                        a0 = pa.fma(v0, a0);
                        a1 = pa.fma(v1, a1);
                        b0 = pb.fma(v0, b0);
                        b1 = pb.fma(v1, b1);
                        c0 = pc.fma(v0, c0);
                        c1 = pc.fma(v1, c1);
                        d0 = pd.fma(v0, d0);
                        d1 = pd.fma(v1, d1);
                    } else {
                        if ((bits & 1) != 0) {
                            FloatVector pa = FloatVector.broadcast(F, p[ia++]);
                            a0 = pa.fma(v0, a0);
                            a1 = pa.fma(v1, a1);
                        }
                        if ((bits & 2) != 0) {
                            FloatVector pb = FloatVector.broadcast(F, p[ib++]);
                            b0 = pb.fma(v0, b0);
                            b1 = pb.fma(v1, b1);
                        }
                        if ((bits & 4) != 0) {
                            FloatVector pc = FloatVector.broadcast(F, p[ic++]);
                            c0 = pc.fma(v0, c0);
                            c1 = pc.fma(v1, c1);
                        }
                        if ((bits & 8) != 0) {
                            FloatVector pd = FloatVector.broadcast(F, p[id++]);
                            d0 = pd.fma(v0, d0);
                            d1 = pd.fma(v1, d1);
                        }
                    }
                }
                if (hasA) {
                    a0.intoArray(out, outA + d);
                    a1.intoArray(out, outA + d + L);
                }
                if (hasB) {
                    b0.intoArray(out, outA + outStride + d);
                    b1.intoArray(out, outA + outStride + d + L);
                }
                if (hasC) {
                    c0.intoArray(out, outA + 2 * outStride + d);
                    c1.intoArray(out, outA + 2 * outStride + d + L);
                }
                if (hasD) {
                    d0.intoArray(out, outA + 3 * outStride + d);
                    d1.intoArray(out, outA + 3 * outStride + d + L);
                }
            }
            if (d + L <= hd) { // one piece left
                FloatVector a0 = FloatVector.zero(F), b0 = a0, c0 = a0, d0 = a0;
                int ia = oa, ib = ob, ic = oc, id = od;
                for (int j = 0; j < count; j++) {
                    int bits = seenBy[uOff + j] & entries;
                    if (bits == 0) {
                        continue;
                    }
                    FloatVector v0 = FloatVector.fromArray(F, values, union[uOff + j] * stride + kvOff + d);
                    if ((bits & 1) != 0) {
                        a0 = FloatVector.broadcast(F, p[ia++]).fma(v0, a0);
                    }
                    if ((bits & 2) != 0) {
                        b0 = FloatVector.broadcast(F, p[ib++]).fma(v0, b0);
                    }
                    if ((bits & 4) != 0) {
                        c0 = FloatVector.broadcast(F, p[ic++]).fma(v0, c0);
                    }
                    if ((bits & 8) != 0) {
                        d0 = FloatVector.broadcast(F, p[id++]).fma(v0, d0);
                    }
                }
                if (hasA) {
                    a0.intoArray(out, outA + d);
                }
                if (hasB) {
                    b0.intoArray(out, outA + outStride + d);
                }
                if (hasC) {
                    c0.intoArray(out, outA + 2 * outStride + d);
                }
                if (hasD) {
                    d0.intoArray(out, outA + 3 * outStride + d);
                }
                d += L;
            }
            for (; d < hd; d++) { // the hd % L tail lanes: attend's scalar sums, entry by entry
                for (int m = 0; m < AttentionScratch.BLOCK; m++) {
                    if ((entries & (1 << m)) == 0) {
                        continue;
                    }
                    float acc = 0f;
                    int i = m * cap;
                    for (int j = 0; j < count; j++) {
                        if ((seenBy[uOff + j] & (1 << m)) != 0) {
                            acc += p[i++] * values[union[uOff + j] * stride + kvOff + d];
                        }
                    }
                    out[outA + m * outStride + d] = acc;
                }
            }
        }

        /**
         * {@link #score} of four queries (at qa … qd, hd values each) against one key at kb, written to four[0 .. 3]:
         * four FMA chains fed by each loaded key piece, then {@link #score4}'s transpose-reduce (the butterfly's pairs),
         * each query's scalar tail and × scale; the same bits as four {@link #score} calls.
         */
        private static void scoreQ4(float[] q, int qa, int qb, int qc, int qd, float[] keys, int kb, int hd, float scale,
                                    float[] four) {
            FloatVector a = FloatVector.zero(F);
            FloatVector b = FloatVector.zero(F);
            FloatVector c = FloatVector.zero(F);
            FloatVector d = FloatVector.zero(F);
            int x = 0;
            for (; x + L <= hd; x += L) {
                FloatVector key = FloatVector.fromArray(F, keys, kb + x);
                a = FloatVector.fromArray(F, q, qa + x).fma(key, a);
                b = FloatVector.fromArray(F, q, qb + x).fma(key, b);
                c = FloatVector.fromArray(F, q, qc + x).fma(key, c);
                d = FloatVector.fromArray(F, q, qd + x).fma(key, d);
            }
            FloatVector ab = a.blend(b, TOP).add(b.blend(a, TOP).rearrange(X_TOP));
            FloatVector cd = c.blend(d, TOP).add(d.blend(c, TOP).rearrange(X_TOP));
            FloatVector r = ab.blend(cd, NEXT).add(cd.blend(ab, NEXT).rearrange(X_NEXT));
            if (L == 16) {
                r = r.add(r.rearrange(X2));
            }
            if (L >= 8) {
                r = r.add(r.rearrange(X1));
            }
            float sa = r.lane(0), sb = r.lane(L / 2), sc = r.lane(L / 4), sd = r.lane(3 * L / 4);
            for (; x < hd; x++) {
                float kx = keys[kb + x];
                sa += q[qa + x] * kx;
                sb += q[qb + x] * kx;
                sc += q[qc + x] * kx;
                sd += q[qd + x] * kx;
            }
            four[0] = sa * scale;
            four[1] = sb * scale;
            four[2] = sc * scale;
            four[3] = sd * scale;
        }

        /** Offset from a slot's values of whole piece k (piece k % per of head hFrom + k / per; kv heads headStride apart). */
        private static int pieceOffset(int k, int per, int hFrom, int group, int headStride) {
            return ((hFrom + k / per) / group) * headStride + (k % per) * L;
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

        /** Vectors of outputs per register tile (2L outputs); a panel is WIDTH / (2L) tiles wide. */
        private static final int TW = 2 * L;

        static {
            if (Panels.WIDTH % TW != 0) {
                throw new IllegalStateException("cpu-vector: panel width " + Panels.WIDTH + " is not a multiple of " + TW);
            }
        }

        /**
         * Packed-panel GEMM, lanes along the outputs. A pass of one or two rows takes four column blocks at a time
         * ({@link #narrow}). Otherwise, per 2L-wide column (a whole panel: two column blocks), the activation rows go
         * eight at a time (an 8 × 2-vector tile: per k two weight loads and eight broadcasts feed 16 FMAs), then four,
         * two, one, each tile over all the inputs. The first tile streams the panel from memory; the panel (2L × inputs:
         * 98 KB of F32 at 768 inputs, 262 KB at 2048) stays in L2, so the later tiles of the column run from there.
         * Each output is one FMA chain over k in order, as the scalar kernel's, so a (row, output) value does not
         * depend on the rows beside it.
         * Measured against the earlier design (14 × 2-vector tiles on AVX-512 and K chunks of 128 inputs so that the
         * later tiles ran from L1), paired in one JVM over the GPT-B linear layers (97.6 M weights, 2 threads, mean of
         * 12 rounds): 16 rows 1.24× (F32) and 1.16× (BF16), 32 rows 1.22× and 1.15×. With chunks, each chunk's first
         * tile waited on memory while the L1 tiles ran with no memory traffic in flight; a whole-K tile keeps the
         * weight stream going through the panel.
         * BF16/F16 weights are widened in every tile (once per 8 rows). Widening a column once into a float panel
         * for the later tiles was tried at stop 27 (a separate widening pass; then widening inside the first 8-row
         * tile, storing what it widened). GPT-B BF16, `tessera bench --rows 16,32 --entries 4 --dtype bf16`, paired
         * in turn with this design: 16 rows slower in every pair (separate pass 33–46 → 62–77 ms, fused 38–40 →
         * 45–56 ms), 32 rows slower or mixed. Not kept: the separate pass serialises the weight stream and the FMAs,
         * and the stores slow the first tile.
         * Also tried at stop 28 and not kept, each timed against this design in one JVM (the GPT-B linear layers and
         * the 16384-way head, 97.6 M + 12.6 M random weights, 2 threads, the two alternating over 10 rounds, geometric
         * mean of the per-round ratios; the same harness with both sides equal gave 0.98): 6 × 4-vector tiles over
         * two panels (four weight loads and six broadcasts per 24 FMAs, 28 registers), the thread split on panel
         * pairs: BF16 16 / 32 rows 0.90× / 0.87×, F32 0.91× / 0.89× (a single-thread microbenchmark had shown it
         * ahead, and the same 12 % swing between runs of one kernel on this host); the later 8-row tiles loading the
         * next column's blocks ahead (a software prefetch spreading the weight stream over the tiles): 0.89× / 0.88×
         * both dtypes; 8-row tiles specialised per dtype (no dtype test in the loop): 0.98–1.01×, C2 unswitches it.
         * And BF16 panels with block pairs interleaved (one 32-bit load per k for both blocks, widened by a shift and
         * a mask instead of two zero-extending loads and shifts): `tessera bench --dtype bf16 --rows 16,32 --entries 8
         * --steps 30`, three pairs in turn, 32 rows slower in each (38 → 50, 38 → 53, 45 → 64 ms); the GEMM alone (the
         * layers above, one process per design in turn, best of 6 rounds, three pairs): 16 rows 23–25 → 29–33 ms,
         * 32 rows 32–47 → 48–53 ms.
         * At stop 29, 16 × 1-vector tiles over a k-major copy of 16 rows (one weight load and widening per 16 FMAs): with
         * the copy made per call 0.61–0.66× on the GPT-B layers (same harness); with it made once, from L2, 0.89–0.96×.
         * And the 8-row tile unrolled by hand over two inputs (same chains): C2 then keeps a range check per broadcast and
         * per weight load, 0.69–0.81× from L2; `-XX:LoopUnrollLimit=400` so that C2 unrolls it itself: 0.3–0.5×.
         * The last, partial panel is computed whole (zero weights) into a scratch tile and its real outputs copied.
         */
        @Override
        void matmul(Panels w, int pFrom, int pTo, float[] x, int rows, float[] out) {
            int in = w.inputs();
            int outDim = w.outputs();
            MemorySegment seg = w.data();
            int dt = VectorKernels.code(w.source().dtype());
            float[] scratch = null;
            int oEnd = Math.min(outDim, pTo * Panels.WIDTH);
            int o = Panels.firstOutput(pFrom);
            if (rows <= 2) { // streaming passes: four column blocks at a time, four weight streams per thread
                for (; o + 2 * TW <= oEnd; o += 2 * TW) {
                    narrow(seg, dt, in, o, x, rows, out, outDim);
                }
            }
            for (; o < oEnd; o += TW) {
                int valid = Math.min(TW, outDim - o);
                long e0 = Panels.element(o, 0, in);
                float[] dst = out;
                int ldd = outDim;
                int d0 = o;
                if (valid < TW) {
                    scratch = scratch != null ? scratch : new float[rows * TW];
                    dst = scratch;
                    ldd = TW;
                    d0 = 0;
                }
                int r = 0;
                for (; r + 8 <= rows; r += 8) {
                    tile8(seg, dt, e0, x, r * in, in, dst, d0 + r * ldd, ldd);
                }
                if (r + 4 <= rows) {
                    tile4(seg, dt, e0, x, r * in, in, dst, d0 + r * ldd, ldd);
                    r += 4;
                }
                if (r + 2 <= rows) {
                    tile2(seg, dt, e0, x, r * in, in, dst, d0 + r * ldd, ldd);
                    r += 2;
                }
                if (r < rows) {
                    tile1(seg, dt, e0, x, r * in, in, dst, d0 + r * ldd);
                }
                if (dst == scratch) {
                    for (int rr = 0; rr < rows; rr++) {
                        System.arraycopy(scratch, rr * TW, out, rr * outDim + o, valid);
                    }
                }
            }
        }

        /**
         * One or two rows against the 4L real outputs from {@code o}: four column blocks read side by side (four
         * sequential weight streams; one two-block tile per column kept only two memory streams busy per core and
         * streamed slower). Same chains as the tiles.
         */
        private static void narrow(MemorySegment seg, int dt, int in, int o, float[] x, int rows, float[] out, int ldo) {
            long ea = Panels.element(o, 0, in);
            long eb = Panels.element(o + L, 0, in);
            long ec = Panels.element(o + 2 * L, 0, in);
            long ed = Panels.element(o + 3 * L, 0, in);
            if (rows == 2) {
                wide2(seg, dt, ea, eb, ec, ed, in, x, out, o, ldo);
            } else {
                wide1(seg, dt, ea, eb, ec, ed, in, x, out, o);
            }
        }

        private static void wide2(MemorySegment seg, int dt, long ea, long eb, long ec, long ed, int in, float[] x,
                                  float[] dst, int d, int ldd) {
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = c00;
            FloatVector c02 = c00;
            FloatVector c03 = c00;
            FloatVector c10 = c00;
            FloatVector c11 = c00;
            FloatVector c12 = c00;
            FloatVector c13 = c00;
            for (int k = 0; k < in; k++, ea += L, eb += L, ec += L, ed += L) {
                FloatVector b0 = VectorKernels.load(seg, dt, ea);
                FloatVector b1 = VectorKernels.load(seg, dt, eb);
                FloatVector b2 = VectorKernels.load(seg, dt, ec);
                FloatVector b3 = VectorKernels.load(seg, dt, ed);
                FloatVector a = FloatVector.broadcast(F, x[k]);
                c00 = a.fma(b0, c00);
                c01 = a.fma(b1, c01);
                c02 = a.fma(b2, c02);
                c03 = a.fma(b3, c03);
                a = FloatVector.broadcast(F, x[in + k]);
                c10 = a.fma(b0, c10);
                c11 = a.fma(b1, c11);
                c12 = a.fma(b2, c12);
                c13 = a.fma(b3, c13);
            }
            c00.intoArray(dst, d);
            c01.intoArray(dst, d + L);
            c02.intoArray(dst, d + 2 * L);
            c03.intoArray(dst, d + 3 * L);
            c10.intoArray(dst, d + ldd);
            c11.intoArray(dst, d + ldd + L);
            c12.intoArray(dst, d + ldd + 2 * L);
            c13.intoArray(dst, d + ldd + 3 * L);
        }

        private static void wide1(MemorySegment seg, int dt, long ea, long eb, long ec, long ed, int in, float[] x,
                                  float[] dst, int d) {
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = c00;
            FloatVector c02 = c00;
            FloatVector c03 = c00;
            for (int k = 0; k < in; k++, ea += L, eb += L, ec += L, ed += L) {
                FloatVector a = FloatVector.broadcast(F, x[k]);
                c00 = a.fma(VectorKernels.load(seg, dt, ea), c00);
                c01 = a.fma(VectorKernels.load(seg, dt, eb), c01);
                c02 = a.fma(VectorKernels.load(seg, dt, ec), c02);
                c03 = a.fma(VectorKernels.load(seg, dt, ed), c03);
            }
            c00.intoArray(dst, d);
            c01.intoArray(dst, d + L);
            c02.intoArray(dst, d + 2 * L);
            c03.intoArray(dst, d + 3 * L);
        }

        /*
         * The tiles: rows x0, x0 + in, … of x against the 2L outputs of two column blocks, whose weights for input
         * k are at elements e0 + k · L and e0 + in · L + k · L, over all the inputs; C[r] is written to dst[d + r · ldd ..].
         * Each accumulator is the chain acc = fma(x[r, k], w[o, k], acc) from zero over k in order, as the scalar
         * kernel's. No branch outside the loop.
         */


        private static void tile8(MemorySegment seg, int dt, long e0, float[] x, int x0, int in, float[] dst,
                                  int d, int ldd) {
            int x1 = x0 + in;
            int x2 = x1 + in;
            int x3 = x2 + in;
            int x4 = x3 + in;
            int x5 = x4 + in;
            int x6 = x5 + in;
            int x7 = x6 + in;
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = FloatVector.zero(F);
            FloatVector c10 = FloatVector.zero(F);
            FloatVector c11 = FloatVector.zero(F);
            FloatVector c20 = FloatVector.zero(F);
            FloatVector c21 = FloatVector.zero(F);
            FloatVector c30 = FloatVector.zero(F);
            FloatVector c31 = FloatVector.zero(F);
            FloatVector c40 = FloatVector.zero(F);
            FloatVector c41 = FloatVector.zero(F);
            FloatVector c50 = FloatVector.zero(F);
            FloatVector c51 = FloatVector.zero(F);
            FloatVector c60 = FloatVector.zero(F);
            FloatVector c61 = FloatVector.zero(F);
            FloatVector c70 = FloatVector.zero(F);
            FloatVector c71 = FloatVector.zero(F);
            long e = e0;
            long f = e + (long) in * L;
            for (int k = 0; k < in; k++, e += L, f += L) {
                FloatVector b0 = VectorKernels.load(seg, dt, e);
                FloatVector b1 = VectorKernels.load(seg, dt, f);
                FloatVector a = FloatVector.broadcast(F, x[x0 + k]);
                c00 = a.fma(b0, c00);
                c01 = a.fma(b1, c01);
                a = FloatVector.broadcast(F, x[x1 + k]);
                c10 = a.fma(b0, c10);
                c11 = a.fma(b1, c11);
                a = FloatVector.broadcast(F, x[x2 + k]);
                c20 = a.fma(b0, c20);
                c21 = a.fma(b1, c21);
                a = FloatVector.broadcast(F, x[x3 + k]);
                c30 = a.fma(b0, c30);
                c31 = a.fma(b1, c31);
                a = FloatVector.broadcast(F, x[x4 + k]);
                c40 = a.fma(b0, c40);
                c41 = a.fma(b1, c41);
                a = FloatVector.broadcast(F, x[x5 + k]);
                c50 = a.fma(b0, c50);
                c51 = a.fma(b1, c51);
                a = FloatVector.broadcast(F, x[x6 + k]);
                c60 = a.fma(b0, c60);
                c61 = a.fma(b1, c61);
                a = FloatVector.broadcast(F, x[x7 + k]);
                c70 = a.fma(b0, c70);
                c71 = a.fma(b1, c71);
            }
            c00.intoArray(dst, d);
            c01.intoArray(dst, d + L);
            c10.intoArray(dst, d + ldd);
            c11.intoArray(dst, d + ldd + L);
            c20.intoArray(dst, d + 2 * ldd);
            c21.intoArray(dst, d + 2 * ldd + L);
            c30.intoArray(dst, d + 3 * ldd);
            c31.intoArray(dst, d + 3 * ldd + L);
            c40.intoArray(dst, d + 4 * ldd);
            c41.intoArray(dst, d + 4 * ldd + L);
            c50.intoArray(dst, d + 5 * ldd);
            c51.intoArray(dst, d + 5 * ldd + L);
            c60.intoArray(dst, d + 6 * ldd);
            c61.intoArray(dst, d + 6 * ldd + L);
            c70.intoArray(dst, d + 7 * ldd);
            c71.intoArray(dst, d + 7 * ldd + L);
        }

        private static void tile4(MemorySegment seg, int dt, long e0, float[] x, int x0, int in, float[] dst,
                                  int d, int ldd) {
            int x1 = x0 + in;
            int x2 = x1 + in;
            int x3 = x2 + in;
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = FloatVector.zero(F);
            FloatVector c10 = FloatVector.zero(F);
            FloatVector c11 = FloatVector.zero(F);
            FloatVector c20 = FloatVector.zero(F);
            FloatVector c21 = FloatVector.zero(F);
            FloatVector c30 = FloatVector.zero(F);
            FloatVector c31 = FloatVector.zero(F);
            long e = e0;
            long f = e + (long) in * L;
            for (int k = 0; k < in; k++, e += L, f += L) {
                FloatVector b0 = VectorKernels.load(seg, dt, e);
                FloatVector b1 = VectorKernels.load(seg, dt, f);
                FloatVector a = FloatVector.broadcast(F, x[x0 + k]);
                c00 = a.fma(b0, c00);
                c01 = a.fma(b1, c01);
                a = FloatVector.broadcast(F, x[x1 + k]);
                c10 = a.fma(b0, c10);
                c11 = a.fma(b1, c11);
                a = FloatVector.broadcast(F, x[x2 + k]);
                c20 = a.fma(b0, c20);
                c21 = a.fma(b1, c21);
                a = FloatVector.broadcast(F, x[x3 + k]);
                c30 = a.fma(b0, c30);
                c31 = a.fma(b1, c31);
            }
            c00.intoArray(dst, d);
            c01.intoArray(dst, d + L);
            c10.intoArray(dst, d + ldd);
            c11.intoArray(dst, d + ldd + L);
            c20.intoArray(dst, d + 2 * ldd);
            c21.intoArray(dst, d + 2 * ldd + L);
            c30.intoArray(dst, d + 3 * ldd);
            c31.intoArray(dst, d + 3 * ldd + L);
        }

        private static void tile2(MemorySegment seg, int dt, long e0, float[] x, int x0, int in, float[] dst,
                                  int d, int ldd) {
            int x1 = x0 + in;
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = FloatVector.zero(F);
            FloatVector c10 = FloatVector.zero(F);
            FloatVector c11 = FloatVector.zero(F);
            long e = e0;
            long f = e + (long) in * L;
            for (int k = 0; k < in; k++, e += L, f += L) {
                FloatVector b0 = VectorKernels.load(seg, dt, e);
                FloatVector b1 = VectorKernels.load(seg, dt, f);
                FloatVector a = FloatVector.broadcast(F, x[x0 + k]);
                c00 = a.fma(b0, c00);
                c01 = a.fma(b1, c01);
                a = FloatVector.broadcast(F, x[x1 + k]);
                c10 = a.fma(b0, c10);
                c11 = a.fma(b1, c11);
            }
            c00.intoArray(dst, d);
            c01.intoArray(dst, d + L);
            c10.intoArray(dst, d + ldd);
            c11.intoArray(dst, d + ldd + L);
        }

        private static void tile1(MemorySegment seg, int dt, long e0, float[] x, int x0, int in, float[] dst,
                                  int d) {
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = FloatVector.zero(F);
            long e = e0;
            long f = e + (long) in * L;
            for (int k = 0; k < in; k++, e += L, f += L) {
                FloatVector a = FloatVector.broadcast(F, x[x0 + k]);
                c00 = a.fma(VectorKernels.load(seg, dt, e), c00);
                c01 = a.fma(VectorKernels.load(seg, dt, f), c01);
            }
            c00.intoArray(dst, d);
            c01.intoArray(dst, d + L);
        }

        /**
         * Scores: one FMA chain per slot over the head, butterfly sum, scalar tail (all in one inlined
         * method: vectors handed to a method C2 does not inline are boxed, which made an earlier
         * transpose-reduce of slot blocks slower in whole decode steps than this). Softmax: as
         * {@link #softmax} describes (exp by {@link VectorConvKernels#exp}, lane-wise). Output: per L-wide piece
         * of the head, one FMA chain over the slots, stored once.
         */
        @Override
        void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                    int count, float scale, float[] scores, float[] out, int outOff) {
            for (int j = 0; j < count; j++) {
                scores[j] = score(q, qOff, keys, slots[j] * stride + kvOff, hd, scale);
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
