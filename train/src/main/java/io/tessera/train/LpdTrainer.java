package io.tessera.train;

import io.tessera.core.spi.OrderScheduler;
import io.tessera.orders.RandomOrder;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.model.LpdModel;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.decode.LpdAdapter;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.Rng;
import io.tessera.core.model.LpdConfig;
import io.tessera.orders.GroupSchedules;
import io.tessera.orders.LpdOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains LPD's flexible parallel GPT ({@code kind: lpd}, family {@code lpd}) on VQ tokens of
 * Fashion-MNIST, as the official {@code LPD.forward}: per sample a fresh uniform random permutation of
 * the N cells; per iteration one group-size list, drawn uniformly from {@code schedule.steps} (sizes
 * from {@link GroupSchedules#lpd}: the official table where it has the row); the layout
 * {@code [class, X_1 … X_{K−1}] ++ [P_1 … P_K]} under the group-id mask of {@link LpdNet#mask};
 * class dropout to {@code fake_latent}; cross-entropy over all N query outputs. The tokens come from
 * the same cache as the raster GPT's ({@link VqTokens}).
 *
 * <pre>
 * tokenizer: {checkpoint: ../models/fmnist/vq.safetensors}
 * tokens_cache: ../target/train/gpt/tokens.safetensors   # default: work_dir/tokens.safetensors
 * model: {decoder_embed_dim: 128, decoder_depth: 4, decoder_num_heads: 4, mlp_ratio: 4.0, class_num: 10,
 *         label_drop_prob: 0.1, norm_eps: 1.0e-6, grid: 16}      # vqgan_vocab_size defaults to the codebook size
 * schedule: {steps: [8, 12, 16, 20, 24, 32, 64]}           # step counts drawn per iteration
 * sample: {per_class: 4, steps: 20, order: lpd, repulsion: 2.0, proximity_threshold: 1.0, cfg_scale: 3.0,
 *          top_k: 0, temperature: 1.0, seed: 0, classifier: ../models/fmnist/classifier.safetensors}
 * </pre>
 * {@code test_loss} is the query cross-entropy on the test tokens with 20-step groups and fixed random orders.
 */
public final class LpdTrainer extends Trainer {
    /** Step count of the evaluation loss. */
    public static final int EVAL_STEPS = 20;

    private final VqTokens.Source tokenSource;
    private final ConfigNode modelNode;
    private final int[] stepCounts;
    private final SampleOptions sample;
    private final int sampleSteps;
    private final String sampleOrder;
    private final double repulsion;
    private final double proximity;
    private LpdConfig lpd;
    private double labelDrop;
    private int[][] schedules;
    private VqTokens data;
    private LpdNet net;

    public LpdTrainer(TrainConfig cfg) {
        super(cfg);
        tokenSource = VqTokens.Source.read(cfg);
        modelNode = cfg.section("model"); // read again in prepare(): vqgan_vocab_size defaults to the codebook size
        lpd = readLpdConfig(modelNode, -1);
        labelDrop = modelNode.number("label_drop_prob", 0.1);
        if (labelDrop < 0 || labelDrop >= 1) {
            throw cfg.error(modelNode, "label_drop_prob", "must be in [0, 1), got " + labelDrop);
        }
        modelNode.rejectUnknown();
        ConfigNode sch = cfg.section("schedule");
        List<Long> steps = sch.has("steps") ? sch.intList("steps") : List.of(8L, 12L, 16L, 20L, 24L, 32L, 64L);
        int n = lpd.seqLen();
        if (steps.isEmpty()) {
            throw cfg.error(sch, "steps", "must list at least one step count");
        }
        stepCounts = new int[steps.size()];
        for (int i = 0; i < stepCounts.length; i++) {
            long s = steps.get(i);
            if (s < Math.min(2, n) || s > n) {
                throw cfg.error(sch, "steps", "entry " + i + " must be in [2, " + n + "], got " + s);
            }
            stepCounts[i] = (int) s;
        }
        sch.rejectUnknown();
        schedules = new int[stepCounts.length][];
        for (int i = 0; i < stepCounts.length; i++) {
            schedules[i] = GroupSchedules.lpd(n, stepCounts[i]);
        }
        ConfigNode s = cfg.section("sample");
        sample = SampleOptions.read(cfg, s);
        sampleSteps = s.intIn("steps", EVAL_STEPS, Math.min(2, n), n);
        sampleOrder = s.string("order", "lpd");
        if (!sampleOrder.equals("lpd") && !sampleOrder.equals("random")) {
            throw cfg.error(s, "order", "must be lpd or random, got '" + sampleOrder + "'");
        }
        repulsion = s.number("repulsion", LpdOrder.DEFAULT_REPULSION);
        proximity = s.number("proximity_threshold", LpdOrder.DEFAULT_PROXIMITY_THRESHOLD);
        s.rejectUnknown();
        cfg.finish();
    }

    /** LPD constructor fields of a {@code model} section; {@code codebook} &gt; 0 is the default and required vocab size. */
    static LpdConfig readLpdConfig(ConfigNode m, int codebook) {
        int dim = m.intAtLeast("decoder_embed_dim", 128, 8);
        int depth = m.intAtLeast("decoder_depth", 4, 1);
        int heads = m.intAtLeast("decoder_num_heads", 4, 1);
        if (dim % heads != 0) {
            throw m.error("decoder_num_heads", "must divide decoder_embed_dim " + dim + ", got " + heads);
        }
        double ratio = m.number("mlp_ratio", 4.0);
        if (!(ratio > 0) || (int) (dim * ratio) < 1) {
            throw m.error("mlp_ratio", "must be > 0, got " + ratio);
        }
        int vocab = (int) m.integer("vqgan_vocab_size", Math.max(codebook, 1));
        if (codebook > 0 && vocab != codebook) {
            throw m.error("vqgan_vocab_size", "must equal the tokenizer's codebook_size " + codebook + ", got " + vocab);
        }
        int classes = m.intAtLeast("class_num", 10, 1);
        double eps = m.number("norm_eps", 1e-6);
        if (!(eps > 0)) {
            throw m.error("norm_eps", "must be > 0, got " + eps);
        }
        int grid = VqTokens.grid(m);
        return new LpdConfig(dim, depth, heads, ratio, vocab, classes, (float) eps, grid);
    }

    @Override
    protected String name() {
        return "lpd";
    }

    @Override
    protected List<String> lossNames() {
        return List.of("loss");
    }

    public LpdConfig lpdConfig() {
        return lpd;
    }

    /** The group-size lists drawn from in training, one per configured step count. */
    public int[][] schedules() {
        return Arrays.stream(schedules).map(int[]::clone).toArray(int[][]::new);
    }

    @Override
    protected void prepare(Progress progress) {
        data = VqTokens.load(cfg, tokenSource, device, name(), progress);
        // the default and required vqgan_vocab_size is the codebook size, known once the VQ is read
        lpd = readLpdConfig(modelNode, data.vqConfig().codebookSize());
    }

    @Override
    protected int trainSize() {
        return data.trainLabels().length;
    }

    @Override
    protected void build(ParamStore params) {
        net = new LpdNet(lpd, params);
    }

    /** One batch in the training layout: host arrays, row-major. */
    record Batch(int[] sizes, long[] classes, long[] ctxTokens, long[] ctxCells, long[] queryCells, long[] targets) {
    }

    /**
     * The inputs of one iteration: the group sizes, then per item a random permutation (the generation
     * order) and the class (dropped to the null class with probability {@code drop}).
     */
    static Batch layout(int[] tokens, int[] labels, int[] items, int n, int[] sizes, double drop, int nullClass, Rng rng) {
        int b = items.length;
        int ctx = LpdNet.contextLength(sizes) - 1;
        long[] classes = new long[b];
        long[] ctxTok = new long[b * ctx];
        long[] ctxCell = new long[b * ctx];
        long[] qCell = new long[b * n];
        long[] target = new long[b * n];
        int[] perm = new int[n];
        for (int j = 0; j < b; j++) {
            for (int i = 0; i < n; i++) {
                perm[i] = i;
            }
            rng.shuffle(perm);
            classes[j] = rng.nextDouble() < drop ? nullClass : labels[items[j]];
            int base = items[j] * n;
            for (int t = 0; t < n; t++) {
                qCell[j * n + t] = perm[t];
                target[j * n + t] = tokens[base + perm[t]];
            }
            for (int t = 0; t < ctx; t++) {
                ctxTok[j * ctx + t] = tokens[base + perm[t]];
                ctxCell[j * ctx + t] = perm[t];
            }
        }
        return new Batch(sizes, classes, ctxTok, ctxCell, qCell, target);
    }

    /** Mean query cross-entropy of a batch (with grad when enabled). */
    private Tensor loss(Batch bt) {
        int b = bt.classes().length;
        int n = lpd.seqLen();
        int ctx = bt.ctxTokens().length / b;
        Tensor tok = ctx == 0 ? null : Ops.longs(device, bt.ctxTokens(), b, ctx);              // [B, C−1]
        Tensor cells = ctx == 0 ? null : Ops.longs(device, bt.ctxCells(), b, ctx);             // [B, C−1]
        Tensor logits = net.forward(Ops.longs(device, bt.classes(), b), tok, cells,
                Ops.longs(device, bt.queryCells(), b, n), net.maskTensor(bt.sizes(), 0));        // [B, N, V]
        Tensor target = Ops.longs(device, bt.targets(), (long) b * n);                         // [B·N]
        return torch.cross_entropy_loss(logits.reshape(-1, lpd.vocabSize()), target);
    }

    @Override
    protected double[] trainStep(long step, int[] batch) {
        Rng rng = Rng.stream(cfg.seed() ^ 0x1FD0_4D3BL, step);
        int[] sizes = schedules[rng.nextInt(schedules.length)];
        Tensor loss = loss(layout(data.trainTokens(), data.trainLabels(), batch, lpd.seqLen(), sizes, labelDrop, lpd.nullClass(), rng));
        loss.backward();
        return new double[] {loss.item_double()};
    }

    @Override
    protected Map<String, Double> evaluate(Progress progress) {
        int[] sizes = GroupSchedules.lpd(lpd.seqLen(), EVAL_STEPS);
        Rng rng = new Rng(0x7E57L);
        return testLoss(data.testLabels().length, (start, b) -> loss(layout(data.testTokens(), data.testLabels(),
                range(start, b), lpd.seqLen(), sizes, 0.0, lpd.nullClass(), rng)).item_double());
    }

    @Override
    protected Map<String, String> exportMetadata() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "lpd");
        meta.put("family", "lpd");
        meta.put("decoder_embed_dim", Integer.toString(lpd.dim()));
        meta.put("decoder_depth", Integer.toString(lpd.depth()));
        meta.put("decoder_num_heads", Integer.toString(lpd.numHeads()));
        meta.put("mlp_ratio", Double.toString(lpd.mlpRatio()));
        meta.put("vqgan_vocab_size", Integer.toString(lpd.vocabSize()));
        meta.put("class_num", Integer.toString(lpd.numClasses()));
        meta.put("label_drop_prob", Double.toString(labelDrop));
        meta.put("norm_eps", Float.toString(lpd.normEps()));
        meta.put("grid", Integer.toString(lpd.grid()));
        meta.put("train_steps", Arrays.stream(stepCounts).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        meta.put("tokenizer_sha256", TrainIo.sha256(tokenSource.vq()));
        return meta;
    }

    /** Samples per_class images of every class, decodes them with the VQ: lpd_samples.png (one row per class). */
    @Override
    protected void afterExport(Progress progress) {
        writeSamples(sample, lpd.numClasses(), sampleSteps + " steps, " + sampleOrder + " order, " + sample.describe(),
                cls -> generate(cls, sampleSteps, sample.cfgScale(), sample.topK(), sample.temperature(), sample.seed()), progress);
    }

    /**
     * Samples images [n, 3, 32, 32] of the given classes in {@code steps} parallel steps (LPD group sizes;
     * the configured order: LPD's locality-aware order or a uniformly random one, per image) through core's
     * decode loop on the libtorch inference session, and decodes them.
     */
    public float[] generate(int[] classes, int steps, double cfg, int k, double temp, long seed) {
        Map<String, Object> order = new LinkedHashMap<>();
        order.put("name", sampleOrder);
        order.put("steps", steps);
        if (sampleOrder.equals("lpd")) {
            order.put("proximity_threshold", proximity);
            order.put("repulsion", repulsion);
        } else {
            order.put("schedule", "lpd");
        }
        OrderScheduler scheduler = sampleOrder.equals("lpd") ? new LpdOrder() : new RandomOrder();
        // lpd.py's guidance: cfg_t = 1 + (cfg − 1)·t/N over the generation index t
        SamplingConfig sampling = new SamplingConfig(temp, k, 1.0, cfg, -1, "linear", false, seed);
        int[][] tokens = Sampling.generate(params, device, ckpt -> new LpdModel(lpd, new LpdWeights(lpd, ckpt)),
                LpdAdapter::new, scheduler, order, sampling, classes);
        return data.decode(device, tokens);
    }
}
