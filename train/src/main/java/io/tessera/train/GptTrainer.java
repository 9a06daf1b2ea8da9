package io.tessera.train;

import io.tessera.orders.RasterOrder;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.decode.LlamaGenAdapter;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.Rng;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.pipeline.ModelLoader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains the raster LlamaGen GPT ({@code kind: gpt}) with next-token cross-entropy on VQ tokens of
 * Fashion-MNIST. The data set is tokenised once with the trained VQ encoder and cached
 * ({@code tokens_cache}, keyed by the VQ file's SHA-256 and the data limits). Class dropout (the
 * null class = row num_classes) is drawn per step from the run's seed.
 *
 * <pre>
 * tokenizer: {checkpoint: ../models/fmnist/vq.safetensors}
 * tokens_cache: ../target/train/tokens.safetensors    # default: work_dir/tokens.safetensors
 * model: {dim: 192, n_layer: 4, n_head: 6, multiple_of: 256, num_classes: 10, class_dropout_prob: 0.1,
 *         rope_base: 10000, norm_eps: 1e-5, grid: 16}     # vocab_size defaults to the codebook size
 * sample: {per_class: 4, cfg_scale: 3.0, top_k: 0, temperature: 1.0, seed: 0,
 *          classifier: ../models/fmnist/classifier.safetensors}   # optional: scores the samples
 * </pre>
 */
public final class GptTrainer extends Trainer {
    private final VqTokens.Source tokenSource;
    private final ConfigNode modelNode;
    private final SampleOptions sample;
    private LlamaGenConfig gpt;
    private VqTokens data;
    private int[] trainTokens; // [n, N]
    private int[] trainLabels;
    private int[] testTokens;
    private int[] testLabels;
    private GptNet net;

    public GptTrainer(TrainConfig cfg) {
        super(cfg);
        tokenSource = VqTokens.Source.read(cfg);
        modelNode = cfg.section("model"); // read again in prepare(): vocab_size defaults to the codebook size
        ConfigNode s = cfg.section("sample");
        sample = SampleOptions.read(cfg, s);
        s.rejectUnknown();
        // validate the model section now (vocab_size checked against the codebook in prepare())
        gpt = readGptConfig(modelNode, -1);
        cfg.finish();
    }

    /** LlamaGen fields of a {@code model} section; {@code codebook} &gt; 0 is the default and required vocab size. */
    static LlamaGenConfig readGptConfig(ConfigNode m, int codebook) {
        int grid = VqTokens.grid(m);
        // the trainer's defaults; the fields are bound by core's one LlamaGen binding
        LlamaGenConfig defaults = new LlamaGenConfig(192, 4, 6, 6, 256, Float.NaN, 1e-5f, 10000f, Math.max(codebook, 1), 10, 1,
                0.1f, grid);
        LlamaGenConfig c = ModelLoader.llamaGenFields(m, defaults, grid);
        if (c.dim() < 8) {
            throw m.error("dim", "must be ≥ 8, got " + c.dim());
        }
        if (c.dim() % c.nHead() != 0 || (c.dim() / c.nHead()) % 4 != 0) {
            throw m.error("n_head", "dim / n_head must be an integer multiple of 4 (2-D RoPE), got dim " + c.dim() + ", n_head " + c.nHead());
        }
        if (c.nKvHead() != c.nHead()) {
            throw m.error("n_kv_head", "the trainer supports n_kv_head = n_head only, got " + c.nKvHead());
        }
        if (codebook > 0 && c.vocabSize() != codebook) {
            throw m.error("vocab_size", "must equal the tokenizer's codebook_size " + codebook + ", got " + c.vocabSize());
        }
        if (c.classDropoutProb() < 0 || c.classDropoutProb() >= 1) {
            throw m.error("class_dropout_prob", "must be in [0, 1), got " + c.classDropoutProb());
        }
        return c;
    }

    @Override
    protected String name() {
        return "gpt";
    }

    @Override
    protected List<String> lossNames() {
        return List.of("loss");
    }

    public LlamaGenConfig gptConfig() {
        return gpt;
    }

    @Override
    protected void prepare(Progress progress) {
        data = VqTokens.load(cfg, tokenSource, device, "gpt", progress);
        gpt = readGptConfig(modelNode, data.vqConfig().codebookSize());
        modelNode.rejectUnknown(); // every model field has been read now: a typo is an error, not a default
        trainTokens = data.trainTokens();
        trainLabels = data.trainLabels();
        testTokens = data.testTokens();
        testLabels = data.testLabels();
    }

