package io.tessera.cpu;

/** Plain-loop reference kernels (selected with {@code kernels: scalar} or {@code -Dtessera.kernels=scalar}). */
final class ScalarKernels extends Kernels {
    @Override
    String name() {
        return "scalar";
    }

    @Override
    float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    @Override
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    float sumOfSquares(float[] x, int off, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += x[off + i] * x[off + i];
        }
        return sum;
    }

    @Override
    float sum(float[] x, int off, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += x[off + i];
        }
        return sum;
    }

    @Override
    float sumOfSquaredDeviations(float[] x, int off, int n, float mean) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float d = x[off + i] - mean;
            sum += d * d;
        }
        return sum;
    }

    /** {@link #erf} in double with {@link StrictMath#exp}. */
    @Override
    void gelu(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1.0 + erf(v * 0.7071067811865476)));
        }
    }

    @Override
    void addBias(float[] x, int off, float[] bias, int n) {
        for (int i = 0; i < n; i++) {
            x[off + i] += bias[i];
        }
    }

    @Override
    void normalizeAffine(float[] x, int off, int n, float mean, float rstd, float[] w, float[] b, float[] out, int outOff) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (x[off + i] - mean) * rstd * w[i] + b[i];
        }
    }


    @Override
    void swiGlu(float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            gate[i] = silu(gate[i]) * up[i];
        }
    }
}
