package io.tessera.spark;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.AtomicFiles;
import io.tessera.core.checkpoint.Json;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

/**
 * The driver of {@code tessera spark-generate}: checks every input before anything is written, starts
 * Spark, generates the missing shards (one task per shard; each executor keeps its loaded pipeline, see
 * {@link PipelineHolder}), then writes {@code manifest.json} and, on request, the merged
 * {@code images.npz} + {@code tokens.npy}. Output directory:
 * <pre>
 *   job.json                       the job's identity (a re-run with other parameters is refused)
 *   shards/shard-NNNNN.npz         arr_0 uint8 [n,H,W,3], arr_1 int64 labels [n]
 *   shards/shard-NNNNN.tokens.npy  int32 [n,gridH,gridW]
 *   manifest.json                  shards, image ranges, geometry (written last)
 *   images.npz, tokens.npy         with --merge: all images in order, same layouts
 * </pre>
 */
final class SparkJob {
    static final String JOB = "job.json";
    static final String MANIFEST = "manifest.json";
    static final String MERGED = "images.npz";
    static final String MERGED_TOKENS = "tokens.npy";
    private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)]");
    private static final Pattern STANDALONE = Pattern.compile("spark://(.+)");

    /** What a run did. */
    record Result(long images, long shards, long generated, long skipped, Path merged, double seconds) {
    }

    private SparkJob() {
    }

    /**
     * Validates the job against the pipeline, opened once on the driver (with the cpu-vector backend when the
     * pipeline names another, so the driver needs no GPU), and returns the shard geometry and class count.
     */
    static Checked check(JobConfig job) {
        job.validate();
        PipelineSpec ps = job.spec();
        Object backendName = ps.section("backend").raw().get("name");
        if (backendName != null && !"cpu-vector".equals(backendName)) {
            // e.g. torch on cuda: executors have the GPUs, the driver need not; they check the backend options
            ps.replaceSection("backend", "cpu-vector");
            ps.set("backend.threads=1");
        }
        try (PluginRegistry reg = PluginRegistry.load(job.pluginDirs().stream().map(Path::of).toList());
             Pipeline p = Pipeline.open(ps, reg)) {
            for (int c : job.classes()) {
                if (c < 0 || c >= p.model().numClasses()) {
                    throw new ConfigException("--classes: class " + c + " is out of range [0, " + p.model().numClasses() + ")");
                }
            }
            return new Checked(new Shards.Geometry(p.imageSize(), p.adapter().grid().height(), p.adapter().grid().width()),
                    p.model().numClasses());
        }
    }

    /** What the driver learnt from the pipeline. */
    record Checked(Shards.Geometry geometry, int numClasses) {
    }

    /** Fails unless {@code out} is (or can be made) a writable directory; writes nothing. */
    static void checkOut(Path out, JobConfig job) {
        Path abs = out.toAbsolutePath();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new ConfigException("--out " + out + ": not a directory");
            }
            if (!Files.isWritable(abs)) {
                throw new ConfigException("--out " + out + ": directory is not writable");
            }
            Path jobFile = abs.resolve(JOB);
            if (Files.exists(jobFile)) {
                String existing;
                try {
                    existing = Files.readString(jobFile);
                } catch (IOException e) {
                    throw new ConfigException(jobFile + ": cannot read (" + e.getMessage() + ")");
                }
                if (!existing.equals(job.identityJson())) {
                    throw new ConfigException("--out " + out + ": holds the shards of a different job (" + jobFile
                            + " differs in pipeline, seed, order, classes, images or shard size); use another directory");
                }
            }
            return;
        }
        Path p = abs.getParent();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null || !Files.isDirectory(p) || !Files.isWritable(p)) {
            throw new ConfigException("--out " + out + ": cannot create the directory (" + (p == null ? "no existing parent" : p + " is not a writable directory") + ")");
        }
    }

    /**
     * The master Spark runs on: {@code local[N]} becomes {@code local[N,4]} (retry a failed task up to 4
     * times, as {@code spark.task.maxFailures} does on a cluster); a standalone {@code spark://} master
     * must accept a TCP connection within 3 s (Spark itself would retry for a minute before giving up).
     */
    static String checkMaster(String master) {
        Matcher local = LOCAL.matcher(master);
        if (local.matches()) {
            return "local[" + local.group(1) + ",4]";
        }
        Matcher sa = STANDALONE.matcher(master);
        if (sa.matches()) {
            String last = null;
            for (String hp : sa.group(1).split(",")) {
                int colon = hp.lastIndexOf(':');
                if (colon <= 0) {
                    throw new ConfigException("--master " + master + ": expected spark://HOST:PORT");
                }
                int port;
                try {
                    port = Integer.parseInt(hp.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new ConfigException("--master " + master + ": port '" + hp.substring(colon + 1) + "' is not a number");
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(hp.substring(0, colon), port), 3000);
                    return master;
                } catch (IOException | IllegalArgumentException e) {
                    last = e.getMessage();
                }
            }
            throw new ConfigException("--master " + master + ": cannot reach the Spark master (" + last + ")");
        }
        return master;
    }

    static Result run(JobConfig job, Shards.Geometry g, String master, boolean merge, Shards.Fault fault, PrintWriter err) {
        long t0 = System.nanoTime();
        Path out = Path.of(job.out());
        checkOut(out, job);
        String resolved = checkMaster(master);
        SparkConf conf = new SparkConf()
                .setAppName("tessera spark-generate")
                .setMaster(resolved)
                .setIfMissing("spark.ui.enabled", "false")
                .setIfMissing("spark.ui.showConsoleProgress", "false");
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new ConfigException("--master " + master + ": cannot start Spark (" + oneLine(e) + ")", e);
        }
        sc.setLogLevel("WARN");
        try {
            try {
                Files.createDirectories(out.resolve(Shards.DIR));
            } catch (IOException e) {
                throw new ConfigException("--out " + out + ": cannot create directory (" + e.getMessage() + ")", e);
            }
            if (!Files.exists(out.resolve(JOB))) {
                AtomicFiles.writeStream(out.resolve(JOB), o -> o.write(job.identityJson().getBytes(StandardCharsets.UTF_8)));
            }
            List<Long> missing = new ArrayList<>();
            for (long s = 0; s < job.shards(); s++) {
                if (!Shards.complete(out, job, g, s)) {
                    missing.add(s);
                }
            }
            long skipped = job.shards() - missing.size();
            long skippedImages = 0;
            for (long s = 0; s < job.shards(); s++) {
                if (!missing.contains(s)) {
                    skippedImages += job.shardImages(s);
                }
            }
            err.printf("spark-generate: %d images in %d shards on %s; %d shards already complete%n",
                    job.images(), job.shards(), resolved, skipped);
            err.flush();
            if (!missing.isEmpty()) {
                generate(sc, job, g, missing, fault, skippedImages, err);
            }
            for (long s = 0; s < job.shards(); s++) {
                if (!Shards.complete(out, job, g, s)) {
                    throw new TesseraException(Shards.npz(out, s) + ": shard missing or incomplete after the job ended");
                }
            }
            Path merged = merge ? merge(out, job, g) : null;
            writeManifest(out, job, g, merged != null);
            return new Result(job.images(), job.shards(), missing.size(), skipped, merged, (System.nanoTime() - t0) / 1e9);
        } finally {
            sc.stop();
        }
    }

    private static void generate(JavaSparkContext sc, JobConfig job, Shards.Geometry g, List<Long> missing,
                                 Shards.Fault fault, long alreadyDone, PrintWriter err) {
        Broadcast<JobConfig> bJob = sc.broadcast(job);
        LongAccumulator done = sc.sc().longAccumulator("images");
        Thread progress = Thread.ofPlatform().daemon().name("tessera-progress").start(() -> {
            long last = -1;
            while (!Thread.currentThread().isInterrupted()) {
                long now = alreadyDone + done.value();
                if (now != last) {
                    err.printf("spark-generate: %d / %d images%n", now, job.images());
                    err.flush();
                    last = now;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            sc.parallelize(missing, missing.size()).foreach(shard -> {
                JobConfig j = bJob.value();
                Path out = Path.of(j.out());
                // a retried or speculative attempt finds the shard another attempt wrote: same bytes, skip
                if (!Shards.complete(out, j, g, shard)) {
                    int attempt = TaskContext.get() == null ? 0 : TaskContext.get().attemptNumber();
                    PipelineHolder.with(j, p -> {
                        Shards.generate(p, j, g, shard, fault, attempt);
                        return null;
                    });
                }
                done.add(j.shardImages(shard));
            });
        } catch (Exception e) { // Spark's SparkException is checked, though no Java signature declares it
            TesseraException cause = tesseraCause(e);
            if (cause != null) {
                throw new TesseraException(cause.getMessage(), e);
            }
            throw new TesseraException("the Spark job failed (" + oneLine(e) + "); complete shards are kept, a re-run resumes", e);
        } finally {
            progress.interrupt();
            try {
                progress.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err.printf("spark-generate: %d / %d images%n", alreadyDone + done.value(), job.images());
            err.flush();
            bJob.destroy();
        }
    }

    /** Writes {@code images.npz} and {@code tokens.npy}: every shard's arrays in image order, streamed. */
    static Path merge(Path out, JobConfig job, Shards.Geometry g) {
        List<Npy.DataSource> pixels = new ArrayList<>();
        List<Npy.DataSource> labels = new ArrayList<>();
        List<Npy.DataSource> tokens = new ArrayList<>();
        for (long s = 0; s < job.shards(); s++) {
            Path npz = Shards.npz(out, s);
            pixels.add(Npy.npzData(npz, Npy.IMAGES));
            labels.add(Npy.npzData(npz, Npy.LABELS));
            tokens.add(Npy.npyData(Shards.tokens(out, s)));
        }
        long n = job.images();
        List<Npy.Entry> entries = List.of(
                new Npy.Entry(Npy.IMAGES, new Npy.Header("|u1", new long[] {n, g.size(), g.size(), 3}), pixels),
                new Npy.Entry(Npy.LABELS, new Npy.Header("<i8", new long[] {n}), labels));
        Npy.Header th = new Npy.Header("<i4", new long[] {n, g.gridH(), g.gridW()});
        AtomicFiles.writeStream(out.resolve(MERGED_TOKENS), o -> {
            o.write(th.bytes());
            for (Npy.DataSource s : tokens) {
                try (var in = s.open()) {
                    in.transferTo(o);
                }
            }
        });
        AtomicFiles.writeStream(out.resolve(MERGED), o -> Npy.writeNpz(o, entries));
        return out.resolve(MERGED);
    }

    private static void writeManifest(Path out, JobConfig job, Shards.Geometry g, boolean merged) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"job\": ").append(job.identityJson().strip().replace("\n", "\n  ")).append(",\n");
        b.append("  \"images\": ").append(job.images()).append(",\n");
        b.append("  \"image_size\": ").append(g.size()).append(",\n");
        b.append("  \"grid\": [").append(g.gridH()).append(", ").append(g.gridW()).append("],\n");
        b.append("  \"merged\": ").append(merged ? "{\"images\": " + Json.quote(MERGED) + ", \"tokens\": " + Json.quote(MERGED_TOKENS) + "}" : "null").append(",\n");
        b.append("  \"shards\": [\n");
        for (long s = 0; s < job.shards(); s++) {
            b.append("    {\"images\": ").append(Json.quote(Shards.DIR + "/" + Shards.npz(out, s).getFileName()))
                    .append(", \"tokens\": ").append(Json.quote(Shards.DIR + "/" + Shards.tokens(out, s).getFileName()))
                    .append(", \"first\": ").append(job.firstImage(s))
                    .append(", \"count\": ").append(job.shardImages(s)).append('}')
                    .append(s + 1 < job.shards() ? ",\n" : "\n");
        }
        b.append("  ]\n}\n");
        AtomicFiles.writeStream(out.resolve(MANIFEST), o -> o.write(b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static TesseraException tesseraCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TesseraException te) {
                return te;
            }
        }
        return null;
    }

    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.lines().findFirst().orElse("").strip();
    }
}
