package io.tessera.torch;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.contract.BackendContractTest;
import io.tessera.core.contract.RequiresCuda;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import java.util.Map;

/** The contract suite on a CUDA device; skipped, with its reason, where no GPU exists. */
@RequiresCuda
class TorchCudaContractTest extends BackendContractTest implements RequiresCuda.Probe {
    @Override
    protected ComputeBackend backend() {
        return new TorchBackend();
    }

    @Override
    protected BackendOptions options() {
        return new BackendOptions(new ConfigNode("backend", Map.of("name", "torch", "device", "cuda")));
    }

    @Override
    public boolean cudaAvailable() {
        return TorchInfo.cudaAvailable();
    }
}
