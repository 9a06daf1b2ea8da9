package io.tessera.core.decode;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import java.util.Arrays;
import java.util.List;

/**
 * The one decode loop for every family and order:
 * <pre>
 *   for each batch of images:  plans (one per image, seeded per image), cache reset
 *     while some plan has a group:
 *        inputs  = adapter entries per image (padded to one length), CFG-doubled rows
 *        logits  = session.forward(inputs)                 — the backend: the only math
 *        tokens  = sampler(guided logits), per image with its own RNG stream
 * </pre>
 * Image i's plan seed and sampling stream depend only on (seed, i), never on the batch size, so a
 * seeded run gives the same tokens whatever the batching and backend.
 */
public final class Generator {
    private final FamilyAdapter adapter;
    private final GptSession session;
    private final OrderScheduler order;
    private final ConfigNode orderOptions;
    private final SamplingConfig sampling;
    private final Sampler sampler;

    /** Receives progress after every forward pass. */
    public interface Listener {
        void pass(int tokensDone, int tokensTotal);
    }

    /** Tokens [image][cell] and per-image pass counts. */
    public record Result(int[][] tokens, int[] passes, long forwardCalls, long entries) {
    }

    public Generator(FamilyAdapter adapter, GptSession session, OrderScheduler order, ConfigNode orderOptions,
                     SamplingConfig sampling) {
        this.adapter = adapter;
        this.session = session;
        this.order = order;
        this.orderOptions = orderOptions;
        this.sampling = sampling;
        this.sampler = new Sampler(sampling);
        adapter.checkOrder(order, order.plan(adapter.grid(), orderOptions, sampling.seed()));
    }

    /** Seed of image i's plan. */
    static long planSeed(long seed, long image) {
        return Rng.stream(seed, image).nextLong();
    }

    /** Generates one image per entry of {@code classes}, {@code batchSize} images per forward pass. */
    public Result generate(int[] classes, int batchSize, Listener listener) {
        return generate(classes, 0, batchSize, listener);
    }

    /**
     * Generates images {@code firstImage, firstImage + 1, ...} of a seeded run, one per entry of
     * {@code classes}: entry k gets the plan seed and sampling stream of image {@code firstImage + k},
     * so a run cut into ranges (shards) gives the same tokens as one call over all images.
     */
    public Result generate(int[] classes, long firstImage, int batchSize, Listener listener) {
        if (firstImage < 0) {
            throw new ConfigException("first image index must be ≥ 0, got " + firstImage);
        }
        if (batchSize < 1) {
            throw new ConfigException("batch size must be ≥ 1, got " + batchSize);
        }
        for (int c : classes) {
            if (c < 0 || c >= adapter.model().numClasses()) {
                throw new ConfigException("class " + c + " is out of range [0, " + adapter.model().numClasses() + ")");
            }
        }
        int n = classes.length;
        int cells = adapter.grid().cells();
        int[][] tokens = new int[n][];
        int[] passes = new int[n];
        long[] counters = new long[2];
        int total = n * cells;
        int[] done = {0};
        for (int start = 0; start < n; start += batchSize) {
            int b = Math.min(batchSize, n - start);
            runBatch(classes, firstImage, start, b, tokens, passes, counters, () -> {
                done[0]++;
                if (listener != null) {
                    listener.pass(done[0], total);
                }
            });
        }
        return new Result(tokens, passes, counters[0], counters[1]);
    }

    private void runBatch(int[] classes, long firstImage, int start, int b, int[][] tokensOut, int[] passesOut, long[] counters, Runnable onToken) {
        GridSize grid = adapter.grid();
        int cells = grid.cells();
        boolean cfg = sampling.usesCfg();
        int rows = cfg ? 2 * b : b;
        int cap = adapter.capacity() + 1; // + one scratch slot for padding entries
        int scratch = cap - 1;
        int vocab = adapter.model().vocabSize();
        session.reset(rows, cap);

        Plan[] plans = new Plan[b];
        FamilyAdapter.ImageSteps[] steps = new FamilyAdapter.ImageSteps[b];
        ImageState[] states = new ImageState[b];
        Rng[] rngs = new Rng[b];
        boolean[] finished = new boolean[b];
        for (int i = 0; i < b; i++) {
            int img = start + i;
            long index = firstImage + img; // the image's index in the whole run: its seeds
            plans[i] = order.plan(grid, orderOptions, planSeed(sampling.seed(), index));
            steps[i] = adapter.start(classes[img], plans[i].maskUnwritten());
            states[i] = new ImageState(grid);
            rngs[i] = Rng.stream(sampling.seed() ^ 0x5DEECE66DL, index);
        }
        float[] guided = new float[vocab];
        boolean linear = sampling.cfgSchedule().equals("linear");
        int pass = 0;
        while (true) {
            StepInputs[] in = new StepInputs[b];
            Group[] groups = new Group[b];
            int length = 0;
            for (int i = 0; i < b; i++) {
                if (finished[i]) {
                    continue;
                }
                Group g = plans[i].next(states[i]);
                if (g == null) {
                    finished[i] = true;
                    if (states[i].count != cells) {
                        throw new TesseraException("order '" + order.name() + "' ended after " + states[i].count + " of " + cells + " cells");
                    }
                    continue;
                }
                states[i].check(g, order.name());
                groups[i] = g;
                in[i] = steps[i].inputs(g, states[i].tokens);
                length = Math.max(length, in[i].entries().size());
            }
            if (length == 0) {
                break;
            }
            ForwardBatch batch = assemble(in, b, rows, length, cap, scratch);
            float[] logits = session.forward(batch);
            counters[0]++;
            counters[1] += (long) b * length;
            for (int i = 0; i < b; i++) {
                if (in[i] == null) {
                    continue;
                }
                passesOut[start + i]++;
                List<Entry> entries = in[i].entries();
                for (int e = 0; e < entries.size(); e++) {
                    int cell = entries.get(e).target();
                    if (cell < 0) {
                        continue;
                    }
                    float scale = cfgScale(pass, states[i], indexInGroup(groups[i], cell));
                    int condOff = (i * length + e) * vocab;
                    // cfg_interval off: cond logits only (generate.py); the linear schedule always combines (lpd.py)
                    if (cfg && (scale != 1f || linear)) {
                        Sampler.guide(logits, condOff, logits, ((b + i) * length + e) * vocab, vocab, scale, guided);
                    } else {
                        System.arraycopy(logits, condOff, guided, 0, vocab);
                    }
                    Sampler.Draw d = sampler.sample(guided, rngs[i]);
                    states[i].set(cell, d.token(), d.probability());
                    onToken.run();
                }
                if (!states[i].allTargetsSet(groups[i])) {
                    throw new TesseraException("family adapter produced no logits for some cells of group " + groups[i]);
                }
            }
            pass++;
        }
        for (int i = 0; i < b; i++) {
            tokensOut[start + i] = states[i].tokens;
        }
    }

