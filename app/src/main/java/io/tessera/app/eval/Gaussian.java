package io.tessera.app.eval;

/**
 * Mean and covariance of a set of feature vectors: the Gaussian the Fréchet distance compares.
 *
 * @param mean       μ, length d
 * @param covariance Σ, row-major d×d, with the unbiased (n − 1) denominator as NumPy's {@code np.cov}
 *                   (the convention of the reference FID implementations)
 * @param n          number of vectors it was estimated from (0 for a Gaussian given by its moments)
 */
public record Gaussian(double[] mean, double[] covariance, int n) {
    public Gaussian {
        if (covariance.length != mean.length * mean.length) {
            throw new IllegalArgumentException("covariance has " + covariance.length + " entries for a mean of dimension " + mean.length);
        }
    }

    /** Dimension d. */
    public int dim() {
        return mean.length;
    }

    /**
     * Estimates μ and Σ from {@code n} row vectors {@code features[i*d .. i*d + d)} (accumulated in
     * double, two-pass).
     *
     * @throws IllegalArgumentException if {@code n < 2} (no covariance) or the array is too short
     */
    public static Gaussian of(float[] features, int n, int d) {
        if (n < 2) {
            throw new IllegalArgumentException("a covariance needs at least 2 samples, got " + n);
        }
        if (features.length < (long) n * d) {
            throw new IllegalArgumentException("features hold " + features.length + " values, expected " + n + "×" + d);
        }
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                mean[k] += features[i * d + k];
            }
        }
        for (int k = 0; k < d; k++) {
            mean[k] /= n;
        }
        double[] cov = new double[d * d];
        double[] x = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                x[k] = features[i * d + k] - mean[k];
            }
            for (int a = 0; a < d; a++) {
                double xa = x[a];
                if (xa == 0) {
                    continue;
                }
                int row = a * d;
                for (int b = a; b < d; b++) {
                    cov[row + b] += xa * x[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                double v = cov[a * d + b] / (n - 1);
                cov[a * d + b] = v;
                cov[b * d + a] = v;
            }
        }
        return new Gaussian(mean, cov, n);
    }

    /**
     * The Fréchet (2-Wasserstein) distance between two Gaussians, as FID defines it:
     * {@code ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½)}.
     *
     * <p>{@code Tr (Σ1 Σ2)^½} is computed as {@code Tr (Σ1^½ Σ2 Σ1^½)^½} (the two matrices are similar),
     * a symmetric positive semi-definite matrix, by two symmetric eigendecompositions; eigenvalues
     * that rounding made negative count as zero. This needs no regularising ε for singular
     * covariances (fewer samples than dimensions), unlike {@code scipy.linalg.sqrtm} of the
     * non-symmetric product. The result is clamped at 0.
     *
     * @throws IllegalArgumentException if the dimensions differ
     */
    public double frechetDistance(Gaussian other) {
        int d = dim();
        if (other.dim() != d) {
            throw new IllegalArgumentException("feature dimensions differ: " + d + " and " + other.dim());
        }
        double meanTerm = 0;
        for (int k = 0; k < d; k++) {
            double diff = mean[k] - other.mean[k];
            meanTerm += diff * diff;
        }
        double trace = 0;
        for (int k = 0; k < d; k++) {
            trace += covariance[k * d + k] + other.covariance[k * d + k];
        }
        double[] s1 = SymmetricEigen.of(covariance, d).sqrtPsd();
        double[] m = multiply(multiply(s1, other.covariance, d), s1, d);
        double traceSqrt = 0;
        for (double lambda : SymmetricEigen.of(m, d).values()) {
            traceSqrt += Math.sqrt(Math.max(lambda, 0));
        }
        return Math.max(0, meanTerm + trace - 2 * traceSqrt);
    }

    static double[] multiply(double[] a, double[] b, int d) {
        double[] c = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                double aik = a[i * d + k];
                if (aik == 0) {
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    c[i * d + j] += aik * b[k * d + j];
                }
            }
        }
        return c;
    }
}
