package io.tessera.torch.nn;

import io.tessera.core.ConfigException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Small libtorch helpers shared by the family modules and the trainers: functional layers, host copies, devices. */
public final class Ops {
    private Ops() {
    }

    /** {@code cpu}, {@code cuda} or {@code auto} (CUDA when libtorch sees a GPU, else CPU). */
    public static Device device(String name, String yamlPath) {
        io.tessera.torch.CpuKernelCheck.ensure();
        return switch (name) {
            case "cpu" -> new Device(torch.DeviceType.CPU);
            case "cuda" -> {
                if (!torch.cuda_is_available()) {
                    throw new ConfigException(yamlPath + ": cuda requested but libtorch sees no CUDA device (use cpu or auto)");
                }
                yield new Device(torch.DeviceType.CUDA, (byte) 0);
            }
            case "auto" -> torch.cuda_is_available() ? new Device(torch.DeviceType.CUDA, (byte) 0) : new Device(torch.DeviceType.CPU);
            default -> throw new ConfigException(yamlPath + ": must be cpu, cuda or auto, got '" + name + "'");
        };
    }

    public static Scalar s(double v) {
        return new Scalar(v);
    }

    public static TensorOptions opts(Device d) {
        return new TensorOptions(d);
    }

    public static Tensor zeros(Device d, long... shape) {
        return torch.zeros(shape, opts(d));
    }

    public static Tensor ones(Device d, long... shape) {
        return torch.ones(shape, opts(d));
    }

    public static Tensor uniform(Device d, double bound, long... shape) {
        return torch.empty(shape, opts(d), new MemoryFormatOptional()).uniform_(-bound, bound, new GeneratorOptional());
    }

    public static Tensor normal(Device d, double std, long... shape) {
        return torch.empty(shape, opts(d), new MemoryFormatOptional()).normal_(0.0, std, new GeneratorOptional());
    }

    /** A float tensor [shape] on {@code d} holding a copy of {@code v}. */
    public static Tensor floats(Device d, float[] v, long... shape) {
        Tensor t = Tensor.create(v, shape);
        return d.is_cpu() ? t : t.to(d, torch.ScalarType.Float);
    }

    /** An int64 tensor [shape] on {@code d} holding a copy of {@code v}. */
    public static Tensor longs(Device d, long[] v, long... shape) {
        Tensor t = Tensor.create(v, shape);
        return d.is_cpu() ? t : t.to(d, torch.ScalarType.Long);
    }

    /** All elements as floats on the host (row-major). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Float).cpu().contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    /** All elements as longs on the host (row-major). */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Long).cpu().contiguous();
        long[] out = new long[(int) c.numel()];
        c.data_ptr_long().get(out);
        return out;
    }

    /** Conv2d with square kernel, stride and padding (bias required). */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, int stride, int padding) {
        return torch.conv2d(x, w, new TensorOptional(b), new long[] {stride, stride}, new long[] {padding, padding}, new long[] {1, 1}, 1);
    }

    /** GroupNorm(32 groups, eps 1e-6, affine), as Normalize() of vq_model.py. */
    public static Tensor groupNorm(Tensor x, Tensor w, Tensor b) {
        return torch.group_norm(x, 32, new TensorOptional(w), new TensorOptional(b), 1e-6, true);
    }

    /** Softmax attention over the last two dims, scale 1/√d; causal when asked. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, boolean causal) {
        return torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, causal, new DoubleOptional(), false);
    }

    public static Tensor cat(long dim, Tensor... ts) {
        return torch.cat(new TensorVector(ts), dim);
    }

    /** Below this many rows per linear layer the CPU path uses matrix–vector products. */
    private static final int GEMV_ROWS = 4;

    /**
     * {@code x · wᵀ (+ bias)} for x [.., in], w [out, in], bias [out] or null. On the CPU a decode step has
     * only a few rows, where libtorch's gemm (OpenBLAS) is several times slower than one gemv per row (it
     * packs the whole weight first); the result is the same product, summed in a different order.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        long rowsIn = x.numel() / x.size(-1);
        if (x.is_cuda() || rowsIn > GEMV_ROWS) {
            return bias == null ? torch.linear(x, w, new TensorOptional()) : torch.linear(x, w, new TensorOptional(bias));
        }
        Tensor flat = x.reshape(rowsIn, x.size(-1));
        TensorVector out = new TensorVector();
        for (long r = 0; r < rowsIn; r++) {
            out.push_back(torch.mv(w, flat.select(0, r)));
        }
        long[] shape = x.shape();
        shape[shape.length - 1] = w.size(0);
        Tensor y = torch.stack(out, 0).view(shape);
        return bias == null ? y : y.add(bias);
    }
}
