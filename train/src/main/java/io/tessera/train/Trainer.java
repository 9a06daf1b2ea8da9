package io.tessera.train;

import io.tessera.core.io.Images;
import io.tessera.datasets.FashionMnist;
import io.tessera.datasets.FmnistClassifier;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.CheckpointException;
import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Context;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;

/**
 * The training loop shared by every trainer: seeding, deterministic batches, AdamW with warm-up and
 * cosine decay, gradient clipping, progress lines, loss CSV + PNG, atomic checkpoints with the
 * optimiser state (resume continues bit-for-bit on the same machine), evaluation in f32 and in
 * bf16, and the export of the model file.
 *
 * <p>Use: {@code Trainers.load(yaml).run(Progress.lines(System.err))}.
 */
public abstract class Trainer {
    /** Checkpoint file name inside {@code work_dir}. */
    public static final String CHECKPOINT = "checkpoint.safetensors";

    protected final TrainConfig cfg;
    protected Device device;
    protected ParamStore params;
    private AdamW opt;

    protected Trainer(TrainConfig cfg) {
        this.cfg = cfg;
    }

    /** vq, gpt, lpd or classifier. */
    protected abstract String name();

    /** Names of the loss components returned by {@link #trainStep}; the first is the optimised total. */
    protected abstract List<String> lossNames();

    /** Loads (and if needed pre-processes) the data; runs before the parameters exist. */
    protected abstract void prepare(Progress progress);

    /** Number of training items (for the sample order). */
    protected abstract int trainSize();

    /** Registers every parameter in {@code params} (libtorch is seeded just before). */
    protected abstract void build(ParamStore params);

    /** Forward + backward of one batch (inside a PointerScope); returns the loss components. */
    protected abstract double[] trainStep(long step, int[] batch);

    /** Metrics on held-out data with the current parameters (no grad). */
    protected abstract Map<String, Double> evaluate(Progress progress);

    /** String metadata of the exported file (config fields). */
    protected abstract Map<String, String> exportMetadata();

    /** The tensors of the exported model file. */
    protected Map<String, Tensor> exportTensors(DType dtype) {
        return params.export("", dtype);
    }

    /** Optional sanity pictures etc. after the export. */
    protected void afterExport(Progress progress) {
    }

    /**
     * The sanity samples of a GPT or LPD run: {@code sample.per_class} images of every class (one row per class)
     * from {@code generate} (classes → images [n, 3, 32, 32]) in {@code <name>_samples.png}, one message naming
     * {@code settings}, and the classifier's agreement when {@code sample.classifier} is given.
     */
    protected final void writeSamples(SampleOptions sample, int numClasses, String settings,
            Function<int[], float[]> generate, Progress progress) {
        if (sample.perClass() == 0) {
            return;
        }
        int[] cls = new int[numClasses * sample.perClass()];
        for (int i = 0; i < cls.length; i++) {
            cls[i] = i / sample.perClass();
        }
        long t0 = System.nanoTime();
        float[] images = generate.apply(cls);
        Path png = cfg.workDir().resolve(name() + "_samples.png");
        Images.writePng(png, Images.grid(images, cls.length, 3, FashionMnist.PADDED, sample.perClass(), 3, 0x808080));
        progress.message(String.format(Locale.ROOT, "%s: %d samples (%s) in %.0f s → %s",
                name(), cls.length, settings, (System.nanoTime() - t0) / 1e9, png));
        reportAgreement(sample.classifier(), images, cls, progress);
    }

    /** The item indices {@code start, start + 1, …, start + count − 1} (one batch of a data set, in order). */
    protected static int[] range(int start, int count) {
        return IntStream.range(start, start + count).toArray();
    }

    /** The mean loss of the held-out items {@code start … start + count − 1} (one evaluation batch). */
    @FunctionalInterface
    protected interface BatchLoss {
        double mean(int start, int count);
    }

