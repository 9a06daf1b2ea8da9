package io.tessera.core.spi;

/**
 * A VQ decoder loaded on a backend. {@link #decode} maps token grids [n, h, w] (raster order) to
 * images float32 [n, 3, h·ds, w·ds] in the model's range (about [−1, 1]).
 */
public interface VqDecoderSession extends AutoCloseable {
    float[] decode(int[] tokens, int n, int h, int w);

    @Override
    void close();
}
