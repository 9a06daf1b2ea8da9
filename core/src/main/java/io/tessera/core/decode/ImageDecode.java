package io.tessera.core.decode;

import io.tessera.core.TesseraException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import java.util.Arrays;
import java.util.List;

/**
 * One image's decode, stepped pass by pass by a caller that owns the backend session: the batch
 * {@link Generator} and the server's scheduler both drive images through it, so an image's tokens depend
 * only on (model, class, seed, image index, order, sampling), never on what else shares its passes.
 * Per pass, in the papers' pseudo-code order:
 * <pre>
 *   plan     group  = plan.next(state)                 — the order's cells of this pass ({@link #plan()})
 *   inputs   entries = adapter.inputs(group, tokens)   — the family's entries and masks ({@link #inputs()})
 *   forward  logits = session.forward(...)             — the caller, over every active image ({@link PassBuilder})
 *   guide    g = uncond + (cond − uncond)·scale         — per target, with the image's CFG schedule ({@link #guide})
 *   sample   token ~ sampler(g)                         — the image's own RNG stream ({@link #sample})
 *   commit   state[cell] = token                        — what the next plan step sees ({@link #commit})
 * </pre>
 */
public final class ImageDecode {
    /**
     * Xor-ed into the base seed for the sampling streams, so that image i's plan stream ({@code Rng.stream(seed, i)})
     * and its sampling stream ({@code Rng.stream(seed ^ SALT, i)}) differ. Changing it changes every seeded image.
     */
    public static final long SAMPLING_STREAM_SALT = 0x5DEECE66DL;

    /** Receives each sampled token. */
    public interface TokenListener {
        void token(int cell, int token);
    }

    private final OrderScheduler order;
    private final SamplingConfig sampling;
    private final Sampler sampler;
    private final Plan plan;
    private final FamilyAdapter.ImageSteps steps;
    private final ImageState state;
    private final Rng rng;
    private final float[] guided;
    private Group group;
    private StepInputs inputs;
    private int passes;
    private boolean finished;

    /**
     * Image {@code image} of a seeded run: the plan is seeded by {@link #planSeed}, the draws by
     * {@link #samplingStream}, both from {@code sampling.seed()}.
     */
    public ImageDecode(FamilyAdapter adapter, OrderScheduler order, ConfigNode orderOptions, SamplingConfig sampling, int classId,
                       long image) {
        this.order = order;
        this.sampling = sampling;
        this.sampler = new Sampler(sampling);
        this.plan = order.plan(adapter.grid(), orderOptions, planSeed(sampling.seed(), image));
        this.steps = adapter.start(classId, plan.maskUnwritten());
        this.state = new ImageState(adapter.grid());
        this.rng = samplingStream(sampling.seed(), image);
        this.guided = new float[adapter.model().vocabSize()];
    }

    /** Seed of image i's plan. */
    public static long planSeed(long seed, long image) {
        return Rng.stream(seed, image).nextLong();
    }

    /** Image i's sampling stream. */
    public static Rng samplingStream(long seed, long image) {
        return Rng.stream(seed ^ SAMPLING_STREAM_SALT, image);
    }

    /** Whether this image has unconditional rows (CFG on). */
    public boolean usesCfg() {
        return sampling.usesCfg();
    }

    /**
     * Phase plan: asks the order for this pass's group. False once every cell is generated (the image is
     * finished); a plan that stops early or schedules a cell twice fails naming the order.
     */
    public boolean plan() {
        if (finished) {
            return false;
        }
        Group g = plan.next(state);
        if (g == null) {
            finished = true;
            group = null;
            inputs = null;
            if (state.count != state.tokens.length) {
                throw new TesseraException("order '" + order.name() + "' ended after " + state.count + " of " + state.tokens.length + " cells");
            }
            return false;
        }
        state.check(g, order.name());
        group = g;
        inputs = null;
        return true;
    }

    /** Phase inputs: the family's entries of this pass's group (call once per pass, after {@link #plan()}). */
    public StepInputs inputs() {
        if (group == null) {
            throw new IllegalStateException("inputs() before plan()");
        }
        if (inputs == null) {
            inputs = steps.inputs(group, state.tokens);
        }
        return inputs;
    }

