package io.tessera.core.io;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The one progress bar of Tessera (me.tongfei:progressbar) for generate, eval and train: drawn on
 * stderr only when it is a terminal, silent otherwise (logs, CI, tests).
 */
public final class ProgressBars {
    private ProgressBars() {
    }

    /** Whether this process writes to a terminal (bars are drawn only then). */
    public static boolean interactive() {
        return System.console() != null && System.console().isTerminal();
    }

    /** A bar for {@code max} units of {@code unit}, drawn on {@code err} only when it is a terminal. */
    public static ProgressBar bar(String task, long max, String unit, PrintWriter err) {
        return bar(task, max, unit, new PrintStream(new WriterStream(err), true));
    }

    /** A bar for {@code max} units of {@code unit}, drawn on {@code err} only when it is a terminal. */
    public static ProgressBar bar(String task, long max, String unit, PrintStream err) {
        boolean tty = interactive();
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII).showSpeed().setUpdateIntervalMillis(tty ? 200 : 60_000)
                .setConsumer(tty ? new ConsoleProgressBarConsumer(err) : new DelegatingProgressBarConsumer(line -> { }))
                .clearDisplayOnFinish()
                .build();
    }

    /** Bridges picocli's PrintWriter to the PrintStream the library wants. */
    private static final class WriterStream extends OutputStream {
        private final PrintWriter w;

        WriterStream(PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            w.write(b);
        }

        @Override
        public void flush() {
            w.flush();
        }
    }
}
