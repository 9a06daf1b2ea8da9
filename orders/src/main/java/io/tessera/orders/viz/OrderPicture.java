package io.tessera.orders.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Pictures of orders: every cell coloured by the pass that generates it (viridis, dark = early,
 * yellow = late), the 1-based pass number written in the cell when cells are large enough (grids up
 * to about 32 cells a side), a title with the order's label, grid and pass count, and a colour bar.
 * Pure {@code java.awt} on an off-screen image, so it works headless.
 */
public final class OrderPicture {
    /** Target size of the grid area in pixels (cells are 6 to 40 px). */
    private static final int GRID_PIXELS = 512;
    private static final int MARGIN = 12;
    private static final int TITLE = 30;
    private static final int BAR = 12;
    private static final int BAR_LABELS = 18;

    /** Viridis sampled at 9 evenly spaced points (matplotlib's map), interpolated linearly. */
    private static final int[] VIRIDIS = {
        0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21908C, 0x27AD81, 0x5DC863, 0xAADC32, 0xFDE725,
    };

    private OrderPicture() {
    }

    /** The picture of one traced order. */
    public static BufferedImage render(OrderTrace trace) {
        int rows = trace.grid().height();
        int cols = trace.grid().width();
        int cell = Math.max(6, Math.min(40, GRID_PIXELS / Math.max(rows, cols)));
        int gridW = cols * cell;
        int gridH = rows * cell;
        String title = trace.name() + "  ·  " + trace.grid() + "  ·  " + trace.passes()
                + (trace.passes() == 1 ? " pass" : " passes");
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 15);
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        int titleWidth = pg.getFontMetrics(titleFont).stringWidth(title);
        pg.dispose();

        int width = Math.max(gridW, titleWidth) + 2 * MARGIN;
        int height = TITLE + gridH + MARGIN + BAR + BAR_LABELS + MARGIN;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);

            g.setFont(titleFont);
            g.setColor(Color.BLACK);
            g.drawString(title, MARGIN, TITLE - 10);

            int x0 = (width - gridW) / 2;
            int y0 = TITLE;
            int last = Math.max(1, trace.passes() - 1);
            Font numberFont = numberFont(g, cell, trace.passes());
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int pass = trace.passOf(trace.grid().cell(r, c));
                    double t = (double) pass / last;
                    Color fill = viridis(t);
                    g.setColor(fill);
                    g.fillRect(x0 + c * cell, y0 + r * cell, cell, cell);
                    if (numberFont != null) {
                        g.setFont(numberFont);
                        g.setColor(luminance(fill) < 0.5 ? Color.WHITE : Color.BLACK);
                        String s = Integer.toString(pass + 1);
                        FontMetrics fm = g.getFontMetrics();
                        g.drawString(s, x0 + c * cell + (cell - fm.stringWidth(s)) / 2,
                                y0 + r * cell + (cell + fm.getAscent() - fm.getDescent()) / 2);
                    }
                }
            }
            if (cell >= 10) {
                g.setColor(new Color(255, 255, 255, 90));
                g.setStroke(new BasicStroke(1f));
                for (int r = 1; r < rows; r++) {
                    g.drawLine(x0, y0 + r * cell, x0 + gridW - 1, y0 + r * cell);
                }
                for (int c = 1; c < cols; c++) {
                    g.drawLine(x0 + c * cell, y0, x0 + c * cell, y0 + gridH - 1);
                }
            }

            int barY = y0 + gridH + MARGIN;
            for (int x = 0; x < gridW; x++) {
                g.setColor(viridis(gridW == 1 ? 0 : (double) x / (gridW - 1)));
                g.drawLine(x0 + x, barY, x0 + x, barY + BAR - 1);
            }
            g.setFont(labelFont);
            g.setColor(Color.DARK_GRAY);
            FontMetrics fm = g.getFontMetrics();
            String left = "pass 1";
            String right = "pass " + trace.passes();
            g.drawString(left, x0, barY + BAR + fm.getAscent() + 2);
            g.drawString(right, x0 + gridW - fm.stringWidth(right), barY + BAR + fm.getAscent() + 2);
        } finally {
            g.dispose();
        }
        return image;
    }

    /** Renders and writes one PNG. */
    public static void write(OrderTrace trace, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(render(trace), "png", png.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    /**
     * Writes one PNG per trace into {@code dir} (created if needed), named after the trace's label
     * ({@link #fileName}); returns the paths in order.
     */
    public static List<Path> writeAll(List<OrderTrace> traces, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        for (OrderTrace t : traces) {
            Path png = dir.resolve(fileName(t));
            write(t, png);
            out.add(png);
        }
        return out;
    }

    /** A file name for a trace: its label and grid with anything but letters, digits, '.', '-' as '_'. */
    public static String fileName(OrderTrace trace) {
        return (trace.name() + "_" + trace.grid()).replaceAll("[^A-Za-z0-9.-]+", "_") + ".png";
    }

    /** The viridis colour at {@code t} in [0, 1] (clamped). */
    public static Color viridis(double t) {
        double x = Math.max(0, Math.min(1, Double.isNaN(t) ? 0 : t)) * (VIRIDIS.length - 1);
        int i = Math.min((int) x, VIRIDIS.length - 2);
        double f = x - i;
        int a = VIRIDIS[i];
        int b = VIRIDIS[i + 1];
        return new Color(mix(a >> 16, b >> 16, f), mix(a >> 8, b >> 8, f), mix(a, b, f));
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round((a & 0xFF) + ((b & 0xFF) - (a & 0xFF)) * f);
    }

    private static double luminance(Color c) {
        return (0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue()) / 255.0;
    }

    /** A font that fits the largest pass number in a cell, or null when cells are too small for text. */
    private static Font numberFont(Graphics2D g, int cell, int passes) {
        if (cell < 16) {
            return null;
        }
        String widest = Integer.toString(passes);
        for (int size = Math.min(16, cell / 2); size >= 8; size--) {
            Font f = new Font(Font.SANS_SERIF, Font.PLAIN, size);
            if (g.getFontMetrics(f).stringWidth(widest) <= cell - 3) {
                return f;
            }
        }
        return null;
    }
}
