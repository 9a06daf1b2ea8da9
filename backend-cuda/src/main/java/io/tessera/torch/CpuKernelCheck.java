package io.tessera.torch;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Context;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A once-per-process check of libtorch's CPU convolution kernels, run before the first CPU session.
 *
 * <p>On some CPUs the oneDNN (mkldnn) AVX-512 convolution kernels bundled with libtorch 2.10 return
 * wrong values (found on an AMD EPYC family 26 / Zen 5 VM: a 3×3 convolution off by ~0.5, training
 * losses turning NaN), while libtorch's own im2col + BLAS path and oneDNN capped at AVX2 are exact.
 * This check runs one small convolution (forward and weight gradient) with oneDNN and with
 * libtorch's native path; when they disagree it switches oneDNN off for the process and says so on
 * stderr in one line, naming the faster remedy (oneDNN capped at AVX2 through the environment
 * variable {@code ONEDNN_MAX_CPU_ISA=AVX2}, read once when oneDNN starts, so it cannot be set from
 * here). NNPACK is switched off on the CPU in every case: on x86 it serves only
 * batch-1 inference convolutions, and where the CPU lacks what it needs it prints a warning per
 * call ("Could not initialize NNPACK").
 */
public final class CpuKernelCheck {
    /** Relative tolerance between the two paths (both f32; they differ only in summation order). */
    static final double TOLERANCE = 1e-4;
    private static boolean done;
    private static boolean mkldnnDisabled;

    private CpuKernelCheck() {
    }

    /** Runs the check once per process (later calls return at once). */
    public static synchronized void ensure() {
        if (done) {
            return;
        }
        done = true;
        Context ctx = torch.globalContext();
        ctx.setUserEnabledNNPACK(false);
        if (!Context.hasMKLDNN() || !ctx.userEnabledMkldnn()) {
            return;
        }
        float[][] withMkldnn = convolution();
        ctx.setUserEnabledMkldnn(false);
        float[][] nativePath = convolution();
        double err = Math.max(relativeError(withMkldnn[0], nativePath[0]), relativeError(withMkldnn[1], nativePath[1]));
        if (err <= TOLERANCE) {
            ctx.setUserEnabledMkldnn(true);
            return;
        }
        mkldnnDisabled = true;
        System.err.printf("tessera: libtorch's oneDNN CPU convolution is wrong on this CPU (relative error %.2g against "
                + "libtorch's native kernels); using the native kernels (slower: to keep oneDNN, set ONEDNN_MAX_CPU_ISA=AVX2, "
                + "which was exact where this was found)%n", err);
    }

    /** Whether {@link #ensure} found oneDNN wrong and switched it off. */
    public static synchronized boolean mkldnnDisabled() {
        return mkldnnDisabled;
    }

    /** Output and weight gradient of a 3×3 convolution, 24 → 48 channels on [2, 24, 12, 12], fixed inputs. */
    private static float[][] convolution() {
        try (PointerScope _ = new PointerScope()) {
            Tensor x = Tensor.create(pattern(2 * 24 * 12 * 12, 0.37), 2, 24, 12, 12);
            Tensor w = Tensor.create(pattern(48 * 24 * 3 * 3, 0.11), 48, 24, 3, 3).requires_grad_(true);
            Tensor b = Tensor.create(pattern(48, 0.53), 48);
            Tensor y = torch.conv2d(x, w, new TensorOptional(b), new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, 1);
            Tensor weighted = y.mul(Tensor.create(pattern(2 * 48 * 12 * 12, 0.71), 2, 48, 12, 12)).sum();
            weighted.backward();
            return new float[][] {TorchTensors.toFloats(y.detach()), TorchTensors.toFloats(w.grad())};
        }
    }

    private static float[] pattern(int n, double phase) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(0.7 * i + phase);
        }
        return v;
    }

    static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Double.isNaN(num) ? Double.POSITIVE_INFINITY : Math.sqrt(num / Math.max(den, 1e-30));
    }
}
