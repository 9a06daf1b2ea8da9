package io.tessera.app.eval;

import io.tessera.core.io.ProgressBars;
import io.tessera.core.io.Npy;
import io.tessera.core.io.Images;
import io.tessera.app.AtomicFiles;
import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.decode.Generator;
import io.tessera.core.pipeline.OrderSpec;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.datasets.FashionMnist;
import io.tessera.datasets.FmnistClassifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;

/**
 * The sweep behind {@code tessera eval}: every order on one model, with the same seed, classes and
 * batch size, measuring steps, latency and (with a {@link FeatureExtractor}) quality, and writing
 * the samples, tables and pictures into one directory.
 *
 * <p>Per order: a pipeline is opened with the order replacing the pipeline's {@code order:} section;
 * {@code warmup} images are generated untimed; then {@code samples} images (class {@code i mod
 * numClasses} for image i) are generated in one timed call (generation only), decoded in batches
 * (timed separately), quantised to uint8 with {@link Images#toByte} and streamed to
 * {@code samples-<order>.npz}; the extractor sees the quantised images, as an evaluator reading the
 * npz would. Orders the model's family cannot run are reported as skipped with the reason; an
 * invalid order spec aborts before any work.
 *
 * <p>Files in {@code out}: {@code results.csv}, {@code results.json}, {@code samples.png} (a labelled
 * row per order), {@code latency.png}, {@code quality.png} (with an extractor), and per order
 * {@code samples-<order>.npz} and {@code tokens-<order>.npy}; each written atomically.
 */
public final class Evaluation {
    /** The orders compared when none is given. */
    public static final List<String> DEFAULT_ORDERS = List.of("raster", "zipar:window=4", "zipar:window=8", "par:regions=4",
            "par:regions=16", "lpd:steps=20", "lpd:steps=32", "random:steps=20");
    /** Images per order in the sample sheet. */
    static final int SHEET_COLUMNS = 10;

    /**
     * What to run.
     *
     * @param pipeline         a fresh copy of the pipeline spec on each call (it is mutated by overrides)
     * @param orders           order specs {@code NAME[:KEY=VALUE,...]}, at least one
     * @param samples          images per order, ≥ 2
     * @param batch            images per forward pass, ≥ 1
     * @param warmup           untimed images generated before each order's timed run, ≥ 0
     * @param seed             overrides {@code sampling.seed} when not null
     * @param backend          replaces the {@code backend:} section when not null
     * @param sets             {@code path=value} overrides of any section but {@code order} (order options
     *                         belong in the order spec), applied after the backend section
     * @param out              output directory
     * @param referenceDir     Fashion-MNIST IDX directory (read only with an extractor)
     * @param referenceSamples images per real split (train and test) for the floor and the FD reference
     */
    public record Settings(Supplier<PipelineSpec> pipeline, List<String> orders, int samples, int batch, int warmup, Long seed,
                           String backend, List<String> sets, Path out, Path referenceDir, int referenceSamples) {
    }

    /** The outcome: one row per order, in the order given, and the real-data floor (null without extractor). */
    public record Report(List<OrderResult> results, RealDataFloor floor, String model, String backend, GridSize grid,
                         int imageSize, long seed, String extractor) {
    }

    private final Settings settings;
    private final PluginRegistry registry;
    private final FeatureExtractor extractor;
    private final PrintWriter err;

    /**
     * @param extractor null to measure steps and latency only
     * @param err       where the progress bar goes (drawn only on a terminal)
     */
    public Evaluation(Settings settings, PluginRegistry registry, FeatureExtractor extractor, PrintWriter err) {
        this.settings = settings;
        this.registry = registry;
        this.extractor = extractor;
        this.err = err;
    }

    /** A planned order: its spec, the pipeline spec that runs it, and why it cannot run (or null). */
    private record Planned(OrderSpec order, PipelineSpec spec, String skipReason) {
    }

