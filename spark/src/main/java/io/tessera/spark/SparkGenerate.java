package io.tessera.spark;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.pipeline.PipelineSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tessera spark-generate}: a batch of images generated on Apache Spark, written as seeded shards
 * (see {@link SparkJob}). Also the main class {@code spark-submit} runs. Exit codes as {@code tessera}'s:
 * 0 success, 1 an error in the input (one line on stderr), 2 a usage error, 3 an internal error.
 */
@Command(name = "spark-generate", mixinStandardHelpOptions = true,
        description = "Generate a large batch of images on Apache Spark: seeded shards (.npz in the ADM layout + tokens .npy), resumable.")
public final class SparkGenerate implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pipeline", paramLabel = "FILE", required = true, description = "Pipeline YAML (its checkpoint paths must be readable on every executor).")
    Path pipeline;

    @Option(names = "--images", paramLabel = "N", required = true, description = "Number of images.")
    long images;

    @Option(names = "--classes", paramLabel = "all|LIST", defaultValue = "all", description = "Classes, cycled over the images: 'all' or a comma list (default: ${DEFAULT-VALUE}).")
    String classes;

    @Option(names = "--seed", paramLabel = "S", description = "Seed (overrides sampling.seed).")
    Long seed;

    @Option(names = "--order", paramLabel = "SPEC", description = "Order, NAME[:KEY=VALUE,...] (replaces the pipeline's order section).")
    String order;

    @Option(names = "--backend", paramLabel = "NAME", description = "Backend (replaces the pipeline's backend section).")
    String backend;

    @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override any pipeline field (repeatable).")
    List<String> sets = new ArrayList<>();

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--shard-size", paramLabel = "N", defaultValue = "256", description = "Images per shard, i.e. per Spark task (default: ${DEFAULT-VALUE}).")
    int shardSize;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output directory (shards, manifest.json; re-running resumes).")
    Path out;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master: local[N], spark://HOST:PORT, ... (default: spark.master as spark-submit sets it, else local[*]).")
    String master;

    @Option(names = "--merge", description = "Also merge the shards into images.npz and tokens.npy.")
    boolean merge;

    @Option(names = "--plugins", paramLabel = "DIR", description = "A directory of plugin jars/zips (repeatable; visible to every executor).")
    List<Path> plugins = new ArrayList<>();

    @Option(names = "--stacktrace", description = "Print the stack trace of an error.")
    boolean stacktrace;

    @Option(names = "--inject-failure", paramLabel = "SHARD", hidden = true, description = "Fault injection: fail attempts of this shard half-way.")
    Long injectFailure;

    @Option(names = "--inject-attempts", paramLabel = "K", defaultValue = "1", hidden = true, description = "Fault injection: how many attempts fail (default: ${DEFAULT-VALUE}).")
    int injectAttempts;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command and returns its exit code (used by tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SparkGenerate());
        cl.setCommandName("tessera spark-generate");
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("tessera spark-generate: " + ex.getMessage());
            err.println("Try 'tessera spark-generate --help'.");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof TesseraException) {
                err.println("tessera spark-generate: " + ex.getMessage().lines().findFirst().orElse(""));
                if (parsed.hasMatchedOption("--stacktrace")) {
                    ex.printStackTrace(err);
                }
                return 1;
            }
            err.println("tessera spark-generate: internal error: " + ex);
            ex.printStackTrace(err);
            return 3;
        });
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (images <= 0) {
            throw new ConfigException("--images must be ≥ 1, got " + images);
        }
        if (!Files.isRegularFile(pipeline)) {
            throw new ConfigException("--pipeline " + pipeline + ": no such file");
        }
        String yaml;
        try {
            yaml = Files.readString(pipeline);
        } catch (java.io.IOException e) {
            throw new ConfigException("--pipeline " + pipeline + ": cannot read (" + e.getMessage() + ")");
        }
        List<String> overrides = new ArrayList<>(sets);
        if (seed != null) {
            overrides.add("sampling.seed=" + seed);
        }
        List<String> pluginDirs = plugins.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList();
        boolean all = classes.trim().equals("all");
        int[] cls = all ? new int[] {0} : parseClasses(classes);
        String base = pipeline.toAbsolutePath().normalize().getParent().toString();
        String outDir = out.toAbsolutePath().normalize().toString();
        JobConfig job = new JobConfig(yaml, pipeline.toString(), base, List.copyOf(overrides), order, backend, cls, images,
                shardSize, batch, pluginDirs, outDir);
        SparkJob.Checked checked = SparkJob.check(job);
        if (all) {
            cls = new int[checked.numClasses()];
            for (int c = 0; c < cls.length; c++) {
                cls[c] = c;
            }
            job = new JobConfig(yaml, pipeline.toString(), base, List.copyOf(overrides), order, backend, cls, images,
                    shardSize, batch, pluginDirs, outDir);
        }
        String m = master != null ? master : System.getProperty("spark.master", "local[*]");
        Shards.Fault fault = injectFailure == null ? Shards.Fault.NONE : new Shards.Fault(injectFailure, injectAttempts);
        SparkJob.Result r = SparkJob.run(job, checked.geometry(), m, merge, fault, err);
        spec.commandLine().getOut().printf("wrote %s: %d images in %d shards (%d generated, %d already complete)%s in %.1f s (%.2f images/s)%n",
                out, r.images(), r.shards(), r.generated(), r.skipped(), r.merged() != null ? ", merged into " + r.merged() : "",
                r.seconds(), r.images() / r.seconds());
        return 0;
    }

    static int[] parseClasses(String text) {
        String[] parts = text.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new ConfigException("--classes: '" + parts[i].trim() + "' is not a class number (expected 'all' or a list like 0,3,7)");
            }
        }
        return out;
    }
}