    @Override
    protected int trainSize() {
        return trainLabels.length;
    }

    @Override
    protected void build(ParamStore params) {
        net = new GptNet(gpt, params);
    }

    /** Mean next-token cross-entropy of the images {@code items} of {@code tokens} [n, N] with {@code classes} (with grad when enabled). */
    private org.bytedeco.pytorch.Tensor loss(int[] tokens, int[] items, long[] classes) {
        int nt = gpt.blockSize();
        long[] rows = new long[items.length * nt];
        for (int j = 0; j < items.length; j++) {
            for (int t = 0; t < nt; t++) {
                rows[j * nt + t] = tokens[items[j] * nt + t];
            }
        }
        org.bytedeco.pytorch.Tensor x = Ops.longs(device, rows, items.length, nt);     // [B, N]
        org.bytedeco.pytorch.Tensor y = Ops.longs(device, classes, items.length);      // [B]
        org.bytedeco.pytorch.Tensor logits = net.forward(x, y);                         // [B, N, V]
        return torch.cross_entropy_loss(logits.reshape(-1, gpt.vocabSize()), x.reshape(-1));
    }

    @Override
    protected double[] trainStep(long step, int[] batch) {
        long[] classes = new long[batch.length];
        Rng drop = Rng.stream(cfg.seed() ^ 0xC1A55D50L, step);
        for (int j = 0; j < batch.length; j++) {
            classes[j] = drop.nextDouble() < gpt.classDropoutProb() ? gpt.nullClass() : trainLabels[batch[j]];
        }
        org.bytedeco.pytorch.Tensor loss = loss(trainTokens, batch, classes);
        loss.backward();
        return new double[] {loss.item_double()};
    }

    /** test_loss: mean next-token cross-entropy (nats) on the tokenised test images with their classes. */
    @Override
    protected Map<String, Double> evaluate(Progress progress) {
        return testLoss(testLabels.length, (start, b) -> {
            int[] items = range(start, b);
            long[] classes = new long[b];
            for (int j = 0; j < b; j++) {
                classes[j] = testLabels[items[j]];
            }
            return loss(testTokens, items, classes).item_double();
        });
    }

    @Override
    protected Map<String, String> exportMetadata() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "llamagen-gpt");
        meta.put("family", "llamagen");
        meta.put("dim", Integer.toString(gpt.dim()));
        meta.put("n_layer", Integer.toString(gpt.nLayer()));
        meta.put("n_head", Integer.toString(gpt.nHead()));
        meta.put("n_kv_head", Integer.toString(gpt.nKvHead()));
        meta.put("multiple_of", Integer.toString(gpt.multipleOf()));
        meta.put("vocab_size", Integer.toString(gpt.vocabSize()));
        meta.put("num_classes", Integer.toString(gpt.numClasses()));
        meta.put("class_dropout_prob", Float.toString(gpt.classDropoutProb()));
        meta.put("rope_base", Float.toString(gpt.ropeBase()));
        meta.put("norm_eps", Float.toString(gpt.normEps()));
        meta.put("grid", Integer.toString(gpt.grid()));
        meta.put("tokenizer_sha256", TrainIo.sha256(tokenSource.vq()));
        return meta;
    }

    /** Samples per_class images of every class with CFG, decodes them with the VQ: gpt_samples.png (one row per class). */
    @Override
    protected void afterExport(Progress progress) {
        writeSamples(sample, gpt.numClasses(), sample.describe(),
                cls -> generate(cls, sample.cfgScale(), sample.topK(), sample.temperature(), sample.seed()), progress);
    }

    /**
     * Samples images [n, 3, 32, 32] of the given classes through core's decode loop (raster order, the
     * libtorch inference session with its KV cache, CFG; image i draws from stream i of {@code seed})
     * and decodes them with the VQ.
     */
    public float[] generate(int[] classes, double cfg, int k, double temp, long seed) {
        SamplingConfig sampling = new SamplingConfig(temp, k, 1.0, cfg, -1, "constant", false, seed);
        int[][] tokens = Sampling.generate(params, device, ckpt -> new LlamaGenModel(gpt, new LlamaGenWeights(gpt, ckpt)),
                LlamaGenAdapter::new, new RasterOrder(), Map.of("name", "raster"), sampling, classes);
        return data.decode(device, tokens);
    }
}
