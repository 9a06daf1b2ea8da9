package io.tessera.app.eval;

import io.tessera.core.io.Images;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * One picture comparing the orders: a row per order (labelled on the left, first images of the sweep,
 * so the same classes and seeds in every column), and the real test images on top when available.
 * Small images are enlarged by pixel replication to at least 64 px.
 */
public final class SampleSheet {
    private static final int GAP = 2;
    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private SampleSheet() {
    }

    /** Width of the label column: the widest label plus margins. */
    private static int labelWidth(List<String> labels) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = probe.createGraphics();
        try {
            java.awt.FontMetrics m = g.getFontMetrics(FONT);
            int w = 0;
            for (String l : labels) {
                w = Math.max(w, m.stringWidth(l));
            }
            return w + 16;
        } finally {
            g.dispose();
        }
    }

    /**
     * @param images per result, float [k, 3, s, s] in [−1, 1] (k ≤ columns), or null for a skipped order
     * @param real   real images [k, 3, s, s] for a first row, or null
     */
    public static BufferedImage render(Evaluation.Report report, List<float[]> images, float[] real, int columns) {
        int size = report.imageSize();
        int scale = Math.max(1, (64 + size - 1) / size);
        int cell = size * scale;
        List<String> labels = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        if (real != null) {
            labels.add("real (test)");
            rows.add(real);
        }
        for (int i = 0; i < report.results().size(); i++) {
            OrderResult r = report.results().get(i);
            labels.add(r.ran() ? String.format(java.util.Locale.ROOT, "%s  (%.0f passes)", r.label(), r.passesPerImage()) : r.label());
            rows.add(images.get(i));
        }
        int labelWidth = labelWidth(labels);
        int width = labelWidth + columns * (cell + GAP) + GAP;
        int height = rows.size() * (cell + GAP) + GAP;
        BufferedImage img = new BufferedImage(width, Math.max(height, 1), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(FONT);
            int plane = size * size;
            for (int row = 0; row < rows.size(); row++) {
                int y0 = GAP + row * (cell + GAP);
                g.setColor(Color.BLACK);
                g.drawString(labels.get(row), 6, y0 + cell / 2 + 5);
                float[] data = rows.get(row);
                if (data == null) {
                    g.setColor(Color.GRAY);
                    g.drawString("skipped: cannot drive this model", labelWidth + GAP, y0 + cell / 2 + 5);
                    continue;
                }
                int k = Math.min(columns, data.length / (3 * plane));
                for (int i = 0; i < k; i++) {
                    int x0 = labelWidth + GAP + i * (cell + GAP);
                    int base = i * 3 * plane;
                    for (int y = 0; y < size; y++) {
                        for (int x = 0; x < size; x++) {
                            int p = y * size + x;
                            int rgb = Images.toByte(data[base + p]) << 16 | Images.toByte(data[base + plane + p]) << 8
                                    | Images.toByte(data[base + 2 * plane + p]);
                            for (int dy = 0; dy < scale; dy++) {
                                for (int dx = 0; dx < scale; dx++) {
                                    img.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }
}
