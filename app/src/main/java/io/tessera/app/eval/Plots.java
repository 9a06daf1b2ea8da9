package io.tessera.app.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The two plots of {@code tessera eval} (JFreeChart, rendered off-screen): quality (FD) against
 * forward passes per image, with the real-data floor as a dashed line, and generation latency per
 * image against passes. One series per order name (e.g. both zipar windows on one line), each point
 * labelled with its order spec.
 */
public final class Plots {
    static final int WIDTH = 900;
    static final int HEIGHT = 560;

    private Plots() {
    }

    /** FD vs passes per image (needs a report with quality). */
    public static BufferedImage quality(Evaluation.Report report) {
        XYPlot plot = plot(report, OrderResult::fd, "Fréchet distance (lower is better)");
        if (report.floor() != null) {
            ValueMarker floor = new ValueMarker(report.floor().fd(), Color.DARK_GRAY,
                    new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1, new float[] {6, 4}, 0));
            floor.setLabel(String.format(java.util.Locale.ROOT, "real data: train vs test, FD %.4g", report.floor().fd()));
            floor.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            floor.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
            plot.addRangeMarker(floor);
            NumberAxis range = (NumberAxis) plot.getRangeAxis();
            range.setAutoRangeIncludesZero(true);
        }
        return chart("Quality vs forward passes — " + report.model(), plot);
    }

    /** Generation ms per image vs passes per image. */
    public static BufferedImage latency(Evaluation.Report report) {
        XYPlot plot = plot(report, OrderResult::genMsPerImage, "generation ms per image (" + report.backend() + ")");
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
        return chart("Latency vs forward passes — " + report.model(), plot);
    }

    private static XYPlot plot(Evaluation.Report report, ToDoubleFunction<OrderResult> y, String yLabel) {
        Map<String, XYSeries> byName = new LinkedHashMap<>();
        for (OrderResult r : report.results()) {
            double v = y.applyAsDouble(r);
            if (!r.ran() || !Double.isFinite(v)) {
                continue;
            }
            byName.computeIfAbsent(name(r), k -> new XYSeries(k, true, true)).add(r.passesPerImage(), v);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        byName.values().forEach(data::addSeries);
        NumberAxis x = new NumberAxis("forward passes per image");
        x.setAutoRangeIncludesZero(true);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        NumberAxis yAxis = new NumberAxis(yLabel);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        XYItemLabelGenerator gen = (dataset, series, item) -> {
            XYSeries s = ((XYSeriesCollection) dataset).getSeries(series);
            double passes = s.getX(item).doubleValue();
            for (OrderResult r : report.results()) {
                if (r.ran() && name(r).equals(s.getKey()) && r.passesPerImage() == passes
                        && y.applyAsDouble(r) == s.getY(item).doubleValue()) {
                    return r.label();
                }
            }
            return "";
        };
        renderer.setDefaultItemLabelGenerator(gen);
        renderer.setDefaultItemLabelsVisible(true);
        XYPlot plot = new XYPlot(data, x, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    /** The order name of a result: its label up to the options. */
    private static String name(OrderResult r) {
        int colon = r.label().indexOf(':');
        return colon < 0 ? r.label() : r.label().substring(0, colon);
    }

    private static BufferedImage chart(String title, XYPlot plot) {
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart.createBufferedImage(WIDTH, HEIGHT);
    }
}
