package io.tessera.app.serve;

import io.tessera.app.AtomicFiles;
import io.tessera.app.CommonOptions;
import io.tessera.app.PipelineOptions;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tessera serve-bench}: images/s and request latency of a real {@code tessera serve} (in process, on
 * a loopback port, clients over HTTP) at several client counts, against sequential one-at-a-time
 * {@code generate} (batch 1) on the same pipeline in the same run. Each client sends one-image requests
 * back to back (class and seed vary per request).
 */
@Command(name = "serve-bench", mixinStandardHelpOptions = true,
        description = "Benchmark tessera serve (continuous batching) at 1, 4, 16, 64 clients against sequential generate.")
public final class ServeBenchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    PipelineOptions pipelineOptions;

    @Spec
    CommandSpec spec;

    @Option(names = "--gpt-b", description = "Use a GPT-B-shaped LlamaGen with random weights (vocab 16384, VQ-16 random) instead of the pipeline's model.")
    boolean gptB;

    @Option(names = "--clients", split = ",", paramLabel = "N", defaultValue = "1,4,16,64", description = "Client counts (default: ${DEFAULT-VALUE}).")
    List<Integer> clients;

    @Option(names = "--images", paramLabel = "N", defaultValue = "64", description = "Images per client count (at least one per client; default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--sequential", paramLabel = "N", defaultValue = "16", description = "Images of the sequential generate baseline (default: ${DEFAULT-VALUE}).")
    int sequential;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "4", description = "Untimed images before each side: N sequential "
            + "generates, then N concurrent requests to the server, so that neither side is timed while the JIT compiles its "
            + "kernels (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "5", description = "Keep warming each side up, past "
            + "--warmup images, until S seconds have passed: the JIT needs seconds, not images, before the kernels run at "
            + "full speed; a small model's few warm-up images left the sequential side timed while it compiled "
            + "(default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--order", paramLabel = "SPEC", description = "Order of every request (default: the pipeline's).")
    String order;

    @Option(names = "--format", defaultValue = "png", description = "png (VQ-decode every image) or tokens (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--max-batch", paramLabel = "N", description = "Scheduler batch (default: the largest client count).")
    Integer maxBatch;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the table (markdown) to FILE.")
    Path out;

    /** One measured level. */
    record Level(String what, int clients, int images, double seconds, double p50Ms, double p99Ms) {
        double imagesPerSecond() {
            return images / seconds;
        }
    }

    static PipelineSpec gptBSpec() {
        return PipelineSpec.parse("""
                model: {family: llamagen, preset: gpt-b, grid: 16, checkpoint: "random:1"}
                tokenizer: {name: llamagen-vq, preset: vq-16, checkpoint: "random:2"}
                backend: {name: cpu-vector}
                order: {name: raster}
                sampling: {temperature: 1.0, top_k: 0, top_p: 1.0, cfg_scale: 2.0, seed: 0}
                """, "serve-bench --gpt-b", Path.of("."));
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (clients.isEmpty() || clients.stream().anyMatch(c -> c < 1 || c > 1024)) {
            throw new CommandLine.ParameterException(cl, "--clients must be counts in [1, 1024], got " + clients);
        }
        ServeCommand.check(cl, "--images", images, 1, 100_000);
        ServeCommand.check(cl, "--sequential", sequential, 1, 100_000);
        ServeCommand.check(cl, "--warmup", warmup, 0, 100_000);
        if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
            throw new CommandLine.ParameterException(cl, "--warmup-seconds must be in [0, 3600], got " + warmupSeconds);
        }
        long warmNanos = (long) (warmupSeconds * 1e9);
        if (!format.equals("png") && !format.equals("tokens")) {
            throw new CommandLine.ParameterException(cl, "--format must be png or tokens, got '" + format + "'");
        }
        int batch = maxBatch != null ? maxBatch : clients.stream().mapToInt(Integer::intValue).max().orElse(16);
        ServeCommand.check(cl, "--max-batch", batch, 1, 4096);
        PipelineSpec ps = pipelineOptions.applySets(gptB ? gptBSpec() : pipelineOptions.load());
        if (order != null) {
            String[] parts = order.split(":", 2);
            ps.replaceSection("order", parts[0]);
            if (parts.length > 1) {
                for (String kv : parts[1].split(",")) {
                    ps.set("order." + kv);
                }
            }
        }
        PrintWriter o = cl.getOut();
        List<Level> levels = new ArrayList<>();
        try (PluginRegistry registry = common.registry(); Pipeline p = Pipeline.open(ps, registry)) {
            int numClasses = p.model().numClasses();
            String orderLabel = order != null ? order : p.orderOptions().string("name", "raster");
            o.printf("serve-bench: %s, %s, order %s, backend %s, format %s, max batch %d%n", gptB ? "GPT-B-shaped random model"
                    : "pipeline model", p.model().family(), orderLabel, p.backend().name(), format, batch);
            o.flush();
            // warm-up (JIT) and the sequential baseline: one image at a time, batch 1, as tessera generate --batch 1
            long w0 = System.nanoTime();
            for (int i = 0; i < warmup || System.nanoTime() - w0 < warmNanos; i++) {
                int[][] t = p.generate(new int[] {i % numClasses}, 1, null).tokens();
                if (format.equals("png")) {
                    p.decode(t);
                }
            }
            long[] lat = new long[sequential];
            long t0 = System.nanoTime();
            for (int i = 0; i < sequential; i++) {
                long s0 = System.nanoTime();
                int[][] t = p.generate(new int[] {i % numClasses}, 1, null).tokens();
                if (format.equals("png")) {
                    p.decode(t);
                }
                lat[i] = System.nanoTime() - s0;
            }
            Level seq = level("sequential generate", 1, sequential, System.nanoTime() - t0, lat);
            levels.add(seq);
            print(o, seq, seq);

            ServeOptions so = new ServeOptions(ServeOptions.LOOPBACK, 0, batch, 1_000_000, 2, 3_600_000, 256);
            try (ImageServer server = new ImageServer(p, registry, so).start()) {
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
                URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/images");
                // warm-up of the server path, wide passes too: rounds of concurrent requests until both limits are passed
                int perRound = Math.max(warmup, 1);
                long s0 = System.nanoTime();
                for (int done = 0; done < warmup || System.nanoTime() - s0 < warmNanos; done += perRound) {
                    run(http, uri, Math.min(batch, perRound), perRound, numClasses, orderLabel);
                }
                for (int c : clients) {
                    int total = Math.max(images, c);
                    Level l = run(http, uri, c, total, numClasses, orderLabel);
                    levels.add(l);
                    print(o, l, seq);
                }
            }
        }
        String table = table(levels);
        o.println();
        o.print(table);
        o.flush();
        if (out != null) {
            AtomicFiles.write(out, s -> s.write(table.getBytes(StandardCharsets.UTF_8)));
        }
        return 0;
    }

    private Level run(HttpClient http, URI uri, int c, int total, int numClasses, String orderLabel) throws Exception {
        AtomicInteger next = new AtomicInteger();
        long[] lat = new long[total];
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int k = 0; k < c; k++) {
                fs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                        String body = "{\"class_labels\":[" + (i % numClasses) + "],\"seed\":" + i + ",\"order\":\"" + orderLabel
                                + "\",\"format\":\"" + format + "\"}";
                        long s0 = System.nanoTime();
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofHours(1))
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200 || !r.body().contains("\"status\":\"done\"")) {
                            throw new IllegalStateException("request " + i + " answered " + r.statusCode() + ": "
                                    + r.body().substring(0, Math.min(200, r.body().length())));
                        }
                        lat[i] = System.nanoTime() - s0;
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        return level("serve, " + c + " client" + (c == 1 ? "" : "s"), c, total, System.nanoTime() - t0, lat);
    }

    private static Level level(String what, int clients, int n, long nanos, long[] lat) {
        long[] sorted = lat.clone();
        Arrays.sort(sorted);
        return new Level(what, clients, n, nanos / 1e9, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void print(PrintWriter o, Level l, Level seq) {
        o.printf("%-24s %4d images in %7.2f s: %7.2f images/s (%.2fx sequential), p50 %8.1f ms, p99 %8.1f ms%n", l.what(), l.images(),
                l.seconds(), l.imagesPerSecond(), l.imagesPerSecond() / seq.imagesPerSecond(), l.p50Ms(), l.p99Ms());
        o.flush();
    }

    static String table(List<Level> levels) {
        Level seq = levels.get(0);
        StringBuilder b = new StringBuilder("| run | images | images/s | × sequential | p50 latency | p99 latency |\n|---|---|---|---|---|---|\n");
        for (Level l : levels) {
            b.append(String.format("| %s | %d | %.2f | %.2f× | %.0f ms | %.0f ms |%n", l.what(), l.images(), l.imagesPerSecond(),
                    l.imagesPerSecond() / seq.imagesPerSecond(), l.p50Ms(), l.p99Ms()));
        }
        return b.toString();
    }
}
