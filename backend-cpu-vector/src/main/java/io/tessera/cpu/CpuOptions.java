package io.tessera.cpu;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.BackendOptions;

/**
 * The {@code backend:} node for cpu-vector: {@code threads} (default: available processors) and
 * {@code kernels} ({@code vector} | {@code scalar}, default vector; the system property
 * {@code tessera.kernels} overrides it).
 */
record CpuOptions(int threads, boolean vectorKernels) {
    static final String KERNELS_PROPERTY = "tessera.kernels";

    static CpuOptions parse(BackendOptions options) {
        ConfigNode node = options.node();
        node.string("name", CpuVectorBackend.NAME);
        int threads = node.intIn("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String kernels = node.string("kernels", "vector");
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
        return new CpuOptions(threads, vector);
    }
}
