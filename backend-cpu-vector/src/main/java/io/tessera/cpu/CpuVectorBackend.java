package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.RandarModel;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.VqDecoderSession;
import org.pf4j.Extension;

/**
 * Pure-Java backend: forward passes with {@code jdk.incubator.vector}, multi-threaded and
 * deterministic (bit-identical for any thread count). Weights are read in place from the
 * checkpoint's memory segments.
 *
 * <p>Launch with {@code --add-modules jdk.incubator.vector}. On CPUs with AVX-512 (avx512f in
 * /proc/cpuinfo) pass {@code -XX:UseAVX=3} where the JVM does not pick it by itself, so that
 * {@code FloatVector.SPECIES_PREFERRED} is 512-bit (on the AMD EPYC development machine the JVM already
 * defaults to UseAVX=3). The memory-bound decode step gains little from 512-bit vectors; the
 * compute-bound VQ convolutions gain most.
 */
@Extension
public final class CpuVectorBackend implements ComputeBackend {
    public static final String NAME = "cpu-vector";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public GptSession openModel(ModelSpec model, BackendOptions options) {
        CpuOptions opts = CpuOptions.parse(options);
        return switch (model) {
            case LlamaGenModel m -> new LlamaGenForward(m, opts);
            case ParModel m -> new LlamaGenForward(m, opts);
            case LpdModel m -> new LpdForward(m, opts);
            case RandarModel m -> new RandarForward(m, opts);
            default -> throw new BackendException(NAME + ": family '" + model.family() + "' is not implemented");
        };
    }

    @Override
    public VqDecoderSession openDecoder(VqWeights weights, BackendOptions options) {
        return new VqDecoderForward(weights, CpuOptions.parse(options));
    }
}
