package io.tessera.core.contract;

import io.tessera.core.spi.ModelSpec;

/** A model of a family no backend implements, for "family not implemented" tests. */
public record ForeignModel(String family) implements ModelSpec {
    @Override
    public int vocabSize() {
        return 16384;
    }

    @Override
    public int cacheCapacity() {
        return 257;
    }

    @Override
    public int nullClass() {
        return 1000;
    }

    @Override
    public int numClasses() {
        return 1000;
    }
}