    /**
     * Phases guide, sample and commit for every target entry of this pass, given the pass's logits:
     * this image's conditional entries are batch row {@code condRow}, its unconditional ones row
     * {@code uncondRow} (ignored without CFG), {@code length} entries per row.
     */
    public void finishPass(float[] logits, int length, int condRow, int uncondRow, TokenListener listener) {
        if (inputs == null) {
            throw new IllegalStateException("finishPass() before inputs()");
        }
        int vocab = guided.length;
        List<Entry> entries = inputs.entries();
        for (int e = 0; e < entries.size(); e++) {
            int cell = entries.get(e).target();
            if (cell < 0) {
                continue;
            }
            guide(logits, (condRow * length + e) * vocab, (uncondRow * length + e) * vocab, indexInGroup(group, cell));
            Sampler.Draw d = sample();
            commit(cell, d);
            if (listener != null) {
                listener.token(cell, d.token());
            }
        }
        if (!state.allTargetsSet(group)) {
            throw new TesseraException("family adapter produced no logits for some cells of group " + group);
        }
        passes++;
        inputs = null;
    }

    /**
     * Phase guide: the logits the sampler sees for the {@code j}-th cell of this pass's group, into the
     * scratch row. Without CFG, or with LlamaGen's cfg_interval switched off, the conditional logits only
     * (generate.py); the linear schedules always combine (lpd.py, randar_gpt.py).
     */
    void guide(float[] logits, int condOff, int uncondOff, int j) {
        float scale = cfgScale(j);
        if (sampling.usesCfg() && (scale != 1f || sampling.cfgSchedule().alwaysCombines())) {
            Sampler.guide(logits, condOff, logits, uncondOff, guided.length, scale, guided);
        } else {
            System.arraycopy(logits, condOff, guided, 0, guided.length);
        }
    }

    /** Phase sample: one draw from the guided logits with this image's stream. */
    Sampler.Draw sample() {
        return sampler.sample(guided, rng);
    }

    /** Phase commit: the cell's token and confidence become part of the state the plan sees. */
    void commit(int cell, Sampler.Draw d) {
        state.set(cell, d.token(), d.probability());
    }

    /**
     * Guidance scale of the {@code j}-th cell of this pass's group: LlamaGen's cfg_interval (the same for
     * the whole pass: on for the first pass and while the order's official clock
     * {@link Plan#cfgClock} ≤ cfg_interval; pass index − 1 unless the order says otherwise), or the linear
     * schedule of LPD (lpd.py {@code sample_tokens}: {@code cfg_iter = 1 + (cfg − 1)·linspace(t, t + g − 1, g)/N}),
     * i.e. 1 + (cfg − 1)·(t + j)/N with t the tokens generated before this pass: each token's own generation
     * index, the first token of an image getting scale 1.
     */
    private float cfgScale(int j) {
        if (!sampling.usesCfg()) {
            return 1f;
        }
        return switch (sampling.cfgSchedule()) {
            case LINEAR -> (float) (1 + (sampling.cfgScale() - 1) * (state.countBeforePass + j) / state.tokens.length);
            // RandAR randar_gpt.py generate: cfg_scales[0] + (cfg_scales[1] − cfg_scales[0])·query_token_idx_cur_step/N
            case LINEAR_PASS -> (float) (1 + (sampling.cfgScale() - 1) * state.countBeforePass / state.tokens.length);
            case CONSTANT -> {
                boolean on = sampling.cfgInterval() < 0 || passes == 0
                        || plan.cfgClock(passes, state.countBeforePass) <= sampling.cfgInterval();
                yield on ? (float) sampling.cfgScale() : 1f;
            }
        };
    }

    private static int indexInGroup(Group g, int cell) {
        for (int j = 0; j < g.size(); j++) {
            if (g.cell(j) == cell) {
                return j;
            }
        }
        throw new IllegalStateException("cell " + cell + " is not in group " + g);
    }

    public boolean finished() {
        return finished;
    }

    /** Forward passes this image has taken. */
    public int passes() {
        return passes;
    }

    /** Planned passes when the order knows them in advance, else −1. */
    public int plannedPasses() {
        return plan.plannedPasses();
    }

    /** Cells generated so far. */
    public int generated() {
        return state.count;
    }

    public GridSize grid() {
        return state.grid;
    }

    /** This pass's group (after {@link #plan()}), or null. */
    public Group group() {
        return group;
    }

    /** A copy of the token grid: the token of each generated cell, −1 elsewhere. */
    public int[] tokens() {
        return state.tokens.clone();
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
