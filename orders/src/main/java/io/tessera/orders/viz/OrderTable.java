package io.tessera.orders.viz;

import java.util.List;
import java.util.Locale;

/** A plain-text table of traced orders: passes and tokens per pass (min / mean / max), one row each. */
public final class OrderTable {
    private OrderTable() {
    }

    /**
     * The table, one line per trace, with a header and a trailing newline, e.g.
     * <pre>
     * order        grid     passes  min   mean   max
     * zipar w=4    16x16        88    1   2.91     3
     * </pre>
     * mean = cells / passes, the speed-up in passes over sequential decoding.
     */
    public static String format(List<OrderTrace> traces) {
        int nameWidth = "order".length();
        for (OrderTrace t : traces) {
            nameWidth = Math.max(nameWidth, t.name().length());
        }
        String rowFormat = "%-" + nameWidth + "s  %-7s %7s %4s %6s %5s%n";
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, rowFormat, "order", "grid", "passes", "min", "mean", "max"));
        for (OrderTrace t : traces) {
            out.append(String.format(Locale.ROOT, rowFormat, t.name(), t.grid(), t.passes(), t.minTokensPerPass(),
                    String.format(Locale.ROOT, "%.2f", t.meanTokensPerPass()), t.maxTokensPerPass()));
        }
        return out.toString();
    }
}
