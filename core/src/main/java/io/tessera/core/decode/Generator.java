package io.tessera.core.decode;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.OrderScheduler;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch decode loop for every family and order, on the per-image engine {@link ImageDecode}
 * (which a server's scheduler drives too):
 * <pre>
 *   for each batch of b images:  session.reset(rows = b, or 2b with CFG)
 *     while some image has a group:
 *        plan, inputs   per image                     — {@link ImageDecode#plan()}, {@link ImageDecode#inputs()}
 *        forward        one pass over all b images    — {@link PassBuilder}: cond rows, then uncond rows
 *        guide, sample, commit per image with its RNG — {@link ImageDecode#finishPass}
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
    private final PassBuilder passes;

    /** Receives progress after every sampled token. */
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
        this.passes = new PassBuilder(adapter);
        adapter.checkOrder(order, order.plan(adapter.grid(), orderOptions, sampling.seed()));
    }

    /** Seed of image i's plan. */
    static long planSeed(long seed, long image) {
        return ImageDecode.planSeed(seed, image);
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
        int[][] tokens = new int[n][];
        int[] passCounts = new int[n];
        long[] counters = new long[2];
        int total = n * adapter.grid().cells();
        int[] done = {0};
        ImageDecode.TokenListener onToken = (cell, token) -> {
            done[0]++;
            if (listener != null) {
                listener.pass(done[0], total);
            }
        };
        for (int start = 0; start < n; start += batchSize) {
            int b = Math.min(batchSize, n - start);
            runBatch(classes, firstImage, start, b, tokens, passCounts, counters, onToken);
        }
        return new Result(tokens, passCounts, counters[0], counters[1]);
    }

    private void runBatch(int[] classes, long firstImage, int start, int b, int[][] tokensOut, int[] passesOut, long[] counters,
                          ImageDecode.TokenListener onToken) {
        boolean cfg = sampling.usesCfg();
        session.reset(cfg ? 2 * b : b, passes.capacity());
        ImageDecode[] images = new ImageDecode[b];
        for (int i = 0; i < b; i++) {
            images[i] = new ImageDecode(adapter, order, orderOptions, sampling, classes[start + i], firstImage + start + i);
        }
        while (true) {
            // plan, inputs: every image still running takes part; a finished one is padding (its rows stay in the batch)
            List<PassBuilder.Member> members = new ArrayList<>(b);
            boolean[] active = new boolean[b];
            for (int i = 0; i < b; i++) {
                active[i] = images[i].plan();
                members.add(new PassBuilder.Member(active[i] ? images[i].inputs() : null, i, cfg ? b + i : -1));
            }
            PassBuilder.Pass pass = passes.build(members);
            if (pass == null) {
                break;
            }
            // forward
            ForwardBatch batch = pass.batch();
            float[] logits = session.forward(batch);
            counters[0]++;
            counters[1] += (long) b * batch.length();
            // guide, sample, commit
            for (int i = 0; i < b; i++) {
                if (active[i]) {
                    images[i].finishPass(logits, batch.length(), pass.condRow()[i], pass.uncondRow()[i], onToken);
                }
            }
        }
        for (int i = 0; i < b; i++) {
            tokensOut[start + i] = images[i].tokens();
            passesOut[start + i] = images[i].passes();
        }
    }
}
