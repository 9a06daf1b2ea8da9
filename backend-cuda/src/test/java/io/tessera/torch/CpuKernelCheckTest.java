package io.tessera.torch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** After {@link CpuKernelCheck#ensure()}, libtorch's CPU convolution matches a direct Java convolution. */
class CpuKernelCheckTest {

    @Test
    void cpuConvolutionMatchesDirectLoopsAfterTheCheck() {
        CpuKernelCheck.ensure();
        int n = 2;
        int ci = 24;
        int co = 48;
        int s = 12;
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[n * ci * s * s];
        float[] w = new float[co * ci * 9];
        float[] b = new float[co];
        for (float[] a : new float[][] {x, w, b}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextDouble() * 2 - 1);
            }
        }
        float[] expected = new float[n * co * s * s];
        for (int img = 0; img < n; img++) {
            for (int o = 0; o < co; o++) {
                for (int y = 0; y < s; y++) {
                    for (int xx = 0; xx < s; xx++) {
                        double acc = b[o];
                        for (int c = 0; c < ci; c++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 3; kx++) {
                                    int iy = y + ky - 1;
                                    int ix = xx + kx - 1;
                                    if (iy >= 0 && iy < s && ix >= 0 && ix < s) {
                                        acc += (double) w[((o * ci + c) * 3 + ky) * 3 + kx] * x[((img * ci + c) * s + iy) * s + ix];
                                    }
                                }
                            }
                        }
                        expected[((img * co + o) * s + y) * s + xx] = (float) acc;
                    }
                }
            }
        }
        float[] got = new float[expected.length];
        try (PointerScope _ = new PointerScope()) {
            Tensor y = torch.conv2d(Tensor.create(x, n, ci, s, s), Tensor.create(w, co, ci, 3, 3), new TensorOptional(Tensor.create(b, co)),
                    new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, 1).contiguous();
            y.data_ptr_float().get(got);
        }
        double err = CpuKernelCheck.relativeError(got, expected);
        assertTrue(err < 1e-5, "libtorch conv2d vs direct loops: relative error " + err
                + (CpuKernelCheck.mkldnnDisabled() ? " (oneDNN off)" : " (oneDNN on)"));
    }
}
