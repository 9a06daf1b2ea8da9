package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import io.tessera.core.model.RandomWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LpdAdapterTest {

    static LpdModel model(int grid) {
        LpdConfig c = new LpdConfig(16, 1, 2, 4.0, 64, 10, 1e-6f, grid);
        return new LpdModel(c, new LpdWeights(c, new MemoryCheckpoint("random", RandomWeights.lpd(c, 0))));
    }

    /** One official input: kind, generation index of its token (−1 for class/query), input_pos, pos_embed row. */
    record In(EntryKind kind, int genIndex, int inputPos, int posRow) {
    }

    /**
     * Transcription of lpd.py {@code sample_tokens} with engine.py {@code create_block_causal_mask([1] + sizes)}:
     * returns per step the inputs, the mask rows {@code attn_mask[input_pos, :input_pos[-1]+1]} and the generation
     * indices of the sampled outputs ({@code tokens[:, c[i+1]-1 : c[i+2]-1]}).
     */
    static List<Object[]> official(int[] order, int[] sizes) {
        int k = sizes.length;
        int[] c = new int[k + 2]; // group_sizes_cumsum = [0, 1, cumsum + 1]
        c[1] = 1;
        for (int i = 0; i < k; i++) {
            c[i + 2] = c[i + 1] + sizes[i];
        }
        int[] orders = new int[order.length + 1]; // [0, orders + 1]
        for (int i = 0; i < order.length; i++) {
            orders[i + 1] = order[i] + 1;
        }
        int total = c[k + 1];
        boolean[][] mask = new boolean[total][total];
        int start = 0;
        int[] blocks = new int[k + 1];
        blocks[0] = 1;
        System.arraycopy(sizes, 0, blocks, 1, k);
        for (int size : blocks) {
            int end = start + size;
            for (int r = start; r < end; r++) {
                for (int col = 0; col < end; col++) {
                    mask[r][col] = true;
                }
            }
            start = end;
        }
        List<Object[]> steps = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            List<In> ins = new ArrayList<>();
            if (i == 0) {
                ins.add(new In(EntryKind.CLASS, -1, 0, orders[0]));
            } else {
                for (int g = c[i] - 1; g < c[i + 1] - 1; g++) {
                    ins.add(new In(EntryKind.TOKEN, g, c[i] + (g - (c[i] - 1)), orders[c[i] + (g - (c[i] - 1))]));
                }
            }
            for (int p = c[i + 1]; p < c[i + 2]; p++) {
                ins.add(new In(EntryKind.QUERY, -1, p, orders[p]));
            }
            int last = c[i + 2] - 1;
            boolean[][] rows = new boolean[ins.size()][];
            for (int e = 0; e < ins.size(); e++) {
                rows[e] = Arrays.copyOf(mask[ins.get(e).inputPos()], last + 1);
            }
            int[] outputs = new int[sizes[i]];
            for (int j = 0; j < sizes[i]; j++) {
                outputs[j] = c[i + 1] - 1 + j;
            }
            steps.add(new Object[] {ins, rows, outputs});
        }
        return steps;
    }

    @Test
    void reproducesOfficialSampleTokensPassByPass() {
        int g = 6;
        int[] sizes = {1, 2, 3, 5, 7, 8, 10};
        int[] order = new int[g * g];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        new Rng(3).shuffle(order);
        LpdAdapter adapter = new LpdAdapter(model(g));
        FamilyAdapter.ImageSteps steps = adapter.start(4, false);
        int[] tokens = new int[g * g];
        Arrays.fill(tokens, -1);
        int cap = adapter.capacity();
        int done = 0;
        List<Object[]> official = official(order, sizes);
        for (int i = 0; i < sizes.length; i++) {
            @SuppressWarnings("unchecked")
            List<In> ins = (List<In>) official.get(i)[0];
            boolean[][] rows = (boolean[][]) official.get(i)[1];
            int[] outputs = (int[]) official.get(i)[2];
            StepInputs in = steps.inputs(Group.of(Arrays.copyOfRange(order, done, done + sizes[i])), tokens);
            assertEquals(ins.size(), in.entries().size(), "step " + i);
            for (int e = 0; e < ins.size(); e++) {
                In want = ins.get(e);
                Entry got = in.entries().get(e);
                String at = "step " + i + " entry " + e;
                assertEquals(want.kind(), got.kind(), at);
                assertEquals(want.kind() == EntryKind.CLASS ? 4 : want.kind() == EntryKind.TOKEN ? 500 + order[want.genIndex()] : 0,
                        got.id(), at + " id");
                assertEquals(want.inputPos(), got.slot(), at + " slot = input_pos");
                assertEquals(want.posRow(), got.position(), at + " pos_embed row");
                // logits x[:, -g_i:] are the queries, in order; context logits are discarded
                int queryIndex = e - (ins.size() - sizes[i]);
                assertEquals(queryIndex < 0 ? -1 : order[outputs[queryIndex]], got.target(), at + " target");
                for (int s = 0; s < cap; s++) {
                    boolean official1 = s < rows[e].length && rows[e][s];
                    assertEquals(official1, in.visible()[e * cap + s], at + " visibility of slot " + s);
                }
            }
            for (int j = 0; j < sizes[i]; j++) {
                tokens[order[done + j]] = 500 + order[done + j];
            }
            done += sizes[i];
        }
    }

    /**
     * lpd.py: {@code cfg_iter = 1 + (cfg − 1)·linspace(c[i+1] − 1, c[i+1] + g_i − 2, g_i) / N}: each token's scale uses its
     * own generation index. A session whose cond rows peak (1) at token 1 and uncond rows at token 0 makes the guided
     * logits s (token 1), 1 − s (token 0) and 0 (the rest), so the greedy token's probability reveals s.
     */
    @Test
    void linearCfgUsesEachTokensGenerationIndexAsLpdDoes() {
        LpdModel m = model(2);
        GptSession session = new GptSession() {
            @Override
            public ModelSpec model() {
                return m;
            }

            @Override
            public void reset(int rows, int capacity) {
            }

            @Override
            public void clearRow(int row) {
            }

            @Override
            public float[] forward(ForwardBatch b) {
                int v = m.vocabSize();
                float[] out = new float[b.rows() * b.length() * v];
                for (int r = 0; r < b.rows(); r++) {
                    for (int t = 0; t < b.length(); t++) {
                        out[(r * b.length() + t) * v + (r < b.rows() / 2 ? 1 : 0)] = 1f;
                    }
                }
                return out;
            }

            @Override
            public void close() {
            }
        };
        double cfg = 3.0;
        SamplingConfig s = new SamplingConfig(1.0, 0, 1.0, cfg, -1, "linear", true, 0);
        float[][] confidence = new float[1][];
        OrderScheduler order = fixed(List.of(Group.of(2), Group.of(0, 3, 1)), confidence);
        Generator.Result r = new Generator(new LpdAdapter(m), session, order, ConfigNode.empty("order"), s).generate(new int[] {0}, 1, null);
        assertEquals(2, r.passes()[0]);
        int[] genIndex = {1, 3, 0, 2}; // cell 2 first, then cells 0, 3, 1
        for (int cell = 0; cell < 4; cell++) {
            double sc = 1 + (cfg - 1) * genIndex[cell] / 4;
            double p1 = Math.exp(sc) / (Math.exp(sc) + Math.exp(1 - sc) + (m.vocabSize() - 2));
            assertEquals(1, r.tokens()[0][cell]);
            assertEquals(p1, confidence[0][cell], 1e-6, "cell " + cell + " (generation index " + genIndex[cell] + ")");
        }
    }

    /** Fixed groups; stores the plan state's confidences when the plan ends. */
    static OrderScheduler fixed(List<Group> groups, float[][] confidenceOut) {
        return new OrderScheduler() {
            @Override
            public String name() {
                return "fixed";
            }

            @Override
            public String description() {
                return "test";
            }

            @Override
            public Set<String> families() {
                return Set.of("lpd");
            }

            @Override
            public Plan plan(GridSize grid, ConfigNode options, long seed) {
                return new Plan() {
                    int i;

                    @Override
                    public Group next(PlanState state) {
                        if (i == groups.size() && state != null) {
                            confidenceOut[0] = new float[grid.cells()];
                            for (int c = 0; c < grid.cells(); c++) {
                                confidenceOut[0][c] = state.confidence(c);
                            }
                        }
                        return i < groups.size() ? groups.get(i++) : null;
                    }
                };
            }
        };
    }

    @Test
    void refusesOrdersThatDoNotDeclareLpd() {
        OrderScheduler parOnly = ParAdapterTest.order("par-only", 4, List.of());
        LpdAdapter adapter = new LpdAdapter(model(4));
        assertTrue(parOnly.families().contains("lpd")); // the test order declares lpd: accepted
        adapter.checkOrder(parOnly, null);
        OrderScheduler llamagenOnly = new OrderScheduler() {
            @Override
            public String name() {
                return "rows";
            }

            @Override
            public String description() {
                return "test";
            }

            @Override
            public Set<String> families() {
                return Set.of("llamagen");
            }

            @Override
            public Plan plan(GridSize grid, ConfigNode options, long seed) {
                return state -> null;
            }
        };
        ConfigException e = assertThrows(ConfigException.class, () -> adapter.checkOrder(llamagenOnly, null));
        assertEquals("order.name: order 'rows' does not declare the lpd family; it runs on llamagen", e.getMessage());
    }
}
