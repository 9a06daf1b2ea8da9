package io.tessera.cpu;

import io.tessera.core.contract.BackendContractTest;
import io.tessera.core.spi.ComputeBackend;

/** The cross-backend contract suite (core's test-jar) against the pure-Java backend. */
class CpuVectorContractTest extends BackendContractTest {
    @Override
    protected ComputeBackend backend() {
        return new CpuVectorBackend();
    }
}
