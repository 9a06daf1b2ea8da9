package io.tessera.core.model;

import io.tessera.core.spi.ModelSpec;

/**
 * An LPD c2i model: config + weights. Cache slots follow the generation order: slot 0 = class, slot
 * 1 + m = the m-th generated token (a position query first holds it, the real token overwrites it on
 * the next pass). CLASS id {@link #nullClass()} = numClasses embeds {@code fake_latent}.
 */
public record LpdModel(LpdConfig config, LpdWeights weights) implements ModelSpec {
    @Override
    public String family() {
        return "lpd";
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int cacheCapacity() {
        return 1 + config.seqLen();
    }

    @Override
    public int nullClass() {
        return config.nullClass();
    }

    @Override
    public int numClasses() {
        return config.numClasses();
    }
}
