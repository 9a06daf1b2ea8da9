package io.tessera.app.eval;

/**
 * Eigendecomposition of a real symmetric matrix by the cyclic Jacobi method: {@code A = V Λ Vᵀ} with
 * {@code V} orthonormal. Jacobi is slower than tridiagonal QR but unconditionally stable and accurate
 * to a few ulps of {@code ‖A‖} for every eigenvalue, which is what a matrix square root of an
 * (often rank-deficient) covariance product needs. O(d³) per sweep; 6–10 sweeps in practice.
 *
 * @param values  eigenvalues λ, ascending
 * @param vectors eigenvectors as the columns of a row-major d×d matrix: {@code vectors[i*d + k]} is
 *                component i of the eigenvector of {@code values[k]}
 * @param d       order of the matrix
 */
public record SymmetricEigen(double[] values, double[] vectors, int d) {
    private static final int MAX_SWEEPS = 100;

    /**
     * Decomposes the symmetric d×d row-major matrix {@code a} (left unchanged). Only symmetry up to
     * rounding is assumed: the matrix is symmetrised as (A + Aᵀ)/2 first.
     *
     * @throws IllegalArgumentException if {@code a.length != d*d} or an entry is not finite
     * @throws ArithmeticException if the rotations do not converge (cannot happen for finite input)
     */
    public static SymmetricEigen of(double[] a, int d) {
        if (a.length != d * d) {
            throw new IllegalArgumentException("matrix has " + a.length + " entries, expected " + d + "×" + d);
        }
        double[] m = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double v = 0.5 * (a[i * d + j] + a[j * d + i]);
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("matrix entry (" + i + ", " + j + ") is " + v);
                }
                m[i * d + j] = v;
            }
        }
        double[] v = new double[d * d];
        for (int i = 0; i < d; i++) {
            v[i * d + i] = 1;
        }
        double norm = 0;
        for (double x : m) {
            norm += x * x;
        }
        double tiny = Math.max(norm, Double.MIN_NORMAL) * 1e-32;
        int sweep = 0;
        for (; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            for (int p = 0; p < d; p++) {
                for (int q = p + 1; q < d; q++) {
                    off += m[p * d + q] * m[p * d + q];
                }
            }
            if (off <= tiny) {
                break;
            }
            for (int p = 0; p < d - 1; p++) {
                for (int q = p + 1; q < d; q++) {
                    rotate(m, v, d, p, q);
                }
            }
        }
        if (sweep == MAX_SWEEPS) {
            throw new ArithmeticException("Jacobi eigendecomposition did not converge in " + MAX_SWEEPS + " sweeps");
        }
        // sort ascending
        Integer[] idx = new Integer[d];
        for (int i = 0; i < d; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Double.compare(m[x * d + x], m[y * d + y]));
        double[] values = new double[d];
        double[] vectors = new double[d * d];
        for (int k = 0; k < d; k++) {
            values[k] = m[idx[k] * d + idx[k]];
            for (int i = 0; i < d; i++) {
                vectors[i * d + k] = v[i * d + idx[k]];
            }
        }
        return new SymmetricEigen(values, vectors, d);
    }

    /** One Jacobi rotation zeroing m[p][q] (Golub &amp; Van Loan, Algorithm 8.5.1, stable tangent). */
    private static void rotate(double[] m, double[] v, int d, int p, int q) {
        double apq = m[p * d + q];
        if (apq == 0) {
            return;
        }
        double app = m[p * d + p];
        double aqq = m[q * d + q];
        double tau = (aqq - app) / (2 * apq);
        double t = Math.signum(tau) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        if (tau == 0) {
            t = 1;
        }
        double c = 1 / Math.sqrt(1 + t * t);
        double s = t * c;
        for (int k = 0; k < d; k++) {
            double mkp = m[k * d + p];
            double mkq = m[k * d + q];
            m[k * d + p] = c * mkp - s * mkq;
            m[k * d + q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < d; k++) {
            double mpk = m[p * d + k];
            double mqk = m[q * d + k];
            m[p * d + k] = c * mpk - s * mqk;
            m[q * d + k] = s * mpk + c * mqk;
        }
        m[p * d + q] = 0;
        m[q * d + p] = 0;
        for (int k = 0; k < d; k++) {
            double vkp = v[k * d + p];
            double vkq = v[k * d + q];
            v[k * d + p] = c * vkp - s * vkq;
            v[k * d + q] = s * vkp + c * vkq;
        }
    }

    /**
     * {@code V f(Λ) Vᵀ} with {@code f(λ) = sqrt(max(λ, 0))}: the principal square root of a symmetric
     * positive semi-definite matrix; eigenvalues that rounding made slightly negative count as 0.
     */
    public double[] sqrtPsd() {
        double[] out = new double[d * d];
        for (int k = 0; k < d; k++) {
            double s = Math.sqrt(Math.max(values[k], 0));
            if (s == 0) {
                continue;
            }
            for (int i = 0; i < d; i++) {
                double vik = vectors[i * d + k] * s;
                for (int j = 0; j < d; j++) {
                    out[i * d + j] += vik * vectors[j * d + k];
                }
            }
        }
        return out;
    }
}