    /**
     * Runs the sweep and writes every file.
     *
     * @throws TesseraException (one line, naming the flag or file) for invalid input; nothing is written then
     */
    public Report run() {
        if (settings.samples() < 2) {
            throw new ConfigException("--samples must be ≥ 2 (a covariance needs two images), got " + settings.samples());
        }
        if (settings.batch() < 1) {
            throw new ConfigException("--batch must be ≥ 1, got " + settings.batch());
        }
        if (settings.warmup() < 0) {
            throw new ConfigException("--warmup must be ≥ 0, got " + settings.warmup());
        }
        for (String set : settings.sets()) {
            if (set.strip().startsWith("order.")) {
                throw new ConfigException("--set " + set + ": order options go in the --order spec, as in zipar:window=4");
            }
        }
        if (settings.orders().isEmpty()) {
            throw new ConfigException("--order: no order to evaluate");
        }
        // 1. Validate every order against the model before any work: bad specs abort, incompatible ones are skipped.
        List<Planned> planned = new ArrayList<>();
        GridSize grid;
        int imageSize;
        int numClasses;
        long seed;
        String model;
        String backendName;
        try (Pipeline base = Pipeline.open(baseSpec(), registry)) {
            grid = base.adapter().grid();
            imageSize = base.imageSize();
            numClasses = base.model().numClasses();
            seed = base.sampling().seed();
            model = base.model().family() + ", grid " + grid + ", " + imageSize + " px";
            backendName = base.backend().name();
            if (extractor != null && imageSize != FashionMnist.PADDED) {
                throw new ConfigException("--classifier: the reference data are " + FashionMnist.PADDED + "×" + FashionMnist.PADDED
                        + " Fashion-MNIST images, but this pipeline makes " + imageSize + "×" + imageSize + " images");
            }
            Set<String> labels = new HashSet<>();
            for (String text : settings.orders()) {
                OrderSpec os;
                try {
                    os = OrderSpec.parse(text);
                } catch (TesseraException e) {
                    throw new ConfigException("--order " + text + ": " + e.getMessage(), e);
                }
                if (!labels.add(os.label())) {
                    throw new ConfigException("--order " + text + ": given twice");
                }
                PipelineSpec spec = orderSpec(os);
                OrderScheduler scheduler;
                io.tessera.core.spi.Plan plan;
                try {
                    scheduler = registry.order(os.name());
                    plan = scheduler.plan(grid, spec.section("order"), seed);
                } catch (TesseraException e) {
                    throw new ConfigException("--order " + text + ": " + e.getMessage(), e);
                }
                String reason = null;
                try {
                    base.adapter().checkOrder(scheduler, plan);
                } catch (ConfigException e) {
                    reason = e.getMessage().replaceFirst("^order\\.name: ", "");
                }
                planned.add(new Planned(os, spec, reason));
            }
        }
        // 2. The real data: reference statistics and the floor.
        Gaussian reference = null;
        RealDataFloor floor = null;
        float[] realSheet = null;
        if (extractor != null) {
            int limit = settings.referenceSamples();
            FashionMnist testSet = reference(settings.referenceDir(), false, limit);
            float[] test = testSet.images();
            int[] testLabels = testSet.labels();
            float[] train = reference(settings.referenceDir(), true, limit).images();
            int per = 3 * FashionMnist.PADDED * FashionMnist.PADDED;
            int nTest = test.length / per;
            int nTrain = train.length / per;
            if (nTest < 2 || nTrain < 2) {
                throw new ConfigException("--reference-data " + settings.referenceDir() + ": needs ≥ 2 images per split, found "
                        + nTrain + " train and " + nTest + " test");
            }
            Extracted te = extract(test, nTest, FashionMnist.PADDED);
            Extracted tr = extract(train, nTrain, FashionMnist.PADDED);
            reference = Gaussian.of(te.features, nTest, te.dim);
            floor = new RealDataFloor(Gaussian.of(tr.features, nTrain, tr.dim).frechetDistance(reference),
                    FmnistClassifier.agreement(te.predicted, testLabels), nTrain, nTest);
            realSheet = firstOfEachClass(test, testLabels, per);
        }
        // 3. The sweep.
        int[] classes = new int[settings.samples()];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = i % numClasses;
        }
        int warm = Math.min(settings.warmup(), settings.samples());
        long runnable = planned.stream().filter(p -> p.skipReason() == null).count();
        List<OrderResult> results = new ArrayList<>();
        List<float[]> sheetImages = new ArrayList<>();
        try (ProgressBar bar = ProgressBars.bar("eval", runnable * (warm + classes.length) * grid.cells(), "tok", err)) {
            long[] offset = {0};
            for (Planned p : planned) {
                if (p.skipReason() != null) {
                    results.add(OrderResult.skipped(p.order().label(), p.skipReason()));
                    sheetImages.add(null);
                    continue;
                }
                Generator.Listener listener = (done, total) -> bar.stepTo(offset[0] + done);
                results.add(runOrder(p, classes, warm, reference, listener, sheetImages));
                offset[0] += (long) (warm + classes.length) * grid.cells();
                bar.stepTo(offset[0]);
            }
        }
        Report report = new Report(List.copyOf(results), floor, model, backendName, grid, imageSize, seed,
                extractor == null ? null : extractor.description());
        // 4. Tables and pictures.
        Path out = settings.out();
        EvalFiles.text(out.resolve("results.csv"), ResultTable.csv(report));
        EvalFiles.text(out.resolve("results.json"), ResultTable.json(report, settings));
        Images.writePng(out.resolve("samples.png"), SampleSheet.render(report, sheetImages, realSheet, SHEET_COLUMNS));
        Images.writePng(out.resolve("latency.png"), Plots.latency(report));
        if (floor != null) {
            Images.writePng(out.resolve("quality.png"), Plots.quality(report));
        }
        return report;
    }

    private OrderResult runOrder(Planned p, int[] classes, int warm, Gaussian reference, Generator.Listener listener,
                                 List<float[]> sheetImages) {
        String slug = slug(p.order().label());
        String npzName = "samples-" + slug + ".npz";
        String tokensName = "tokens-" + slug + ".npy";
        int n = classes.length;
        try (Pipeline pipe = Pipeline.open(p.spec(), registry)) {
            GridSize grid = pipe.adapter().grid();
            int cells = grid.cells();
            if (warm > 0) {
                pipe.generate(java.util.Arrays.copyOf(classes, warm), settings.batch(), listener);
            }
            int warmTokens = warm * cells;
            long t0 = System.nanoTime();
            Generator.Result r = pipe.generate(classes, settings.batch(), (done, total) -> listener.pass(warmTokens + done, total));
            long genNanos = System.nanoTime() - t0;

            int size = pipe.imageSize();
            int plane = size * size;
            long decodeNanos = 0;
            float[] features = null;
            int[] predicted = new int[n];
            int dim = -1;
            int sheetCount = Math.min(SHEET_COLUMNS, n);
            float[] sheet = new float[sheetCount * 3 * plane];
            try (NpzSink npz = new NpzSink(settings.out().resolve(npzName), n, size, size, 3)) {
                for (int start = 0; start < n; start += settings.batch()) {
                    int b = Math.min(settings.batch(), n - start);
                    int[][] chunk = java.util.Arrays.copyOfRange(r.tokens(), start, start + b);
                    long d0 = System.nanoTime();
                    float[] images = pipe.decode(chunk);
                    decodeNanos += System.nanoTime() - d0;
                    byte[] hwc = Images.toRgb8(images, b, size, size);
                    float[] quantised = new float[b * 3 * plane];
                    for (int i = 0; i < b; i++) {
                        for (int c = 0; c < 3; c++) {
                            for (int q = 0; q < plane; q++) {
                                quantised[(i * 3 + c) * plane + q] = (hwc[(i * plane + q) * 3 + c] & 0xff) / 127.5f - 1f;
                            }
                        }
                    }
                    npz.write(hwc, 0, hwc.length);
                    if (start < sheetCount) {
                        int k = Math.min(b, sheetCount - start);
                        System.arraycopy(quantised, 0, sheet, start * 3 * plane, k * 3 * plane);
                    }
                    if (extractor != null) {
                        Extracted e = extract(quantised, b, size);
                        if (features == null) {
                            dim = e.dim;
                            features = new float[n * dim];
                        }
                        System.arraycopy(e.features, 0, features, start * dim, b * dim);
                        System.arraycopy(e.predicted, 0, predicted, start, b);
                    }
                }
                npz.commit();
            }
            int[] flat = new int[n * cells];
            long passes = 0;
            for (int i = 0; i < n; i++) {
                System.arraycopy(r.tokens()[i], 0, flat, i * cells, cells);
                passes += r.passes()[i];
            }
            Npy.writeInt32(settings.out().resolve(tokensName), flat, n, grid.height(), grid.width());
            sheetImages.add(sheet);
            double fd = Double.NaN;
            double acc = Double.NaN;
            if (extractor != null) {
                fd = Gaussian.of(features, n, dim).frechetDistance(reference);
                acc = FmnistClassifier.agreement(predicted, classes);
            }
            int batches = (n + settings.batch() - 1) / settings.batch();
            return new OrderResult(p.order().label(), null, n, (double) passes / n, (double) cells * n / passes,
                    genNanos / 1e6 / n, genNanos / 1e6 / batches, decodeNanos / 1e6 / n, fd, acc, npzName, tokensName);
        }
    }

    /** Features of many images, in chunks the extractor can take. */
    private record Extracted(float[] features, int[] predicted, int dim) {
    }

    private static final int EXTRACT_CHUNK = 256;

    private Extracted extract(float[] images, int n, int size) {
        int per = 3 * size * size;
        float[] features = null;
        int[] predicted = new int[n];
        int dim = -1;
        for (int start = 0; start < n; start += EXTRACT_CHUNK) {
            int b = Math.min(EXTRACT_CHUNK, n - start);
            float[] chunk = start == 0 && b == n ? images : java.util.Arrays.copyOfRange(images, start * per, (start + b) * per);
            FeatureExtractor.Features f = extractor.extract(chunk, b, size);
            if (features == null) {
                dim = f.dim();
                features = new float[n * dim];
            } else if (f.dim() != dim) {
                throw new IllegalStateException("feature extractor changed its dimension from " + dim + " to " + f.dim());
            }
            System.arraycopy(f.features(), 0, features, start * dim, b * dim);
            System.arraycopy(f.predicted(), 0, predicted, start, b);
        }
        return new Extracted(features, predicted, dim);
    }

    /** Up to {@link #SHEET_COLUMNS} images, the first test image of each class 0, 1, 2, … */
    private static float[] firstOfEachClass(float[] images, int[] labels, int per) {
        List<Integer> picks = new ArrayList<>();
        for (int c = 0; c < SHEET_COLUMNS; c++) {
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == c) {
                    picks.add(i);
                    break;
                }
            }
        }
        float[] out = new float[picks.size() * per];
        for (int k = 0; k < picks.size(); k++) {
            System.arraycopy(images, picks.get(k) * per, out, k * per, per);
        }
        return out;
    }

    /** The pipeline with the backend, --set overrides and seed applied, its own order kept. */
    private PipelineSpec baseSpec() {
        PipelineSpec ps = settings.pipeline().get();
        if (settings.backend() != null) {
            ps.replaceSection("backend", settings.backend());
        }
        for (String s : settings.sets()) {
            ps.set(s);
        }
        if (settings.seed() != null) {
            ps.set("sampling.seed=" + settings.seed());
        }
        return ps;
    }

    /** The pipeline running {@code order}: the base pipeline with its order section replaced by the spec. */
    private PipelineSpec orderSpec(OrderSpec order) {
        PipelineSpec ps = baseSpec();
        ps.replaceSection("order", order.name());
        for (var e : order.options().entrySet()) {
            ps.set("order." + e.getKey() + "=" + e.getValue());
        }
        return ps;
    }

    /** A file-name-safe form of an order label: {@code zipar:window=4} → {@code zipar_window-4}. */
    static String slug(String label) {
        return label.replace('=', '-').replaceAll("[^A-Za-z0-9.-]", "_");
    }

    /** The first {@code limit} images of a split of {@code --reference-data}; errors name the flag. */
    private static FashionMnist reference(Path dir, boolean train, int limit) {
        try {
            return FashionMnist.load(dir, train).limit(limit);
        } catch (ConfigException e) {
            throw e;
        } catch (TesseraException e) {
            throw new ConfigException("--reference-data " + e.getMessage(), e);
        }
    }
}
