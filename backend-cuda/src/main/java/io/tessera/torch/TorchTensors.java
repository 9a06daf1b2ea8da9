package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import io.tessera.torch.nn.Params;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Host ↔ libtorch copies and the ownership of a session's persistent tensors. */
final class TorchTensors implements AutoCloseable {
    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("torch backend: checkpoint bytes are little-endian; this host is not");
        }
    }

    private final List<Tensor> owned = new ArrayList<>();

    /**
     * Keeps {@code t} beyond the innermost {@link PointerScope} (weights, caches): it is freed by
     * {@link #close()}, not when the scope closes.
     */
    Tensor keep(Tensor t) {
        t.retainReference(); // detach() releases one reference: keep one so the scope does not free it
        PointerScope scope = PointerScope.getInnerScope();
        if (scope != null) {
            scope.detach(t);
        }
        owned.add(t);
        return t;
    }

    /**
     * The {@link Params} of an inference module: each checkpoint tensor uploaded to {@code device} as
     * {@code dtype} (in the caller's scope), kept by this holder when the module holds it.
     */
    Params uploads(Device device, ScalarType dtype) {
        return new Params() {
            @Override
            public Device device() {
                return device;
            }

            @Override
            public Tensor get(io.tessera.core.checkpoint.Tensor t) {
                return upload(t, device, dtype);
            }

            @Override
            public Tensor keep(Tensor t) {
                return TorchTensors.this.keep(t);
            }
        };
    }

    /** Frees {@code t} now if this holder kept it (used when a cache is replaced). */
    void free(Tensor t) {
        if (t != null && owned.remove(t)) {
            t.close();
        }
    }

    @Override
    public void close() {
        for (Tensor t : owned) {
            t.close();
        }
        owned.clear();
    }

    /**
     * A checkpoint tensor on {@code device} as {@code dtype}: one host copy of its little-endian bytes
     * into a libtorch tensor of the file's dtype, then one conversion/transfer (none when the file is
     * already float32 on the CPU). The temporary lives in the caller's scope.
     */
    @SuppressWarnings("restricted") // sizing the native view of libtorch's buffer (runs with --enable-native-access)
    static Tensor upload(io.tessera.core.checkpoint.Tensor src, Device device, ScalarType dtype) {
        ScalarType fileType = scalarType(src.dtype(), src.name());
        Tensor host = torch.empty(src.shape(), new TensorOptions(fileType), new MemoryFormatOptional());
        long bytes = src.data().byteSize();
        if (host.nbytes() != bytes) {
            throw new BackendException("torch: tensor '" + src.name() + "' has " + bytes + " bytes, libtorch expects " + host.nbytes());
        }
        if (bytes > 0) {
            MemorySegment.ofAddress(host.data_ptr().address()).reinterpret(bytes).copyFrom(src.data());
        }
        return host.to(device, dtype);
    }

    static ScalarType scalarType(DType d, String name) {
        return switch (d) {
            case F32 -> ScalarType.Float;
            case BF16 -> ScalarType.BFloat16;
            case F16 -> ScalarType.Half;
            case F64 -> ScalarType.Double;
            default -> throw new BackendException("torch: tensor '" + name + "' has dtype " + d + "; weights must be F32, BF16 or F16");
        };
    }

    /** int ids → int64 tensor of {@code shape} on {@code device}. */
    static Tensor longs(int[] values, Device device, long... shape) {
        long[] v = new long[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = values[i];
        }
        return onDevice(Tensor.create(v, shape), device);
    }

    /** booleans → bool tensor of {@code shape} on {@code device}. */
    static Tensor bools(boolean[] values, Device device, long... shape) {
        return onDevice(Tensor.create(values, shape), device);
    }

    private static Tensor onDevice(Tensor host, Device device) {
        return device.is_cpu() ? host : host.to(device, host.scalar_type());
    }

    /** Any tensor → a new float[] (the one host synchronisation of a call). */
    static float[] toFloats(Tensor t) {
        Tensor host = t.to(new Device(DeviceType.CPU), ScalarType.Float).contiguous();
        long n = host.numel();
        if (n > Integer.MAX_VALUE) {
            throw new BackendException("torch: result of " + n + " elements does not fit a Java array");
        }
        float[] out = new float[(int) n];
        host.data_ptr_float().get(out);
        return out;
    }
}