    /**
     * {@code test_loss}: the mean of {@code loss} over {@code n} held-out items in batches of 50, weighted by
     * batch size; each batch runs without grad in its own {@link PointerScope}.
     */
    protected static Map<String, Double> testLoss(int n, BatchLoss loss) {
        double sum = 0;
        int bs = 50;
        for (int start = 0; start < n; start += bs) {
            int b = Math.min(bs, n - start);
            try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
                sum += loss.mean(start, b) * b;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("test_loss", sum / n);
        return m;
    }

    /**
     * With a classifier file (the {@code sample.classifier} of a GPT or LPD run) that exists: one message
     * with the share of {@code images} [n, 3, 32, 32] the classifier puts in their conditioning class.
     */
    private void reportAgreement(Path classifierFile, float[] images, int[] classes, Progress progress) {
        if (classifierFile == null || !Files.exists(classifierFile)) {
            return;
        }
        try (FmnistClassifier clf = FmnistClassifier.load(classifierFile, device)) {
            double a = FmnistClassifier.agreement(clf.predict(images, classes.length), classes);
            progress.message(String.format(Locale.ROOT, "%s: classifier agrees with the conditioning class on %d/%d samples (%.1f%%)",
                    name(), Math.round(a * classes.length), classes.length, 100 * a));
        }
    }

    public TrainConfig config() {
        return cfg;
    }

    public ParamStore params() {
        return params;
    }

    public Path checkpointPath() {
        return cfg.workDir().resolve(CHECKPOINT);
    }

    /** Runs (or resumes) to the last step, evaluates and exports. */
    public final TrainResult run(Progress progress) {
        return runUntil(cfg.optim().steps(), progress);
    }

    /**
     * Runs (or resumes) until {@code stopStep} steps are done in total, then writes a checkpoint; this
     * is what an interruption after a checkpoint looks like. Reaching the last step evaluates and exports.
     */
    public final TrainResult runUntil(long stopStep, Progress progress) {
        TrainConfig.Optim o = cfg.optim();
        // Denormal floats made CPU training steps 10-100× slower here; flushing them to zero is what
        // PyTorch users do with torch.set_flush_denormal(True). The FPU mode is per thread and
        // libtorch's worker threads inherit it when they are created, so this comes before any other
        // libtorch call of the run (set_num_threads included). Training processes only.
        Context.setFlushDenormal(true);
        if (cfg.threads() > 0) {
            torch.set_num_threads(cfg.threads());
        }
        device = Ops.device(cfg.device(), cfg.source() + ": device");
        if (cfg.threads() > 0 && (System.getenv("OMP_NUM_THREADS") == null || System.getenv("OPENBLAS_NUM_THREADS") == null)) {
            // libtorch's OpenMP pool and OpenBLAS start their own threads from these variables; a spare
            // spinning BLAS thread made training 10× slower on a loaded 2-core machine.
            progress.message(name() + ": hint: set OMP_NUM_THREADS=" + cfg.threads() + " OPENBLAS_NUM_THREADS=" + cfg.threads()
                    + " in the environment to match threads: " + cfg.threads());
        }
        prepare(progress);
        torch.manual_seed(cfg.seed());
        params = new ParamStore(device);
        build(params);
        opt = new AdamW(params, o.beta1(), o.beta2(), 1e-8, o.weightDecay());
        progress.message(String.format(Locale.ROOT, "%s: %,d parameters, %d train items, device %s, %d threads",
                name(), params.count(), trainSize(), device.is_cuda() ? "cuda" : "cpu", torch.get_num_threads()));

        long step = 0;
        double trainSeconds = 0;
        Path ckpt = checkpointPath();
        if (cfg.resume() && Files.exists(ckpt)) {
            try (Checkpoint c = TrainIo.loadSafetensors(ckpt)) {
                String kind = c.metadata().getOrDefault("kind", "?");
                if (!kind.equals(name())) {
                    throw new CheckpointException(ckpt + ": checkpoint of a '" + kind + "' run, this run is '" + name()
                            + "' (use another work_dir or set resume: false)");
                }
                step = Long.parseLong(c.metadata().get("step"));
                trainSeconds = Double.parseDouble(c.metadata().getOrDefault("train_seconds", "0"));
                params.load(c, "model.");
                opt.load(c, step);
            }
            progress.message(name() + ": resumed from " + ckpt + " at step " + step);
        } else if (cfg.init() != null) {
            if (!Files.isRegularFile(cfg.init())) {
                throw new CheckpointException(cfg.source() + ": init: " + cfg.init() + ": no such file");
            }
            try (Checkpoint c = TrainIo.loadSafetensors(cfg.init())) {
                params.load(c, "");
            }
            progress.message(name() + ": warm start from " + cfg.init() + " (fresh optimiser and schedule)");
        }
        LossLog log = new LossLog(cfg.workDir().resolve("loss.csv"), lossNames());
        log.restore(step);

        DataOrder order = new DataOrder(trainSize(), o.batchSize(), cfg.seed());
        long end = Math.min(stopStep, o.steps());
        double[] window = new double[lossNames().size()];
        int windowSteps = 0;
        double lastWindowLoss = Double.NaN;
        long windowStart = System.nanoTime();
        double lr = 0;
        while (step < end) {
            lr = o.lrAt(step);
            long t0 = System.nanoTime();
            double[] losses;
            try (PointerScope _ = new PointerScope()) {
                losses = trainStep(step, order.batch(step));
                opt.clipGradNorm(o.gradClip());
                opt.update(lr);
            }
            trainSeconds += (System.nanoTime() - t0) / 1e9;
            step++;
            if (!Double.isFinite(losses[0])) {
                throw new ConfigException(cfg.source() + ": train: loss became " + losses[0] + " at step " + step
                        + " (lower train.lr or raise train.warmup_steps)");
            }
            log.add(step, lr, losses);
            for (int i = 0; i < window.length; i++) {
                window[i] += losses[i];
            }
            windowSteps++;
            if (step % cfg.logEvery() == 0 || step == end) {
                double secs = (System.nanoTime() - windowStart) / 1e9;
                Map<String, Double> mean = new LinkedHashMap<>();
                for (int i = 0; i < window.length; i++) {
                    mean.put(lossNames().get(i), window[i] / windowSteps);
                }
                lastWindowLoss = window[0] / windowSteps;
                progress.report(name(), step, o.steps(), mean, windowSteps * (double) o.batchSize() / secs, lr);
                java.util.Arrays.fill(window, 0);
                windowSteps = 0;
                windowStart = System.nanoTime();
            }
            if (step % cfg.checkpointEvery() == 0 || step == end) {
                saveCheckpoint(step, trainSeconds);
                log.writeCsv();
                log.plot(cfg.workDir().resolve("loss.png"), name() + " training loss (" + cfg.source() + ")");
            }
        }
        if (step < o.steps()) {
            progress.message(name() + ": stopped at step " + step + " of " + o.steps() + " (checkpoint " + ckpt + ")");
            return new TrainResult(name(), null, step, o.steps(), trainSeconds, lastWindowLoss, Map.of());
        }

        Map<String, Double> metrics = new LinkedHashMap<>(evaluate(progress));
        Map<String, Tensor> f32 = params.export("", DType.F32);
        params.roundToBf16();
        evaluate(progress).forEach((k, v) -> metrics.put(k + "_bf16", v));
        params.load(new MemoryCheckpoint("f32 snapshot", f32), "");
        metrics.put("train_seconds", trainSeconds);

        Map<String, String> meta = new LinkedHashMap<>(exportMetadata());
        meta.put("tessera_kind", name());
        meta.put("steps", Long.toString(step));
        meta.put("seed", Long.toString(cfg.seed()));
        TrainIo.saveSafetensors(cfg.out(), exportTensors(cfg.saveDtype()), meta);
        StringBuilder summary = new StringBuilder();
        metrics.forEach((k, v) -> summary.append(String.format(Locale.ROOT, " %s=%.5g", k, v)));
        progress.message(name() + ": wrote " + cfg.out() + " (" + cfg.saveDtype().safetensorsName() + ");" + summary);
        TrainIo.atomicWrite(cfg.workDir().resolve("metrics.txt"), out -> {
            StringBuilder b = new StringBuilder();
            metrics.forEach((k, v) -> b.append(k).append('=').append(String.format(Locale.ROOT, "%.6g", v)).append('\n'));
            out.write(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
        afterExport(progress);
        return new TrainResult(name(), cfg.out(), step, o.steps(), trainSeconds, lastWindowLoss, metrics);
    }

    private void saveCheckpoint(long step, double trainSeconds) {
        Map<String, Tensor> all = new LinkedHashMap<>(params.export("model.", DType.F32));
        all.putAll(opt.export());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("kind", name());
        meta.put("step", Long.toString(step));
        meta.put("seed", Long.toString(cfg.seed()));
        meta.put("train_seconds", Double.toString(trainSeconds));
        meta.put("config", cfg.source());
        TrainIo.saveSafetensors(checkpointPath(), all, meta);
    }
}
