package io.tessera.train;

import io.tessera.datasets.FashionMnist;
import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.config.ConfigNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * One training run read from a YAML file. Common keys are read here; the trainer of {@code kind}
 * reads {@code model} (and its own sections) and then {@link #finish()} rejects every key nobody
 * read. Relative paths are resolved against the YAML file's directory (as pipeline files do).
 *
 * <pre>
 * kind: vq                    # vq | gpt | lpd | classifier
 * seed: 0
 * device: auto                # cpu | cuda | auto
 * threads: 0                  # libtorch intra-op threads (0: libtorch's default)
 * data: {dir: /usr/share/datasets/fashion-mnist, train_limit: 0, test_limit: 2000}
 * work_dir: ../target/train/vq  # checkpoint.safetensors, loss.csv, loss.png, sanity PNGs
 * out: ../models/fmnist/vq.safetensors
 * save_dtype: bf16            # f32 | bf16 (the exported model; checkpoints are always f32)
 * resume: true                # continue from work_dir/checkpoint.safetensors when present
 * init: ../models/fmnist/gpt.safetensors  # optional warm start: the weights of an exported model of
 *                             # this kind and shape; fresh optimiser and schedule (a checkpoint wins)
 * train: {steps: 1000, batch_size: 32, lr: 1e-3, min_lr_ratio: 0.1, warmup_steps: 50,
 *         weight_decay: 0.0, beta1: 0.9, beta2: 0.95, grad_clip: 1.0, log_every: 10, checkpoint_every: 100}
 * model: {...}                # per kind
 * </pre>
 */
public final class TrainConfig {
    /** Trainer kinds. */
    public enum Kind { VQ, GPT, LPD, CLASSIFIER }

    /** Optimiser and schedule: linear warm-up, then cosine decay from lr to lr·min_lr_ratio. */
    public record Optim(long steps, int batchSize, double lr, double minLrRatio, long warmupSteps, double weightDecay,
                        double beta1, double beta2, double gradClip) {
        /** Learning rate of (0-based) step {@code s}. */
        public double lrAt(long s) {
            if (s < warmupSteps) {
                return lr * (s + 1) / warmupSteps;
            }
            double t = steps <= warmupSteps ? 1 : (double) (s - warmupSteps) / (steps - warmupSteps);
            double cos = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
            return lr * (minLrRatio + (1 - minLrRatio) * cos);
        }
    }

    private final String source;
    private final Path baseDir;
    private final ConfigNode root;
    private final Kind kind;
    private final long seed;
    private final String device;
    private final int threads;
    private final Path dataDir;
    private final int trainLimit;
    private final int testLimit;
    private final Path workDir;
    private final Path out;
    private final DType saveDtype;
    private final boolean resume;
    private final Path init;
    private final Optim optim;
    private final int logEvery;
    private final int checkpointEvery;

    private TrainConfig(String source, Path baseDir, ConfigNode root) {
        this.source = source;
        this.baseDir = baseDir;
        this.root = root;
        String k = root.string("kind");
        kind = switch (k) {
            case "vq" -> Kind.VQ;
            case "gpt" -> Kind.GPT;
            case "lpd" -> Kind.LPD;
            case "classifier" -> Kind.CLASSIFIER;
            default -> throw root.error("kind", "must be vq, gpt, lpd or classifier, got '" + k + "'");
        };
        seed = root.integer("seed", 0);
        device = root.string("device", "auto");
        if (!List.of("cpu", "cuda", "auto").contains(device)) {
            throw root.error("device", "must be cpu, cuda or auto, got '" + device + "'");
        }
        threads = root.intIn("threads", 0, 0, 1024);
        ConfigNode data = root.child("data");
        dataDir = path(data, "dir", FashionMnist.DEFAULT_DIR.toString());
        trainLimit = data.intAtLeast("train_limit", 0, 0);
        testLimit = data.intAtLeast("test_limit", 2000, 0);
        data.rejectUnknown();
        workDir = path(root, "work_dir", null);
        out = path(root, "out", null);
        String dt = root.string("save_dtype", "f32");
        saveDtype = switch (dt) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw root.error("save_dtype", "must be f32 or bf16, got '" + dt + "'");
        };
        resume = root.bool("resume", true);
        init = root.has("init") ? path(root, "init", null) : null;
        ConfigNode t = root.child("train");
        long steps = t.integer("steps");
        if (steps < 1) {
            throw t.error("steps", "must be ≥ 1, got " + steps);
        }
        int batch = t.intAtLeast("batch_size", 32, 1);
        double lr = positive(t, "lr", 1e-3);
        double minLr = t.number("min_lr_ratio", 0.1);
        if (minLr < 0 || minLr > 1) {
            throw t.error("min_lr_ratio", "must be in [0, 1], got " + minLr);
        }
        long warmup = t.integer("warmup_steps", 0);
        if (warmup < 0) {
            throw t.error("warmup_steps", "must be ≥ 0, got " + warmup);
        }
        double wd = t.number("weight_decay", 0.0);
        if (wd < 0) {
            throw t.error("weight_decay", "must be ≥ 0, got " + wd);
        }
        double b1 = t.number("beta1", 0.9);
        double b2 = t.number("beta2", 0.95);
        if (b1 < 0 || b1 >= 1) {
            throw t.error("beta1", "must be in [0, 1), got " + b1);
        }
        if (b2 < 0 || b2 >= 1) {
            throw t.error("beta2", "must be in [0, 1), got " + b2);
        }
        double clip = t.number("grad_clip", 1.0);
        optim = new Optim(steps, batch, lr, minLr, warmup, wd, b1, b2, clip);
        logEvery = t.intAtLeast("log_every", 10, 1);
        checkpointEvery = t.intAtLeast("checkpoint_every", 100, 1);
        t.rejectUnknown();
    }

    /** Reads and validates the common part of a training YAML file. */
    public static TrainConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read training config (" + e.getMessage() + ")");
        }
        return parse(text, file.toString(), file.toAbsolutePath().getParent());
    }

    /** Parses YAML text; {@code source} names it in errors, relative paths resolve against {@code baseDir}. */
    public static TrainConfig parse(String text, String source, Path baseDir) {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (MarkedYAMLException e) {
            String where = e.getProblemMark() == null ? "" : " at line " + (e.getProblemMark().getLine() + 1)
                    + ", column " + (e.getProblemMark().getColumn() + 1);
            throw new ConfigException(source + ": malformed YAML" + where + ": " + e.getProblem());
        } catch (YAMLException e) {
            throw new ConfigException(source + ": malformed YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(doc instanceof Map<?, ?> m)) {
            throw new ConfigException(source + ": a training config must be a YAML mapping with at least kind, work_dir, out and train.steps");
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> copy.put(String.valueOf(k), v));
        try {
            return new TrainConfig(source, baseDir, new ConfigNode("", copy));
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    private Path path(ConfigNode node, String key, String def) {
        String v = def == null ? node.string(key) : node.string(key, def);
        return baseDir.resolve(v).normalize();
    }

    private static double positive(ConfigNode node, String key, double def) {
        double v = node.number(key, def);
        if (!(v > 0)) {
            throw node.error(key, "must be > 0, got " + v);
        }
        return v;
    }

    /** A trainer-specific section ({@code model}, {@code tokenizer}, {@code sample}). */
    public ConfigNode section(String key) {
        return root.child(key);
    }

    /** An optional top-level path ({@code def} when absent), resolved like the common paths. */
    public Path path(String key, Path def) {
        return root.has(key) ? path(root, key, null) : def;
    }

    /** A path value of a trainer-specific section, resolved like the common paths. */
    public Path resolve(ConfigNode node, String key) {
        return path(node, key, null);
    }

    /** Fails on the first key of the file nobody read (prefixing the file name, like every config error). */
    public void finish() {
        try {
            root.rejectUnknown();
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /** Wraps a trainer's config error with the file name. */
    public ConfigException error(ConfigNode node, String key, String message) {
        return new ConfigException(source + ": " + node.pathOf(key) + ": " + message);
    }

    public String source() { return source; }
    public Kind kind() { return kind; }
    public long seed() { return seed; }
    public String device() { return device; }
    public int threads() { return threads; }
    public Path dataDir() { return dataDir; }
    public int trainLimit() { return trainLimit; }
    public int testLimit() { return testLimit; }

    /** Fashion-MNIST's training split ({@code train}) or test split of {@code data.dir}, cut to train_limit / test_limit. */
    public FashionMnist images(boolean train) {
        return FashionMnist.load(dataDir, train).limit(train ? trainLimit : testLimit);
    }

    public Path workDir() { return workDir; }
    public Path out() { return out; }
    public DType saveDtype() { return saveDtype; }
    public boolean resume() { return resume; }

    /** The exported model to warm-start from ({@code init}), or null. */
    public Path init() { return init; }
    public Optim optim() { return optim; }
    public int logEvery() { return logEvery; }
    public int checkpointEvery() { return checkpointEvery; }
}
