package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.BackendOptions;
import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The {@code backend:} node as the torch backend reads it.
 *
 * <pre>
 * backend: {name: torch, device: auto|cpu|cuda, dtype: float32|bfloat16, kv_cache: float32|bfloat16, threads: N}
 * </pre>
 *
 * {@code device: auto} (the default) picks CUDA when libtorch sees a GPU, else the CPU. {@code dtype}
 * is the GPT's compute and KV-cache type (bfloat16 needs CUDA); the VQ decoder always runs in
 * float32, as the official sampling scripts do. {@code kv_cache} (default: the dtype) stores the KV cache in
 * bfloat16 under float32 compute: keys and values are rounded to bfloat16 when written and widened back for
 * attention, the same numbers as cpu-vector's {@code kv_cache: bfloat16}; a float32 cache under bfloat16 compute
 * is refused. {@code threads} is libtorch's intra-op thread count
 * on the CPU (default: available processors).
 *
 * @param cuda    run on CUDA device 0
 * @param bf16    GPT weights, activations and cache in bfloat16
 * @param kvBf16  the KV cache in bfloat16 (always with bf16)
 * @param threads intra-op threads for CPU work
 */
public record TorchOptions(boolean cuda, boolean bf16, boolean kvBf16, int threads) {

    /** Reads and validates {@code options}; rejects unknown keys. */
    public static TorchOptions read(BackendOptions options) {
        ConfigNode node = options.node();
        node.string("name", "torch");
        String device = node.string("device", "auto").toLowerCase(Locale.ROOT);
        String dtype = node.string("dtype", "float32").toLowerCase(Locale.ROOT);
        String kv = node.string("kv_cache", dtype).toLowerCase(Locale.ROOT);
        int threads = node.intAtLeast("threads", Runtime.getRuntime().availableProcessors(), 1);
        node.rejectUnknown();

        boolean cuda = switch (device) {
            case "cpu" -> false;
            case "cuda" -> {
                if (!TorchInfo.cudaAvailable()) {
                    throw new BackendException("torch: " + node.pathOf("device") + " is 'cuda' but libtorch sees no CUDA "
                            + "device (CPU natives or no GPU); use device: cpu or auto");
                }
                yield true;
            }
            case "auto" -> TorchInfo.cudaAvailable();
            default -> throw node.error("device", "must be auto, cpu or cuda, got '" + device + "'");
        };
        boolean bf16 = switch (dtype) {
            case "float32" -> false;
            case "bfloat16" -> {
                if (!cuda) {
                    throw new BackendException("torch: " + node.pathOf("dtype") + " is 'bfloat16', which needs CUDA; "
                            + "this session runs on the CPU (use dtype: float32 or device: cuda)");
                }
                yield true;
            }
            default -> throw node.error("dtype", "must be float32 or bfloat16, got '" + dtype + "'");
        };
        boolean kvBf16 = switch (kv) {
            case "float32" -> {
                if (bf16) {
                    throw node.error("kv_cache", "float32 needs dtype: float32 (dtype bfloat16 computes and caches in bfloat16)");
                }
                yield false;
            }
            case "bfloat16" -> true;
            default -> throw node.error("kv_cache", "must be float32 or bfloat16, got '" + kv + "'");
        };
        return new TorchOptions(cuda, bf16, kvBf16, threads);
    }

    /** The libtorch device of this session. */
    Device device() {
        CpuKernelCheck.ensure();
        return cuda ? new Device(DeviceType.CUDA, (byte) 0) : new Device(DeviceType.CPU);
    }

    /** The KV cache's dtype. */
    ScalarType cacheDtype() {
        return kvBf16 ? ScalarType.BFloat16 : ScalarType.Float;
    }

    /** The GPT's compute dtype. */
    ScalarType gptDtype() {
        return bf16 ? ScalarType.BFloat16 : ScalarType.Float;
    }

    /** Applies the CPU thread count (libtorch's intra-op pool is process-wide). */
    void applyThreads() {
        if (!cuda && torch.get_num_threads() != threads) {
            torch.set_num_threads(threads);
        }
    }

    public String describe() {
        return (cuda ? "cuda" : "cpu") + ", " + (bf16 ? "bfloat16" : "float32") + (cuda ? "" : ", " + threads + " threads");
    }
}
