package io.tessera.app;

import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars on stderr (me.tongfei:progressbar); silent when there is no terminal (logs, CI, tests). */
public final class Progress {
    private Progress() {
    }

    /** A bar for {@code max} units of {@code unit}, drawn on {@code err} only when it is a terminal. */
    public static ProgressBar bar(String task, long max, String unit, PrintWriter err) {
        boolean tty = System.console() != null && System.console().isTerminal();
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII).showSpeed().setUpdateIntervalMillis(tty ? 200 : 60_000)
                .setConsumer(tty ? new ConsoleProgressBarConsumer(new java.io.PrintStream(new WriterStream(err), true))
                        : new me.tongfei.progressbar.DelegatingProgressBarConsumer(line -> { }))
                .clearDisplayOnFinish();
        return b.build();
    }

    /** Bridges picocli's PrintWriter to the PrintStream the library wants. */
    private static final class WriterStream extends java.io.OutputStream {
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
