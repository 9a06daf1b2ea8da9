package io.tessera.train;

import io.tessera.core.TesseraException;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The loss history of a run: {@code loss.csv} (step, lr, every loss component, images/s; one row
 * per step) and a PNG plot of it. On resume the rows after the checkpoint's step are dropped, so the
 * file always describes exactly the steps that the saved model has seen.
 */
final class LossLog {
    private final Path csv;
    private final List<String> columns;
    private final List<double[]> rows = new ArrayList<>(); // step, lr, losses...

    LossLog(Path csv, List<String> columns) {
        this.csv = csv;
        this.columns = List.copyOf(columns);
    }

    /** Keeps the rows of an existing file up to and including {@code step} (resume); starts empty otherwise. */
    void restore(long step) {
        rows.clear();
        if (!Files.exists(csv)) {
            return;
        }
        try {
            List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).split(",");
                if (f.length < 2 + columns.size()) {
                    continue;
                }
                double[] r = new double[2 + columns.size()];
                for (int j = 0; j < r.length; j++) {
                    r[j] = Double.parseDouble(f[j]);
                }
                if (r[0] <= step) {
                    rows.add(r);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new TesseraException(csv + ": cannot read loss log for resume (" + e.getMessage() + ")");
        }
    }

    void add(long step, double lr, double[] losses) {
        double[] r = new double[2 + columns.size()];
        r[0] = step;
        r[1] = lr;
        System.arraycopy(losses, 0, r, 2, columns.size());
        rows.add(r);
    }

    /** Rewrites the CSV atomically. */
    void writeCsv() {
        TrainIo.atomicWrite(csv, out -> {
            StringBuilder b = new StringBuilder("step,lr");
            for (String c : columns) {
                b.append(',').append(c);
            }
            b.append('\n');
            for (double[] r : rows) {
                b.append((long) r[0]).append(',').append(String.format(Locale.ROOT, "%.6e", r[1]));
                for (int j = 2; j < r.length; j++) {
                    b.append(',').append(String.format(Locale.ROOT, "%.6g", r[j]));
                }
                b.append('\n');
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        });
    }

    /** Plots every loss column against the step (raw, faint, and an exponential moving average) to {@code png}. */
    void plot(Path png, String title) {
        if (rows.isEmpty()) {
            return;
        }
        Color[] palette = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40), new Color(148, 103, 189)};
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int c = 0; c < columns.size(); c++) {
            XYSeries raw = new XYSeries(columns.get(c) + " (step)", false, true);
            XYSeries ema = new XYSeries(columns.get(c), false, true);
            double a = Math.min(0.2, 20.0 / rows.size() + 0.02);
            double smooth = 0;
            for (int i = 0; i < rows.size(); i++) {
                double y = Math.max(1e-8, rows.get(i)[2 + c]);
                smooth = i == 0 ? y : (1 - a) * smooth + a * y;
                raw.add(rows.get(i)[0], y);
                ema.add(rows.get(i)[0], smooth);
            }
            Color col = palette[c % palette.length];
            int rawIndex = data.getSeriesCount();
            data.addSeries(raw);
            data.addSeries(ema);
            renderer.setSeriesPaint(rawIndex, new Color(col.getRed(), col.getGreen(), col.getBlue(), 60));
            renderer.setSeriesVisibleInLegend(rawIndex, false);
            renderer.setSeriesPaint(rawIndex + 1, col);
        }
        NumberAxis x = new NumberAxis("step");
        x.setAutoRangeIncludesZero(false);
        LogAxis y = new LogAxis("loss (log scale)");
        y.setNumberFormatOverride(new java.text.DecimalFormat("0.0###"));
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp.png");
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 500);
            Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new TesseraException(png + ": cannot write loss plot (" + e.getMessage() + ")", e);
        }
    }

    int size() {
        return rows.size();
    }
}
