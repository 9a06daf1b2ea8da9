package io.tessera.core.spi;

/**
 * A resolved generative model: family configuration plus shape-checked weights. Backends switch on
 * the concrete type and reject families they do not implement.
 */
public interface ModelSpec {
    /** Family name: llamagen, par, lpd, randar. */
    String family();

    /** Codebook size = width of each logits row. */
    int vocabSize();

    /** KV-cache slots one generation needs. */
    int cacheCapacity();

    /** Class id whose embedding is the unconditional input of classifier-free guidance. */
    int nullClass();

    /** Real classes: valid class ids are [0, numClasses). */
    int numClasses();
}
