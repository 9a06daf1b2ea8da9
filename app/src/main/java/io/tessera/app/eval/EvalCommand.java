package io.tessera.app.eval;

import io.tessera.app.CommonOptions;
import io.tessera.app.DefaultPipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tessera eval}: steps, latency and quality of every order on one model, with pictures. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate orders on one model: forward passes, tokens per pass, generation and decode latency,",
                "and (with --classifier) Fréchet distance and class accuracy against real Fashion-MNIST images.",
                "Writes results.csv, results.json, latency.png, quality.png, samples.png and per order",
                "samples-ORDER.npz (uint8 arr_0 [N,H,W,3], for ADM's FID/IS evaluator) and tokens-ORDER.npy."})
public final class EvalCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--pipeline", paramLabel = "FILE", description = "Pipeline YAML (default: the embedded default pipeline).")
    Path pipeline;

    @Option(names = "--order", paramLabel = "SPEC", description = "NAME[:KEY=VALUE,...], e.g. zipar:window=4 (repeatable; default: "
            + "raster, zipar:window=4, zipar:window=8, par:regions=4, par:regions=16, lpd:steps=20, lpd:steps=32, random:steps=20). "
            + "Orders the model's family cannot run are reported as skipped.")
    List<String> orders = new ArrayList<>();

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1000", description = "Images per order, classes round-robin (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seed", paramLabel = "S", description = "Seed (overrides sampling.seed); every order uses the same seed.")
    Long seed;

    @Option(names = "--backend", paramLabel = "NAME", description = "Backend (replaces the pipeline's backend section).")
    String backend;

    @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a pipeline field outside the order section, e.g. sampling.cfg_scale=2 (repeatable).")
    List<String> sets = new ArrayList<>();

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed images generated before each order (default: one batch).")
    Integer warmup;

    @Option(names = "--classifier", paramLabel = "FILE", description = "Fashion-MNIST classifier (safetensors): enables FD and accuracy.")
    Path classifier;

    @Option(names = "--classifier-device", paramLabel = "DEVICE", defaultValue = "cpu", description = "cpu or cuda (default: ${DEFAULT-VALUE}).")
    String classifierDevice;

    @Option(names = "--reference-data", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "Fashion-MNIST IDX directory for the real-data features (default: ${DEFAULT-VALUE}).")
    Path referenceData;

    @Option(names = "--reference-samples", paramLabel = "N", defaultValue = "10000",
            description = "Real images per split (train, test) for the FD reference and floor (default: ${DEFAULT-VALUE}).")
    int referenceSamples;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "eval", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() {
        if (samples < 2) {
            throw new ParameterException(spec.commandLine(), "--samples must be ≥ 2 (a covariance needs two images), got " + samples);
        }
        if (batch < 1) {
            throw new ParameterException(spec.commandLine(), "--batch must be ≥ 1, got " + batch);
        }
        if (warmup != null && warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be ≥ 0, got " + warmup);
        }
        if (referenceSamples < 2) {
            throw new ParameterException(spec.commandLine(), "--reference-samples must be ≥ 2, got " + referenceSamples);
        }
        Evaluation.Settings settings = new Evaluation.Settings(
                () -> pipeline == null ? DefaultPipeline.load() : PipelineSpec.load(pipeline),
                orders.isEmpty() ? Evaluation.DEFAULT_ORDERS : List.copyOf(orders), samples, batch,
                warmup == null ? batch : warmup, seed, backend, List.copyOf(sets), out, referenceData, referenceSamples);
        PrintWriter o = spec.commandLine().getOut();
        try (PluginRegistry registry = common.registry();
             FeatureExtractor extractor = classifier == null ? null : ClassifierFeatures.open(classifier, classifierDevice)) {
            Evaluation.Report report = new Evaluation(settings, registry, extractor, spec.commandLine().getErr()).run();
            o.print(ResultTable.text(report));
            o.println("wrote " + out + "/: results.csv, results.json, samples.png, latency.png"
                    + (report.floor() != null ? ", quality.png" : "") + ", samples-*.npz, tokens-*.npy");
        }
        return 0;
    }
}
