package io.tessera.app;

import java.awt.image.BufferedImage;

/** Image conversions: the official FID script's [−1, 1] → uint8 mapping, and grids of images. */
public final class Pixels {
    private Pixels() {
    }

    /** uint8(clamp(127.5·x + 128, 0, 255)) with a truncating cast, as LlamaGen's sample_c2i_ddp.py. */
    public static int toByte(float x) {
        float v = 127.5f * x + 128f;
        if (v < 0) {
            v = 0;
        } else if (v > 255) {
            v = 255;
        }
        return (int) v;
    }

    /** Images float [n, c, s, s] (c = 1 or 3) into one RGB grid of {@code cols} columns with a 2-px gap. */
    public static BufferedImage grid(float[] images, int n, int c, int size, int cols) {
        int rows = (n + cols - 1) / cols;
        int gap = 2;
        int w = cols * size + (cols + 1) * gap;
        int h = rows * size + (rows + 1) * gap;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, 0xffffff);
            }
        }
        int plane = size * size;
        for (int i = 0; i < n * c * plane; i++) {
            if (!Float.isFinite(images[i])) { // would print as black: a NaN image is an error, not a picture
                throw new io.tessera.core.NonFiniteException("tokenizer: decoded image " + i / (c * plane) + " holds "
                        + images[i] + " at pixel value " + i % (c * plane) + " (the tokenizer's weights are probably not finite)");
            }
        }
        for (int i = 0; i < n; i++) {
            int ox = gap + (i % cols) * (size + gap);
            int oy = gap + (i / cols) * (size + gap);
            int base = i * c * plane;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int p = y * size + x;
                    int r = toByte(images[base + p]);
                    int g = c >= 3 ? toByte(images[base + plane + p]) : r;
                    int b = c >= 3 ? toByte(images[base + 2 * plane + p]) : r;
                    img.setRGB(ox + x, oy + y, (r << 16) | (g << 8) | b);
                }
            }
        }
        return img;
    }
}
