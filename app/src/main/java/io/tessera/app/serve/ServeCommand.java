package io.tessera.app.serve;

import io.tessera.app.CommonOptions;
import io.tessera.app.PipelineOptions;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tessera serve}: an image-generation HTTP server with iteration-level batching. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve image generation over HTTP with iteration-level (continuous) batching; gallery at /.")
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    PipelineOptions pipelineOptions;

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = ServeOptions.LOOPBACK, description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "P", defaultValue = "8080", description = "TCP port; 0 = any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "16", description = "Images decoded at once (cache rows: 2·N) (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "256", description = "Images that may wait; beyond, 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--max-wait-ms", paramLabel = "T", defaultValue = "2", description = "When idle, how long a first request waits for others to share its first pass (default: ${DEFAULT-VALUE}).")
    int maxWaitMs;

    @Option(names = "--deadline-ms", paramLabel = "T", defaultValue = "120000", description = "Deadline of a request that names none (default: ${DEFAULT-VALUE}).")
    long deadlineMs;

    static void check(CommandLine cl, String flag, long value, long min, long max) {
        if (value < min || value > max) {
            throw new CommandLine.ParameterException(cl, flag + " must be in [" + min + ", " + max + "], got " + value);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        CommandLine cl = spec.commandLine();
        check(cl, "--port", port, 0, 65535);
        check(cl, "--max-batch", maxBatch, 1, 4096);
        check(cl, "--max-queue", maxQueue, 1, 1_000_000);
        check(cl, "--max-wait-ms", maxWaitMs, 0, 10_000);
        check(cl, "--deadline-ms", deadlineMs, 1, 24L * 3600 * 1000);
        ServeOptions o = new ServeOptions(host, port, maxBatch, maxQueue, maxWaitMs, deadlineMs, 256);
        PrintWriter out = cl.getOut();
        try (PluginRegistry registry = common.registry(); Pipeline p = Pipeline.open(pipelineOptions.spec(), registry)) {
            ImageServer server = new ImageServer(p, registry, o).start();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close(); // graceful: finishes every accepted image
                stopped.countDown();
            }, "tessera-serve-shutdown"));
            out.println("tessera serve: http://" + host + ":" + server.port() + "/ (max batch " + maxBatch + ", max queue "
                    + maxQueue + "; Ctrl-C stops after the running images)");
            out.flush();
            stopped.await();
        }
        return 0;
    }
}
