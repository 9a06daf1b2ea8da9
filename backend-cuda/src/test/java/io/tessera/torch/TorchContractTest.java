package io.tessera.torch;

import io.tessera.core.contract.BackendContractTest;
import io.tessera.core.spi.ComputeBackend;

/** The cross-backend contract suite (core's test-jar) against libtorch on the CPU. */
class TorchContractTest extends BackendContractTest {
    @Override
    protected ComputeBackend backend() {
        return new TorchBackend();
    }
}
