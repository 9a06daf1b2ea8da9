package io.tessera.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/** Receives a trainer's progress: one report every {@code train.log_every} steps, and free-form messages. */
public interface Progress {
    /**
     * @param kind        vq, gpt, lpd or classifier
     * @param step        steps done so far (1-based)
     * @param total       steps of the whole run
     * @param losses      mean losses over the steps since the last report (first entry: the total loss)
     * @param imagesPerSecond training throughput over those steps
     * @param lr          learning rate of the last step
     */
    void report(String kind, long step, long total, Map<String, Double> losses, double imagesPerSecond, double lr);

    /** A one-line message (data loaded, resumed, saved, evaluated). */
    void message(String line);

    /** Nothing. */
    static Progress silent() {
        return new Progress() {
            @Override
            public void report(String kind, long step, long total, Map<String, Double> losses, double ips, double lr) {
            }

            @Override
            public void message(String line) {
            }
        };
    }

    /** A compact single line per report on {@code out} (stderr for the CLI), with an ETA. */
    static Progress lines(PrintStream out) {
        return new Progress() {
            private long firstTime;
            private long firstStep = -1;

            @Override
            public void report(String kind, long step, long total, Map<String, Double> losses, double ips, double lr) {
                if (firstStep < 0) { // the ETA counts from the first report: data preparation is not training
                    firstStep = step;
                    firstTime = System.nanoTime();
                }
                StringBuilder b = new StringBuilder();
                int width = 20;
                int filled = (int) (width * step / Math.max(1, total));
                b.append(kind).append(" [").append("=".repeat(filled)).append(" ".repeat(width - filled)).append("] ")
                        .append(step).append('/').append(total);
                losses.forEach((k, v) -> b.append(' ').append(k).append(' ').append(fmt(v)));
                b.append(String.format(Locale.ROOT, " | %.1f img/s lr %.2e", ips, lr));
                double elapsed = (System.nanoTime() - firstTime) / 1e9;
                long done = step - firstStep;
                if (done > 0) {
                    long eta = Math.round(elapsed / done * (total - step));
                    b.append(String.format(Locale.ROOT, " eta %dm%02ds", eta / 60, eta % 60));
                }
                out.println(b);
                out.flush();
            }

            @Override
            public void message(String line) {
                out.println(line);
                out.flush();
            }
        };
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 0.01 ? String.format(Locale.ROOT, "%.4f", v) : String.format(Locale.ROOT, "%.3e", v);
    }
}
