package io.tessera.core.spi;

import io.tessera.core.model.VqWeights;
import org.pf4j.ExtensionPoint;

/**
 * Runs forward passes. The only place with model math: configs, name maps and the decode loop live
 * in core, so every backend computes the same numbers from the same inputs.
 *
 * <p>Contract: sessions are independent; closing one frees what it allocated (native memory too).
 * A family the backend does not implement is refused with a {@code BackendException} naming the
 * backend and the family.
 */
public interface ComputeBackend extends ExtensionPoint {
    /** Unique name used in YAML ({@code backend.name}): cpu-vector, torch. */
    String name();

    GptSession openModel(ModelSpec model, BackendOptions options);

    VqDecoderSession openDecoder(VqWeights weights, BackendOptions options);
}
