package io.tessera.train;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.FamilyAdapter;
import io.tessera.core.decode.Generator;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.torch.TorchBackend;
import io.tessera.torch.nn.ParamStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * The trainers' sanity samples go through the product's path: the trained parameters as an
 * official-layout checkpoint, the family's {@code ModelSpec} and adapter, the libtorch backend's
 * inference session and core's one decode loop and sampler ({@link Generator}). No second decode loop.
 */
final class Sampling {
    private Sampling() {
    }

    /**
     * Token grids [image][cell] for {@code classes}, one forward pass per group of {@code order}.
     *
     * @param params       the trained parameters (official names)
     * @param model        builds the family's model from the in-memory checkpoint of {@code params}
     * @param adapter      builds the family's adapter for that model
     * @param orderOptions the order section ({@code name} first), as a pipeline YAML would give it
     */
    static <M extends ModelSpec> int[][] generate(ParamStore params, Device device, Function<MemoryCheckpoint, M> model,
                                                  Function<M, FamilyAdapter> adapter, OrderScheduler order,
                                                  Map<String, Object> orderOptions, SamplingConfig sampling, int[] classes) {
        MemoryCheckpoint ckpt = new MemoryCheckpoint("trained parameters", params.export("", DType.F32));
        M m = model.apply(ckpt);
        Map<String, Object> backend = new LinkedHashMap<>();
        backend.put("name", "torch");
        backend.put("device", device.is_cuda() ? "cuda" : "cpu");
        backend.put("threads", torch.get_num_threads());
        try (GptSession session = new TorchBackend().openModel(m, new BackendOptions(new ConfigNode("backend", backend)))) {
            Generator g = new Generator(adapter.apply(m), session, order, new ConfigNode("order", orderOptions), sampling);
            return g.generate(classes, classes.length, null).tokens();
        }
    }
}
