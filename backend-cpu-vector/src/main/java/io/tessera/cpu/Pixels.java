package io.tessera.cpu;

/** Conversion of decoder output to 8-bit pixels, as the official LlamaGen FID sampling script does. */
public final class Pixels {
    private Pixels() {
    }

    /** uint8(clamp(127.5·x + 128, 0, 255)) in float32 with a truncating cast; NaN maps to 0. */
    public static int toRgb8(float x) {
        float v = 127.5f * x + 128f;
        if (!(v > 0f)) {
            return 0;
        }
        return v >= 255f ? 255 : (int) v;
    }

    /**
     * Images [n, 3, h, w] (NCHW floats in about [−1, 1]) to interleaved RGB bytes [n, h, w, 3], the
     * script's {@code clamp(127.5 * x + 128, 0, 255).permute(0, 2, 3, 1).to(uint8)}.
     */
    public static byte[] toRgb8(float[] nchw, int n, int h, int w) {
        if (nchw.length != n * 3 * h * w) {
            throw new IllegalArgumentException("expected n·3·h·w = " + n * 3 * h * w + " values, got " + nchw.length);
        }
        byte[] out = new byte[nchw.length];
        int plane = h * w;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < plane; p++) {
                    out[(i * plane + p) * 3 + c] = (byte) toRgb8(nchw[(i * 3 + c) * plane + p]);
                }
            }
        }
        return out;
    }
}
