package io.tessera.core.io;

import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.AtomicFiles;
import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Decoder output to pixels, one copy for every writer (generate's grid, eval's samples and sheets,
 * the trainers' sanity pictures): the official LlamaGen FID script's [−1, 1] → uint8 mapping, image
 * grids, and PNG files written atomically.
 */
public final class Images {
    /** The gap between grid cells, in pixels. */
    public static final int GAP = 2;

    private Images() {
    }

    /** uint8(clamp(127.5·x + 128, 0, 255)) in float32 with a truncating cast, as LlamaGen's sample_c2i_ddp.py; NaN maps to 0. */
    public static int toByte(float x) {
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
        requireFinite(nchw, nchw.length, 3 * h * w);
        byte[] out = new byte[nchw.length];
        int plane = h * w;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < plane; p++) {
                    out[(i * plane + p) * 3 + c] = (byte) toByte(nchw[(i * 3 + c) * plane + p]);
                }
            }
        }
        return out;
    }

    /** A NaN/Inf pixel would print as black: a non-finite decoded image is an error, not a picture. */
    static void requireFinite(float[] images, int count, int perImage) {
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(images[i])) {
                throw new io.tessera.core.NonFiniteException("tokenizer: decoded image " + i / perImage + " holds "
                        + images[i] + " at pixel value " + i % perImage + " (the tokenizer's weights are probably not finite)");
            }
        }
    }

    /**
     * Images float [n, c, size, size] (c = 1 or 3, in [−1, 1]) as one RGB grid of {@code cols} columns,
     * each pixel replicated {@code scale}×{@code scale}, cells {@link #GAP} px apart on {@code background} (0xRRGGBB).
     */
    public static BufferedImage grid(float[] images, int n, int c, int size, int cols, int scale, int background) {
        int rows = (n + cols - 1) / cols;
        int cell = size * scale + GAP;
        BufferedImage img = new BufferedImage(cols * cell + GAP, rows * cell + GAP, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, background);
            }
        }
        int plane = size * size;
        requireFinite(images, n * c * plane, c * plane);
        for (int i = 0; i < n; i++) {
            int ox = GAP + (i % cols) * cell;
            int oy = GAP + (i / cols) * cell;
            int base = i * c * plane;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int p = y * size + x;
                    int r = toByte(images[base + p]);
                    int g = c >= 3 ? toByte(images[base + plane + p]) : r;
                    int b = c >= 3 ? toByte(images[base + 2 * plane + p]) : r;
                    int rgb = (r << 16) | (g << 8) | b;
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            img.setRGB(ox + x * scale + dx, oy + y * scale + dy, rgb);
                        }
                    }
                }
            }
        }
        return img;
    }

    /** Writes {@code image} as a PNG through a temporary sibling and an atomic rename; parent directories are created. */
    public static void writePng(Path target, RenderedImage image) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TesseraException(dir + ": cannot create directory (" + e.getMessage() + ")", e);
        }
        AtomicFiles.writeStream(target, pngBody(image));
    }

    /** The PNG bytes of {@code image} as a stream body, for a caller that stages several outputs at once. */
    public static AtomicFiles.StreamBody pngBody(RenderedImage image) {
        return out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer");
            }
        };
    }
}
