package io.tessera.core.model;

import io.tessera.core.spi.ModelSpec;

/**
 * A PAR c2i model: config + weights. Cache slot = position in PAR's inference sequence
 * [cls, x_0 .. x_{n−1}, M_1 .. M_{n−1}, x_n ..]: slot 0 = class, slot k + 1 = reordered token k for
 * k &lt; n, slot n + j = transition token M_j, slot k + n = reordered token k for k ≥ n. The last group is
 * never fed, so a generation writes slots 0 .. N − 1.
 */
public record ParModel(ParConfig config, ParWeights weights) implements ModelSpec {
    @Override
    public String family() {
        return "par";
    }

    @Override
    public int vocabSize() {
        return config.gpt().vocabSize();
    }

    @Override
    public int cacheCapacity() {
        return config.gpt().blockSize();
    }

    @Override
    public int nullClass() {
        return config.gpt().nullClass();
    }

    @Override
    public int numClasses() {
        return config.gpt().numClasses();
    }
}
