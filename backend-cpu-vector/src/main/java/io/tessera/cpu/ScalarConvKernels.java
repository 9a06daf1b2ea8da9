package io.tessera.cpu;

/**
 * Direct-loop reference convolution (selected with {@code kernels: scalar}): for every output,
 * bias + Σ over (ci, ky, kx) in that order of weight · input, skipping taps in the zero padding.
 * Weights stay in torch order [cout, cin·k·k]. Split over output channels. GroupNorm is
 * {@link Kernels#groupNorm}.
 */
final class ScalarConvKernels extends ConvKernels {

    @Override
    Packed pack(String name, float[] w, float[] bias, int cout, int cin, int ks) {
        return new Packed(name, cout, cin, ks, w.clone(), bias.clone());
    }

    @Override
    void conv(Parallel pool, Packed p, float[] in, int h, int w, boolean upsample, float[] out) {
        int ks = p.ks();
        int cin = p.cin();
        int pad = ks / 2;
        int oh = upsample ? 2 * h : h;
        int ow = upsample ? 2 * w : w;
        float[] wt = p.weights();
        pool.range(p.cout(), (from, to) -> {
            for (int co = from; co < to; co++) {
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        float sum = 0f;
                        for (int ci = 0; ci < cin; ci++) {
                            for (int ky = 0; ky < ks; ky++) {
                                int iy = y + ky - pad;
                                if (iy < 0 || iy >= oh) {
                                    continue;
                                }
                                for (int kx = 0; kx < ks; kx++) {
                                    int ix = x + kx - pad;
                                    if (ix < 0 || ix >= ow) {
                                        continue;
                                    }
                                    float v = upsample ? in[(ci * h + (iy >> 1)) * w + (ix >> 1)] : in[(ci * h + iy) * w + ix];
                                    sum += wt[((co * cin + ci) * ks + ky) * ks + kx] * v;
                                }
                            }
                        }
                        out[(co * oh + y) * ow + x] = p.bias()[co] + sum;
                    }
                }
            }
        });
    }

    /** GroupNorm into a temporary, then the direct conv. */
    @Override
    void normConv(Parallel pool, Packed p, float[] in, int h, int w, boolean upsample, float[] out, int groups,
                  float[] gamma, float[] beta, float eps, boolean swish) {
        float[] t = new float[in.length];
        pool.range(groups, (from, to) -> groupNorm(in, t, p.cin(), h * w, groups, gamma, beta, eps, swish, from, to));
        conv(pool, p, t, h, w, upsample, out);
    }

    @Override
    void groupNorm(float[] x, float[] out, int channels, int hw, int groups, float[] gamma, float[] beta, float eps,
                   boolean swish, int gFrom, int gTo) {
        Kernels.groupNorm(x, out, channels, hw, groups, gamma, beta, eps, swish, gFrom, gTo);
    }
}
