package io.tessera.core.pipeline;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.FamilyAdapter;
import io.tessera.core.decode.Generator;
import io.tessera.core.decode.LlamaGenAdapter;
import io.tessera.core.decode.LpdAdapter;
import io.tessera.core.decode.ParAdapter;
import io.tessera.core.decode.RandarAdapter;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.RandarModel;
import io.tessera.core.model.TokenizerModel;
import io.tessera.core.model.VqWeights;
import io.tessera.core.plugin.PluginRegistry;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ImageTokenizer;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.VqDecoderSession;

/**
 * A pipeline ready to run: model weights mapped and loaded on the backend, the tokenizer's decoder,
 * the order and the sampling settings. Built from a {@link PipelineSpec} and a
 * {@link PluginRegistry}; every component is validated before any work starts.
 */
public final class Pipeline implements AutoCloseable {
    private final ModelSpec model;
    private final Checkpoint modelCheckpoint;
    private final FamilyAdapter adapter;
    private final ComputeBackend backend;
    private final GptSession session;
    private final TokenizerModel tokenizerModel;
    private final VqWeights tokenizerWeights;
    private final VqDecoderSession decoder;
    private final OrderScheduler order;
    private final ConfigNode orderOptions;
    private final SamplingConfig sampling;
    private final Generator generator;

    private Pipeline(PipelineSpec spec, PluginRegistry registry) {
        ConfigNode orderNode = spec.section("order");
        // an order's `file` option (e.g. the explicit order) is a path relative to the pipeline file, like checkpoints
        if (orderNode.has("file") && orderNode.raw().get("file") instanceof String f && !java.nio.file.Path.of(f).isAbsolute()) {
            orderNode.put("file", spec.baseDir().resolve(f).normalize().toString());
        }
        this.order = registry.order(orderNode.string("name", "raster"));
        this.orderOptions = orderNode;
        this.sampling = SamplingConfig.from(spec.section("sampling"));
        ConfigNode backendNode = spec.section("backend");
        this.backend = registry.backend(backendNode.string("name", "cpu-vector"));
        ConfigNode tokNode = spec.section("tokenizer");
        ImageTokenizer tokenizer = registry.tokenizer(tokNode.string("name", "llamagen-vq"));

        ModelLoader.Loaded loaded = ModelLoader.load(spec.section("model"), spec.baseDir());
        this.model = loaded.spec();
        this.modelCheckpoint = loaded.checkpoint();
        this.adapter = switch (model) {
            case LlamaGenModel m -> new LlamaGenAdapter(m);
            case ParModel m -> new ParAdapter(m);
            case LpdModel m -> new LpdAdapter(m);
            case RandarModel m -> new RandarAdapter(m);
            default -> throw new ConfigException("model.family: no adapter for family '" + model.family() + "'");
        };
        this.tokenizerModel = tokenizer.load(tokNode, spec.baseDir());
        this.tokenizerWeights = tokenizerModel.weights();
        if (tokenizerWeights.config().codebookSize() != model.vocabSize()) {
            throw new ConfigException("tokenizer.codebook_size: " + tokenizerWeights.config().codebookSize()
                    + " codes, but the model's vocab_size is " + model.vocabSize());
        }
        GptSession s = null;
        VqDecoderSession d = null;
        try {
            s = backend.openModel(model, new BackendOptions(backendNode));
            d = backend.openDecoder(tokenizerWeights, new BackendOptions(backendNode));
            this.generator = new Generator(adapter, s, order, orderOptions, sampling);
        } catch (RuntimeException e) {
            if (s != null) {
                s.close();
            }
            if (d != null) {
                d.close();
            }
            modelCheckpoint.close();
            tokenizerModel.close();
            throw e;
        }
        this.session = s;
        this.decoder = d;
    }

    public static Pipeline open(PipelineSpec spec, PluginRegistry registry) {
        return new Pipeline(spec, registry);
    }

    public Generator.Result generate(int[] classes, int batchSize, Generator.Listener listener) {
        return generator.generate(classes, batchSize, listener);
    }

    /** Images {@code firstImage, ...} of a seeded run (see {@link Generator#generate(int[], long, int, Generator.Listener)}). */
    public Generator.Result generate(int[] classes, long firstImage, int batchSize, Generator.Listener listener) {
        return generator.generate(classes, firstImage, batchSize, listener);
    }

    /** Decodes token grids [n][cells] into images float [n,3,H,W]. */
    public float[] decode(int[][] tokens) {
        int n = tokens.length;
        int cells = adapter.grid().cells();
        int[] flat = new int[n * cells];
        for (int i = 0; i < n; i++) {
            System.arraycopy(tokens[i], 0, flat, i * cells, cells);
        }
        return decoder.decode(flat, n, adapter.grid().height(), adapter.grid().width());
    }

    /** Pixels per image side. */
    public int imageSize() {
        return adapter.grid().height() * tokenizerWeights.config().downsample();
    }

    public ModelSpec model() {
        return model;
    }

    public FamilyAdapter adapter() {
        return adapter;
    }

    public OrderScheduler order() {
        return order;
    }

    public ConfigNode orderOptions() {
        return orderOptions;
    }

    public SamplingConfig sampling() {
        return sampling;
    }

    public ComputeBackend backend() {
        return backend;
    }

    /**
     * The model's backend session, for a caller that drives its own decode loop (the server's scheduler).
     * Not thread-safe: while that caller owns it, {@link #generate} must not run.
     */
    public GptSession session() {
        return session;
    }

    @Override
    public void close() {
        session.close();
        decoder.close();
        modelCheckpoint.close();
        tokenizerModel.close();
    }
}
