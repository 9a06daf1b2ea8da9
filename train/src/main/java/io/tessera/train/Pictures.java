package io.tessera.train;

import io.tessera.core.TesseraException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Writes a grid of float images [n, 3, s, s] in [−1, 1] as one PNG (sanity pictures of the trainers). */
public final class Pictures {
    private Pictures() {
    }

    /**
     * @param images [n, 3, side, side] in [−1, 1], converted as the official FID script does
     *               ({@code clamp(127.5·x + 128, 0, 255)}, truncated)
     * @param cols   images per row
     * @param scale  pixel replication factor
     */
    public static void grid(Path png, float[] images, int n, int side, int cols, int scale) {
        int rows = (n + cols - 1) / cols;
        int gap = 2;
        int cell = side * scale + gap;
        BufferedImage img = new BufferedImage(cols * cell + gap, rows * cell + gap, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, 0x808080);
            }
        }
        int plane = side * side;
        for (int i = 0; i < n; i++) {
            int ox = gap + (i % cols) * cell;
            int oy = gap + (i / cols) * cell;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    int rgb = 0;
                    for (int ch = 0; ch < 3; ch++) {
                        float v = images[(i * 3 + ch) * plane + y * side + x];
                        int b = (int) Math.max(0, Math.min(255, 127.5f * v + 128f));
                        rgb = (rgb << 8) | b;
                    }
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            img.setRGB(ox + x * scale + dx, oy + y * scale + dy, rgb);
                        }
                    }
                }
            }
        }
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            ImageIO.write(img, "png", png.toFile());
        } catch (IOException e) {
            throw new TesseraException(png + ": cannot write picture (" + e.getMessage() + ")", e);
        }
    }
}
