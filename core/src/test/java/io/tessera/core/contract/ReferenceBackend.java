package io.tessera.core.contract;

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

/**
 * The double-precision oracle ({@link ReferenceLlamaGen}, {@link ReferenceVqDecoder}) behind the
 * {@link ComputeBackend} interface, so that {@link BackendContractTest} can run against it. Deliberately
 * not a PF4J extension: it lives in core's test-jar and is never offered to users. It accepts no
 * backend options (any key is rejected) and implements the {@code llamagen}, {@code par}, {@code lpd} and {@code randar} families.
 */
public final class ReferenceBackend implements ComputeBackend {
    /** The backend name. */
    public static final String NAME = "reference";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public GptSession openModel(ModelSpec model, BackendOptions options) {
        options.node().rejectUnknown();
        if (model instanceof LlamaGenModel m) {
            return new ReferenceLlamaGen(m);
        }
        if (model instanceof ParModel m) {
            return new ReferenceLlamaGen(m);
        }
        if (model instanceof RandarModel m) {
            return new ReferenceLlamaGen(m);
        }
        if (model instanceof LpdModel m) {
            return new ReferenceLpd(m);
        }
        throw new BackendException("backend '" + NAME + "' does not implement family '" + model.family() + "'");
    }

    @Override
    public VqDecoderSession openDecoder(VqWeights weights, BackendOptions options) {
        options.node().rejectUnknown();
        return new ReferenceVqDecoder(weights);
    }
}
