package io.tessera.core.decode;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.RandarConfig;
import io.tessera.core.model.RandarModel;
import io.tessera.core.model.RandarWeights;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The RandAR golden files made by the official code ({@code tools/randar/make_golden.py}: a tiny
 * {@code RandARTransformer} saved as safetensors, and the tokens its greedy {@code generate} returned for a
 * few token orders, step counts and CFG settings), and a runner that replays each case through Tessera's
 * decode loop ({@link Generator} + {@link RandarAdapter}) on any backend session. Used by every backend's tests.
 */
public final class RandarGolden {
    public static final String DIR = "/golden/randar/";
    public static final String JSON = "randar-tiny-golden.json";

    /** One official run: per image its token order and the tokens it returned (raster order). */
    public record Case(String name, int steps, double cfgStart, double cfgEnd, int[][] tokenOrder, int[] groupSizes,
                       int[][] tokens) {
    }

    private final Map<String, Object> json;
    private final RandarConfig config;
    private final int[] classes;
    private final List<Case> cases = new ArrayList<>();

    @SuppressWarnings("unchecked")
    public RandarGolden() {
        json = (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(new String(resource(JSON),
                StandardCharsets.UTF_8));
        Map<String, Object> c = (Map<String, Object>) json.get("config");
        int blockSize = (Integer) c.get("block_size");
        int grid = (int) Math.round(Math.sqrt(blockSize));
        config = new RandarConfig(new LlamaGenConfig((Integer) c.get("dim"), (Integer) c.get("n_layer"), (Integer) c.get("n_head"),
                (Integer) c.get("n_head"), (Integer) c.get("multiple_of"), Float.NaN, 1e-5f, 10000f, (Integer) c.get("vocab_size"),
                (Integer) c.get("num_classes"), (Integer) c.get("cls_token_num"), ((Number) c.get("class_dropout_prob")).floatValue(),
                grid));
        classes = ints((List<Object>) json.get("classes"));
        for (Object o : (List<Object>) json.get("cases")) {
            Map<String, Object> m = (Map<String, Object>) o;
            List<Object> cfg = (List<Object>) m.get("cfg_scales");
            cases.add(new Case((String) m.get("name"), (Integer) m.get("num_inference_steps"), ((Number) cfg.get(0)).doubleValue(),
                    ((Number) cfg.get(1)).doubleValue(), grid((List<Object>) m.get("token_order")), ints((List<Object>) m.get("group_sizes")),
                    grid((List<Object>) m.get("tokens"))));
        }
    }

    public RandarConfig config() {
        return config;
    }

    public int[] classes() {
        return classes.clone();
    }

    public List<Case> cases() {
        return cases;
    }

    /** Copies the committed checkpoint into {@code dir} (it may sit inside a jar) and returns its path. */
    public Path checkpointFile(Path dir) {
        Path p = dir.resolve((String) json.get("checkpoint"));
        try {
            Files.write(p, resource((String) json.get("checkpoint")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** The committed checkpoint read through Tessera's safetensors reader and the RandAR name map. */
    public RandarModel model(Checkpoint ckpt) {
        return new RandarModel(config, new RandarWeights(config, ckpt));
    }

    public RandarModel open(Path dir) {
        return model(Checkpoints.open(checkpointFile(dir)));
    }

    /**
     * Greedy sampling as the official run ({@code top_k = 1}); CFG linear in the tokens decoded before each pass
     * (cfg_schedule linear-pass) from 1 to the case's end scale, or none when the end scale is 1.
     */
    public static SamplingConfig sampling(Case c) {
        if (c.cfgStart() != 1.0) {
            throw new IllegalArgumentException("Tessera's linear schedules start at 1; case " + c.name() + " starts at " + c.cfgStart());
        }
        boolean cfg = c.cfgEnd() > 1.0;
        return new SamplingConfig(1.0, 1, 1.0, cfg ? c.cfgEnd() : 1.0, -1, cfg ? "linear-pass" : "constant", true, 0);
    }

    /** Runs case {@code c} for all golden classes in one batch on {@code session}; tokens [image][cell]. */
    public int[][] run(Case c, RandarModel model, GptSession session) {
        SamplingConfig sampling = sampling(c);
        Map<Long, Integer> imageOfSeed = new HashMap<>();
        for (int i = 0; i < classes.length; i++) {
            imageOfSeed.put(Generator.planSeed(sampling.seed(), i), i);
        }
        OrderScheduler order = order(c, seed -> imageOfSeed.getOrDefault(seed, 0));
        Generator g = new Generator(new RandarAdapter(model), session, order, ConfigNode.empty("order"), sampling);
        Generator.Result r = g.generate(classes, classes.length, null);
        for (int i = 0; i < classes.length; i++) {
            if (r.passes()[i] != c.groupSizes().length) {
                throw new AssertionError(c.name() + ": image " + i + " took " + r.passes()[i] + " passes, the official run "
                        + c.groupSizes().length);
            }
        }
        return r.tokens();
    }

    /** The case's token order of image {@code imageOf(seed)}, cut into the official run's group sizes. */
    static OrderScheduler order(Case c, Function<Long, Integer> imageOf) {
        return new OrderScheduler() {
            @Override
            public String name() {
                return "golden-" + c.name();
            }

            @Override
            public String description() {
                return "the official run's token order and group sizes";
            }

            @Override
            public Set<String> families() {
                return Set.of("randar");
            }

            @Override
            public Plan plan(GridSize grid, ConfigNode options, long seed) {
                int[] order = c.tokenOrder()[imageOf.apply(seed)];
                return new Plan() {
                    int step;
                    int next;

                    @Override
                    public Group next(PlanState state) {
                        if (step == c.groupSizes().length) {
                            return null;
                        }
                        int[] cells = java.util.Arrays.copyOfRange(order, next, next + c.groupSizes()[step]);
                        next += c.groupSizes()[step++];
                        return Group.of(cells);
                    }
                };
            }
        };
    }

    private static byte[] resource(String name) {
        try (InputStream in = RandarGolden.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing golden file " + DIR + name + " (tools/randar/make_golden.py makes it)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ints(List<Object> l) {
        return l.stream().mapToInt(o -> (Integer) o).toArray();
    }

    private static int[][] grid(List<Object> l) {
        int[][] out = new int[l.size()][];
        for (int i = 0; i < out.length; i++) {
            @SuppressWarnings("unchecked")
            List<Object> row = (List<Object>) l.get(i);
            out[i] = ints(row);
        }
        return out;
    }
}
