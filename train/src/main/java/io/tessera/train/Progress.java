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

    /**
     * The CLI's listener on {@code out} (stderr): on a terminal, core's progress bar with the losses,
     * throughput and learning rate beside it; otherwise (logs) one plain line per report with an ETA.
     * Messages are printed as lines in both cases.
     */
    static Progress lines(PrintStream out) {
        return new Progress() {
            private final boolean tty = io.tessera.core.io.ProgressBars.interactive();
            private me.tongfei.progressbar.ProgressBar bar;
            private long firstTime;
            private long firstStep = -1;

            @Override
            public void report(String kind, long step, long total, Map<String, Double> losses, double ips, double lr) {
                StringBuilder b = new StringBuilder();
                losses.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append(' ').append(fmt(v)));
                b.append(String.format(Locale.ROOT, " | %.1f img/s lr %.2e", ips, lr));
                if (tty) {
                    if (bar == null) {
                        bar = io.tessera.core.io.ProgressBars.bar(kind, total, "steps", out);
                    }
                    bar.stepTo(step);
                    bar.setExtraMessage(" " + b);
                    if (step >= total) {
                        bar.close();
                        bar = null;
                    }
                    return;
                }
                if (firstStep < 0) { // the ETA counts from the first report: data preparation is not training
                    firstStep = step;
                    firstTime = System.nanoTime();
                }
                StringBuilder line = new StringBuilder().append(kind).append(' ').append(step).append('/').append(total)
                        .append(' ').append(b);
                double elapsed = (System.nanoTime() - firstTime) / 1e9;
                long done = step - firstStep;
                if (done > 0) {
                    long eta = Math.round(elapsed / done * (total - step));
                    line.append(String.format(Locale.ROOT, " eta %dm%02ds", eta / 60, eta % 60));
                }
                out.println(line);
                out.flush();
            }

            @Override
            public void message(String text) {
                out.println(text);
                out.flush();
            }
        };
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 0.01 ? String.format(Locale.ROOT, "%.4f", v) : String.format(Locale.ROOT, "%.3e", v);
    }
}
