package io.tessera.cpu;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.BackendOptions;

/**
 * The {@code backend:} node for cpu-vector: {@code threads} (default: available processors) and
 * {@code kernels} ({@code vector} | {@code scalar}, default vector; the system property
 * {@code tessera.kernels} overrides it) and {@code kv_cache} ({@code float32} | {@code bfloat16}, default float32:
 * how the KV cache stores its slots; bfloat16 halves the bytes a pass streams per cache row, as the official
 * sampler's cache under {@code --precision bf16}; the torch backend takes the same key with the same numbers).
 */
record CpuOptions(int threads, boolean vectorKernels, boolean kvBf16) {
    static final String KERNELS_PROPERTY = "tessera.kernels";

    static CpuOptions parse(BackendOptions options) {
        ConfigNode node = options.node();
        node.string("name", CpuVectorBackend.NAME);
        int threads = node.intIn("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String kernels = node.string("kernels", "vector");
        String kv = node.string("kv_cache", "float32");
        String override = System.getProperty(KERNELS_PROPERTY);
        String where = node.pathOf("kernels");
        if (override != null && !override.isBlank()) {
            kernels = override.trim();
            where = "-D" + KERNELS_PROPERTY;
        }
        node.rejectUnknown();
        boolean vector = switch (kernels) {
            case "vector" -> true;
            case "scalar" -> false;
            default -> throw new ConfigException(where + ": must be vector or scalar, got '" + kernels + "'");
        };
        boolean kvBf16 = switch (kv) {
            case "float32" -> false;
            case "bfloat16" -> true;
            default -> throw node.error("kv_cache", "must be float32 or bfloat16, got '" + kv + "'");
        };
        return new CpuOptions(threads, vector, kvBf16);
    }
}
