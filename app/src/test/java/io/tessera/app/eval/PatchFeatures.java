package io.tessera.app.eval;

/**
 * A deterministic stand-in for the classifier: features are the grey means of a 4×4 grid of patches
 * (16 values), the predicted class is the argmax over the first 10 of them.
 */
final class PatchFeatures implements FeatureExtractor {
    static final int GRID = 4;

    @Override
    public int dim() {
        return GRID * GRID;
    }

    @Override
    public String description() {
        return "patch means (test)";
    }

    @Override
    public Features extract(float[] images, int n, int size) {
        int plane = size * size;
        int patch = size / GRID;
        float[] f = new float[n * dim()];
        int[] cls = new int[n];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        f[i * dim() + (y / patch) * GRID + x / patch] += images[(i * 3 + c) * plane + y * size + x];
                    }
                }
            }
            int best = 0;
            for (int k = 0; k < dim(); k++) {
                f[i * dim() + k] /= 3f * patch * patch;
                if (k < 10 && f[i * dim() + k] > f[i * dim() + best]) {
                    best = k;
                }
            }
            cls[i] = best;
        }
        return new Features(f, cls, n, dim());
    }
}
