package io.tessera.app.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Fréchet distance and the Jacobi eigendecomposition against cases with known answers. */
class GaussianTest {
    @Test
    void jacobiDiagonalisesASymmetricMatrix() {
        int d = 7;
        Random rnd = new Random(1);
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                a[i * d + j] = a[j * d + i] = rnd.nextGaussian();
            }
        }
        SymmetricEigen e = SymmetricEigen.of(a, d);
        for (int k = 0; k < d; k++) {
            if (k > 0) {
                assertTrue(e.values()[k - 1] <= e.values()[k], "ascending");
            }
            for (int i = 0; i < d; i++) {
                double av = 0;
                for (int j = 0; j < d; j++) {
                    av += a[i * d + j] * e.vectors()[j * d + k];
                }
                assertEquals(e.values()[k] * e.vectors()[i * d + k], av, 1e-12, "A v = λ v");
            }
            for (int l = 0; l < d; l++) {
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += e.vectors()[i * d + k] * e.vectors()[i * d + l];
                }
                assertEquals(k == l ? 1 : 0, dot, 1e-12, "orthonormal");
            }
        }
    }

    @Test
    void squareRootOfAKnownMatrix() {
        // [[5, 4], [4, 5]] = ([[2, 1], [1, 2]])²
        double[] s = SymmetricEigen.of(new double[] {5, 4, 4, 5}, 2).sqrtPsd();
        double[] expected = {2, 1, 1, 2};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], s[i], 1e-12);
        }
    }

    @Test
    void identicalSetsAreAtDistanceZeroEvenWithFewerSamplesThanDimensions() {
        int n = 5;
        int d = 12;
        float[] f = random(n, d, 3);
        Gaussian g = Gaussian.of(f, n, d);
        assertEquals(0, g.frechetDistance(Gaussian.of(f.clone(), n, d)), 1e-9);
        float[] big = random(400, d, 4);
        assertEquals(0, Gaussian.of(big, 400, d).frechetDistance(Gaussian.of(big, 400, d)), 1e-9);
    }

    @Test
    void diagonalGaussiansHaveTheClosedForm() {
        // ‖μ1 − μ2‖² + Σ (√a − √b)²
        Gaussian a = new Gaussian(new double[] {0, 1, 2}, diag(1, 4, 9), 0);
        Gaussian b = new Gaussian(new double[] {1, 1, 0}, diag(4, 1, 16), 0);
        double expected = (1 + 0 + 4) + (1 + 1 + 1);
        assertEquals(expected, a.frechetDistance(b), 1e-10);
        assertEquals(expected, b.frechetDistance(a), 1e-10);
    }

    @Test
    void nonCommutingCovariancesMatchTheTwoByTwoClosedForm() {
        // For 2×2 M with real non-negative eigenvalues, Tr √M = √(Tr M + 2 √det M); M = Σ1 Σ2 here.
        double[] s1 = {2, 1, 1, 3};
        double[] s2 = {1, -0.5, -0.5, 2};
        double[] m = Gaussian.multiply(s1, s2, 2);
        double traceSqrt = Math.sqrt(m[0] + m[3] + 2 * Math.sqrt(det(s1) * det(s2)));
        double expected = 0.25 + 4 + (2 + 3) + (1 + 2) - 2 * traceSqrt;
        Gaussian a = new Gaussian(new double[] {0.5, 0}, s1, 0);
        Gaussian b = new Gaussian(new double[] {0, 2}, s2, 0);
        assertEquals(expected, a.frechetDistance(b), 1e-10);
        assertEquals(expected, b.frechetDistance(a), 1e-10);
    }

    @Test
    void sampledGaussiansApproachTheirPopulationDistance() {
        // x = μ + L z with L Lᵀ = Σ; 40,000 draws each (seeded, so the result is fixed).
        double[] l1 = {1, 0, 0.5, 1.5};
        double[] l2 = {2, 0, -0.3, 0.4};
        int n = 40_000;
        float[] x1 = draw(n, new double[] {1, -1}, l1, 11);
        float[] x2 = draw(n, new double[] {0, 0.5}, l2, 12);
        Gaussian pop1 = new Gaussian(new double[] {1, -1}, gram(l1), 0);
        Gaussian pop2 = new Gaussian(new double[] {0, 0.5}, gram(l2), 0);
        double expected = pop1.frechetDistance(pop2);
        double sampled = Gaussian.of(x1, n, 2).frechetDistance(Gaussian.of(x2, n, 2));
        assertEquals(expected, sampled, 0.05 * expected);
    }

    @Test
    void covarianceUsesTheUnbiasedDenominator() {
        Gaussian g = Gaussian.of(new float[] {1, 2, 3, 4}, 4, 1);
        assertEquals(2.5, g.mean()[0], 1e-12);
        assertEquals(5.0 / 3, g.covariance()[0], 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Gaussian.of(new float[] {1}, 1, 1));
    }

    static float[] random(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n * d];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextGaussian();
        }
        return f;
    }

    private static float[] draw(int n, double[] mu, double[] l, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n * 2];
        for (int i = 0; i < n; i++) {
            double z0 = r.nextGaussian();
            double z1 = r.nextGaussian();
            f[2 * i] = (float) (mu[0] + l[0] * z0 + l[1] * z1);
            f[2 * i + 1] = (float) (mu[1] + l[2] * z0 + l[3] * z1);
        }
        return f;
    }

    private static double[] gram(double[] l) {
        return new double[] {l[0] * l[0] + l[1] * l[1], l[0] * l[2] + l[1] * l[3], l[0] * l[2] + l[1] * l[3], l[2] * l[2] + l[3] * l[3]};
    }

    private static double[] diag(double... v) {
        double[] m = new double[v.length * v.length];
        for (int i = 0; i < v.length; i++) {
            m[i * v.length + i] = v[i];
        }
        return m;
    }

    private static double det(double[] m) {
        return m[0] * m[3] - m[1] * m[2];
    }
}
