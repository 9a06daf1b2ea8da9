package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named, row-major, little-endian tensor whose bytes live in a {@link MemorySegment}: a slice of a
 * memory-mapped checkpoint (no copy onto the heap) or a heap segment for tensors built in memory.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final MemorySegment data;

    public Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
        long expected = numel() * dtype.byteSize();
        if (data.byteSize() != expected) {
            throw new CheckpointException("tensor '" + name + "': " + data.byteSize() + " bytes for shape "
                    + Arrays.toString(shape) + " " + dtype + " (expected " + expected + ")");
        }
    }

    /**
     * A float32 tensor over a copy of {@code values} (generators, tests, in-memory weights). The copy is
     * native memory freed by the garbage collector: the Vector API loads native segments with vector
     * instructions, while a byte[]-backed heap segment falls back to a per-lane path many times slower.
     */
    public static Tensor ofFloats(String name, long[] shape, float[] values) {
        MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate((long) values.length * 4, 64);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(F32, i, values[i]);
        }
        return new Tensor(name, DType.F32, shape, seg);
    }

    /**
     * A tensor of {@code dtype} holding {@code values}: F32 as {@link #ofFloats(String, long[], float[])},
     * BF16 rounded to nearest even (as torch's {@code .to(torch.bfloat16)}); written checkpoints, exports.
     */
    public static Tensor ofFloats(String name, long[] shape, float[] values, DType dtype) {
        if (dtype == DType.F32) {
            return ofFloats(name, shape, values);
        }
        if (dtype != DType.BF16) {
            throw new IllegalArgumentException("ofFloats: only F32 and BF16 are made from floats, not " + dtype);
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(i16, i, bf16Bits(values[i]));
        }
        return new Tensor(name, DType.BF16, shape, seg);
    }

    /** float → bfloat16 bits, round to nearest even (NaN stays a quiet NaN). */
    public static short bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** An I32 tensor of {@code values} (token caches, labels). */
    public static Tensor ofInts(String name, long[] shape, int[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(i32, i, values[i]);
        }
        return new Tensor(name, DType.I32, shape, seg);
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long numel() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** The raw little-endian bytes (read-only use). */
    public MemorySegment data() {
        return data;
    }

    /** Element {@code i} (flat, row-major) widened to float; BF16 and F16 are widened exactly. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(I16, i) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
            case F64 -> (float) data.getAtIndex(F64, i);
            case I64 -> data.getAtIndex(I64, i);
            case I32 -> data.getAtIndex(I32, i);
            case I16 -> data.getAtIndex(I16, i);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
        };
    }

    /** Element {@code i} of an integer tensor. */
    public long getLong(long i) {
        return switch (dtype) {
            case I64 -> data.getAtIndex(I64, i);
            case I32 -> data.getAtIndex(I32, i);
            case I16 -> data.getAtIndex(I16, i);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            default -> (long) getFloat(i);
        };
    }

    /** All elements widened to a new float array (use for small tensors only; weights stay mapped). */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE) {
            throw new CheckpointException("tensor '" + name + "' is too large to copy onto the heap (" + n + " elements)");
        }
        float[] out = new float[(int) n];
        if (dtype == DType.F32) {
            MemorySegment.copy(data, F32, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = getFloat(i);
            }
        }
        return out;
    }

    /** True when every byte of both tensors, their dtype and shape are equal. */
    public boolean sameAs(Tensor other) {
        return dtype == other.dtype && Arrays.equals(shape, other.shape) && data.mismatch(other.data) == -1;
    }

    /**
     * Throws a one-line {@link io.tessera.core.NonFiniteException} naming {@code file}, this tensor and the
     * first element that is NaN or infinite (floating tensors only; integers are always finite).
     */
    public Tensor requireFinite(String file) {
        if (!dtype.isFloating()) {
            return this;
        }
        long n = numel();
        for (long i = 0; i < n; i++) {
            float v = getFloat(i);
            if (!Float.isFinite(v)) {
                throw new io.tessera.core.NonFiniteException(file + ": tensor '" + name + "' holds " + v + " at element " + i
                        + " of " + n + " (the weights are not finite; the file is damaged or was saved after a diverged step)");
            }
        }
        return this;
    }

    /** The element types a model weight may have: one rule for every tensor of every name map. */
    public static final java.util.Set<DType> WEIGHT_DTYPES = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(DType.F32, DType.F16, DType.BF16));

    /**
     * The check every name map applies to a weight: shape {@code expected} and a floating dtype in
     * {@link #WEIGHT_DTYPES}. Integer, bool and F64 tensors are refused by name, never cast (a cast
     * would hide a wrong file, and the backends would disagree on which casts they make).
     */
    public Tensor requireWeight(String file, long... expected) {
        requireShape(file, expected);
        if (!WEIGHT_DTYPES.contains(dtype)) {
            throw new CheckpointException(file + ": tensor '" + name + "' has dtype " + dtype + ", but weights must be "
                    + "F32, F16 or BF16 (convert the checkpoint's floating tensors; integer tensors are never cast)");
        }
        return this;
    }

    /** Throws a one-line error naming {@code file} and this tensor unless its shape is {@code expected}. */
    public Tensor requireShape(String file, long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new CheckpointException(file + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ", expected " + Arrays.toString(expected));
        }
        return this;
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