    /**
     * Guidance scale of the {@code j}-th cell of this pass's group: LlamaGen's cfg_interval (the same for
     * the whole pass), or the linear schedule of LPD (lpd.py {@code sample_tokens}: {@code cfg_iter =
     * 1 + (cfg − 1)·linspace(t, t + g − 1, g)/N}), i.e. 1 + (cfg − 1)·(t + j)/N with t the tokens generated
     * before this pass: each token's own generation index, the first token of an image getting scale 1.
     */
    private float cfgScale(int pass, ImageState state, int j) {
        if (!sampling.usesCfg()) {
            return 1f;
        }
        if (sampling.cfgSchedule().equals("linear")) {
            return (float) (1 + (sampling.cfgScale() - 1) * (state.countBeforePass + j) / state.tokens.length);
        }
        boolean on = sampling.cfgInterval() < 0 || pass == 0 || pass - 1 <= sampling.cfgInterval();
        return on ? (float) sampling.cfgScale() : 1f;
    }

    private static int indexInGroup(Group g, int cell) {
        for (int j = 0; j < g.size(); j++) {
            if (g.cell(j) == cell) {
                return j;
            }
        }
        throw new IllegalStateException("cell " + cell + " is not in group " + g);
    }

    private ForwardBatch assemble(StepInputs[] in, int b, int rows, int length, int cap, int scratch) {
        int nullClass = adapter.model().nullClass();
        int n = rows * length;
        EntryKind[] kinds = new EntryKind[n];
        int[] ids = new int[n];
        int[] pos = new int[n];
        int[] slots = new int[n];
        boolean[] visible = new boolean[n * cap];
        for (int r = 0; r < rows; r++) {
            int i = r % b;
            boolean uncond = r >= b;
            for (int t = 0; t < length; t++) {
                int k = r * length + t;
                List<Entry> es = in[i] == null ? List.of() : in[i].entries();
                if (t < es.size()) {
                    Entry e = es.get(t);
                    kinds[k] = e.kind();
                    ids[k] = uncond && e.kind() == EntryKind.CLASS ? nullClass : e.id();
                    pos[k] = e.position();
                    slots[k] = e.slot();
                    System.arraycopy(in[i].visible(), t * (cap - 1), visible, k * cap, cap - 1);
                } else {
                    // padding: writes the scratch slot, sees only itself, logits ignored
                    kinds[k] = EntryKind.TOKEN;
                    ids[k] = 0;
                    pos[k] = 0;
                    slots[k] = scratch;
                    visible[k * cap + scratch] = true;
                }
            }
        }
        return new ForwardBatch(rows, length, kinds, ids, pos, slots, visible);
    }

    /** One image's generated cells, as plans see them. */
    static final class ImageState implements PlanState {
        private final GridSize grid;
        final int[] tokens;
        private final float[] confidence;
        int count;
        int countBeforePass;

        ImageState(GridSize grid) {
            this.grid = grid;
            this.tokens = new int[grid.cells()];
            this.confidence = new float[grid.cells()];
            Arrays.fill(tokens, -1);
            Arrays.fill(confidence, Float.NaN);
        }

        void check(Group g, String orderName) {
            countBeforePass = count;
            for (int i = 0; i < g.size(); i++) {
                int c = g.cell(i);
                if (c < 0 || c >= tokens.length) {
                    throw new TesseraException("order '" + orderName + "' scheduled cell " + c + " outside the " + grid + " grid");
                }
                if (tokens[c] >= 0) {
                    throw new TesseraException("order '" + orderName + "' scheduled cell " + c + " twice");
                }
                for (int j = 0; j < i; j++) {
                    if (g.cell(j) == c) {
                        throw new TesseraException("order '" + orderName + "' scheduled cell " + c + " twice in one pass");
                    }
                }
            }
            if (g.size() == 0) {
                throw new TesseraException("order '" + orderName + "' returned an empty group");
            }
        }

        void set(int cell, int token, float p) {
            tokens[cell] = token;
            confidence[cell] = p;
            count++;
        }

        boolean allTargetsSet(Group g) {
            for (int i = 0; i < g.size(); i++) {
                if (tokens[g.cell(i)] < 0) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public GridSize grid() {
            return grid;
        }

        @Override
        public boolean isGenerated(int cell) {
            return tokens[cell] >= 0;
        }

        @Override
        public int generatedCount() {
            return count;
        }

        @Override
        public float confidence(int cell) {
            return confidence[cell];
        }
    }
}
