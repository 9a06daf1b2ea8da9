package io.tessera.torch;

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
 * The libtorch backend ({@code backend: {name: torch, device: auto|cpu|cuda, dtype: float32|bfloat16,
 * threads: N}}). Natives load on the first session, not when the extension is discovered.
 */
@Extension
public final class TorchBackend implements ComputeBackend {

    @Override
    public String name() {
        return "torch";
    }

    @Override
    public GptSession openModel(ModelSpec model, BackendOptions options) {
        return switch (model) {
            case LlamaGenModel m -> new TorchLlamaGen(m, TorchOptions.read(options));
            case ParModel m -> new TorchLlamaGen(m, TorchOptions.read(options));
            case LpdModel m -> new TorchLpd(m, TorchOptions.read(options));
            case RandarModel m -> new TorchRandar(m, TorchOptions.read(options));
            default -> throw new BackendException("torch: family '" + model.family() + "' is not implemented");
        };
    }

    @Override
    public VqDecoderSession openDecoder(VqWeights weights, BackendOptions options) {
        return new TorchVqDecoder(weights, TorchOptions.read(options));
    }
}
