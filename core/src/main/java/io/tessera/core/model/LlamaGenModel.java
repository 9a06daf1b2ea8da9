package io.tessera.core.model;

import io.tessera.core.spi.ModelSpec;

/** A LlamaGen c2i GPT: config + weights. Cache slot 0 = class token, slot 1 + k = image token k. */
public record LlamaGenModel(LlamaGenConfig config, LlamaGenWeights weights) implements ModelSpec {
    @Override
    public String family() {
        return "llamagen";
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int nullClass() {
        return config.nullClass();
    }

    @Override
    public int numClasses() {
        return config.numClasses();
    }

    @Override
    public int cacheCapacity() {
        return 1 + config.blockSize();
    }
}
