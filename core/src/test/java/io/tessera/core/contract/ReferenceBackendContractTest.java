package io.tessera.core.contract;

import io.tessera.core.spi.ComputeBackend;

/** The contract suite run against the oracle itself: checks the suite's plumbing (the oracle must pass). */
class ReferenceBackendContractTest extends BackendContractTest {
    @Override
    protected ComputeBackend backend() {
        return new ReferenceBackend();
    }
}
