package io.tessera.app;

import io.tessera.core.ConfigException;
import io.tessera.core.pipeline.OrderSpec;
import io.tessera.core.plugin.PluginRegistry;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.orders.viz.OrderPicture;
import io.tessera.orders.viz.OrderTable;
import io.tessera.orders.viz.OrderTrace;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tessera orders}: passes and tokens per pass of orders on grids, and a picture of each. */
@Command(name = "orders", mixinStandardHelpOptions = true,
        description = "Tabulate forward passes and tokens per pass of orders, and draw each order (cell colour = pass).")
public final class OrdersCommand implements Callable<Integer> {
    static final List<String> DEFAULT_ORDERS = List.of("raster", "zipar:window=4", "zipar:window=8", "par:regions=4",
            "par:regions=16", "lpd:steps=20", "lpd:steps=32", "random:steps=20");

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--grid", paramLabel = "HxW", description = "Token grid (repeatable; default 16x16).")
    List<String> grids = new ArrayList<>();

    @Option(names = "--order", paramLabel = "SPEC", description = "NAME[:KEY=VALUE,...], e.g. zipar:window=4 (repeatable; default: the built-in comparison set).")
    List<String> orders = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "0", description = "Seed for random orders (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--picture", paramLabel = "DIR", description = "Write one PNG per order and grid into DIR.")
    Path pictureDir;

    @Option(names = "--list", description = "List the available orders with their families and exit.")
    boolean list;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (PluginRegistry reg = common.registry()) {
            if (list) {
                for (OrderScheduler o : reg.orders().values()) {
                    out.printf("%-16s %-28s %s (%s)%n", o.name(), String.join(",", o.families()), o.description(), reg.originOf(o));
                }
                return 0;
            }
            List<OrderTrace> traces = new ArrayList<>();
            List<String> gs = grids.isEmpty() ? List.of("16x16") : grids;
            for (String g : gs) {
                GridSize grid = parseGrid(g);
                for (String text : orders.isEmpty() ? DEFAULT_ORDERS : orders) {
                    OrderSpec os = OrderSpec.parse(text);
                    OrderScheduler o = reg.order(os.name());
                    traces.add(OrderTrace.of(os.label(), grid, o.plan(grid, os.node(), seed)));
                }
            }
            out.print(OrderTable.format(traces));
            if (pictureDir != null) {
                Files.createDirectories(pictureDir);
                for (Path p : OrderPicture.writeAll(traces, pictureDir)) {
                    out.println("wrote " + p);
                }
            }
        }
        return 0;
    }

    static GridSize parseGrid(String g) {
        String[] p = g.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            if (p.length == 1) {
                return GridSize.square(Integer.parseInt(p[0].trim()));
            }
            if (p.length == 2) {
                return new GridSize(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below
        }
        throw new ConfigException("--grid: expected HxW with positive sides, as in 16x16, got '" + g + "'");
    }
}
