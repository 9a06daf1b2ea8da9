package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.ParConfig;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.ParWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import io.tessera.core.spi.RegionPlan;
import io.tessera.core.model.RandomWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParAdapterTest {

    static ParModel model(int grid, int regions) {
        ParConfig c = new ParConfig(new LlamaGenConfig(16, 1, 2, 2, 16, Float.NaN, 1e-5f, 10000f, 64, 10, 1, 0.1f, grid), regions);
        return new ParModel(c, new ParWeights(c, new MemoryCheckpoint("random", RandomWeights.par(c, 0))));
    }

    /** One official input: kind, token's reordered index (or transition index), input_pos, RoPE row's reordered index (−1 = zero row). */
    record In(EntryKind kind, int index, int inputPos, int ropeIndex) {
    }

    /** One official pass: inputs, the mask rows at input_pos, and the reordered indices of its outputs. */
    record Pass(List<In> inputs, boolean[][] maskRows, int[] outputs) {
    }

    /**
     * Transcription of PAR's official inference (generate.py generate/decode_n_tokens/decode_n_tokens_multi,
     * gpt.py setup_caches mask and precompute_freqs_cis_2d table): prefill; n−1 single-token steps;
     * first multi step [x_{n−1}, spe_0..spe_{n−2}] at input_pos n..2n−1; then the n sampled tokens at
     * input_pos += n; logits of the last n inputs.
     */
    static List<Pass> official(int g, int n) {
        int total = g * g;
        int maxLen = ((1 + total + 7) / 8) * 8; // find_multiple(T_new, 8)
        boolean[][] mask = new boolean[maxLen][maxLen];
        for (int i = 0; i < maxLen; i++) {
            for (int j = 0; j <= i; j++) {
                mask[i][j] = true;
            }
            mask[i][0] = true;
        }
        for (int i = 0; i < maxLen / n; i++) {
            int start = i * n + n;
            int end = start + n;
            for (int r = start; r < Math.min(end, maxLen); r++) {
                for (int col = 0; col < Math.min(end, maxLen); col++) {
                    mask[r][col] = true;
                }
            }
        }
        // freqs_cis rows: [cls zero, cache_one (n), sep zeros (n−1), cache_two]: reordered index or −1
        int[] rope = new int[total + n];
        rope[0] = -1;
        for (int k = 0; k < n; k++) {
            rope[1 + k] = k;
        }
        for (int j = 0; j < n - 1; j++) {
            rope[1 + n + j] = -1;
        }
        for (int k = n; k < total; k++) {
            rope[k + n] = k;
        }
        List<Pass> passes = new ArrayList<>();
        passes.add(pass(List.of(new In(EntryKind.CLASS, -1, 0, rope[0])), mask, new int[] {0}));
        for (int i = 0; i < n - 1; i++) {
            passes.add(pass(List.of(new In(EntryKind.TOKEN, i, i + 1, rope[i + 1])), mask, new int[] {i + 1}));
        }
        int pos = n;
        List<In> first = new ArrayList<>();
        first.add(new In(EntryKind.TOKEN, n - 1, pos, rope[pos]));
        for (int j = 0; j < n - 1; j++) {
            first.add(new In(EntryKind.QUERY, j, pos + 1 + j, rope[pos + 1 + j]));
        }
        int[] out = new int[n];
        for (int r = 0; r < n; r++) {
            out[r] = n + r;
        }
        passes.add(pass(first, mask, out));
        for (int i = n; i < total - n; i += n) {
            pos += n;
            List<In> ins = new ArrayList<>();
            int[] next = new int[n];
            for (int r = 0; r < n; r++) {
                ins.add(new In(EntryKind.TOKEN, out[r], pos + r, rope[pos + r]));
                next[r] = out[r] + n;
            }
            out = next;
            passes.add(pass(ins, mask, out));
        }
        return passes;
    }

    private static Pass pass(List<In> ins, boolean[][] mask, int[] outputs) {
        boolean[][] rows = new boolean[ins.size()][];
        for (int i = 0; i < ins.size(); i++) {
            rows[i] = mask[ins.get(i).inputPos()];
        }
        return new Pass(ins, rows, outputs);
    }

    /** sample_c2i_ddp.py un-permute: reshape (G/s, G/s, s, s), permute (0, 3, 1, 4, 2), reshape (G, G). */
    static int[] unpermute(int g, int n) {
        int s = (int) Math.round(Math.sqrt(n));
        int q = g / s;
        int[] cellOf = new int[g * g];
        for (int a = 0; a < q; a++) {          // axis 1 (lr)
            for (int b = 0; b < q; b++) {      // axis 2 (lc)
                for (int c = 0; c < s; c++) {  // axis 3 (rr)
                    for (int d = 0; d < s; d++) { // axis 4 (rc)
                        int src = ((a * q + b) * s + c) * s + d;
                        // permuted axes (c, a, d, b) over shape (s, q, s, q) → flat (G, G)
                        cellOf[src] = ((c * q + a) * s + d) * q + b;
                    }
                }
            }
        }
        return cellOf;
    }

    @ParameterizedTest
    @CsvSource({"4, 4", "8, 4", "8, 16", "12, 4", "12, 16", "24, 4"})
    void reproducesOfficialInputsPassByPass(int g, int n) {
        ParModel m = model(g, n);
        ParAdapter adapter = new ParAdapter(m);
        List<Pass> official = official(g, n);
        int[] cellOf = unpermute(g, n);
        assertEquals(n + g * g / n - 1, official.size());
        assertEquals(official.size(), adapter.passes());
        FamilyAdapter.ImageSteps steps = adapter.start(5, false);
        int[] tokens = new int[g * g];
        java.util.Arrays.fill(tokens, -1);
        for (int p = 0; p < official.size(); p++) {
            Pass o = official.get(p);
            int[] cells = new int[o.outputs().length];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cellOf[o.outputs()[i]];
            }
            StepInputs in = steps.inputs(Group.of(cells), tokens);
            assertEquals(o.inputs().size(), in.entries().size(), "pass " + p);
            for (int e = 0; e < in.entries().size(); e++) {
                Entry got = in.entries().get(e);
                In want = o.inputs().get(e);
                String at = "pass " + p + " entry " + e;
                assertEquals(want.kind(), got.kind(), at);
                int wantId = switch (want.kind()) {
                    case CLASS -> 5;
                    case TOKEN -> 100 + cellOf[want.index()];
                    case QUERY -> want.index();
                };
                assertEquals(wantId, got.id(), at + " id");
                assertEquals(want.inputPos(), got.slot(), at + " slot = input_pos");
                assertEquals(want.ropeIndex() < 0 ? 0 : 1 + cellOf[want.ropeIndex()], got.position(), at + " RoPE position");
                // output rows: the last n logits (all of them), in order
                assertEquals(cellOf[o.outputs()[e]], got.target(), at + " target");
                for (int s = 0; s < adapter.capacity(); s++) {
                    assertEquals(o.maskRows()[e][s], in.visible()[e * adapter.capacity() + s], at + " visibility of slot " + s);
                }
                for (int s = adapter.capacity(); s < o.maskRows()[e].length; s++) {
                    assertTrue(!o.maskRows()[e][s], at + ": the official mask sees slot " + s + " beyond the cache");
                }
            }
            for (int c : cells) {
                tokens[c] = 100 + c;
            }
        }
    }

    @Test
    void reorderedIndexMatchesTheOfficialPermutation() {
        for (int[] gn : new int[][] {{24, 4}, {24, 16}, {16, 4}}) {
            ParConfig c = model(gn[0], gn[1]).config();
            int[] cellOf = unpermute(gn[0], gn[1]);
            for (int s = 0; s < cellOf.length; s++) {
                assertEquals(cellOf[s], c.cellAt(s));
                assertEquals(s, c.reorderedIndex(cellOf[s]));
            }
        }
    }

    static OrderScheduler order(String name, int regions, List<Group> groups) {
        return new OrderScheduler() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String description() {
                return "test";
            }

            @Override
            public Set<String> families() {
                return Set.of("par", "lpd");
            }

            @Override
            public Plan plan(GridSize grid, ConfigNode options, long seed) {
                return new RegionPlan() {
                    int i;

                    @Override
                    public int regions() {
                        return regions;
                    }

                    @Override
                    public Group next(PlanState state) {
                        return i < groups.size() ? groups.get(i++) : null;
                    }
                };
            }
        };
    }

    @Test
    void refusesAnotherRegionCountOrAnotherOrderAtLoad() {
        ParAdapter adapter = new ParAdapter(model(8, 4));
        ConfigException e = assertThrows(ConfigException.class, () -> adapter.checkOrder(order("par", 16, List.of()), order("par", 16, List.of())
                .plan(adapter.grid(), ConfigNode.empty("order"), 0)));
        assertEquals("order.regions: a PAR-4× model was trained with 4 regions and cannot run the par order with 16 regions "
                + "(set order.regions: 4)", e.getMessage());
        ConfigException e2 = assertThrows(ConfigException.class, () -> adapter.checkOrder(TestOrders.raster(64), null));
        assertTrue(e2.getMessage().startsWith("order.name: order 'raster' cannot drive a par model"), e2.getMessage());
    }

    @Test
    void refusesAGroupOutsideThePaperOrder() {
        ParAdapter adapter = new ParAdapter(model(4, 4));
        FamilyAdapter.ImageSteps steps = adapter.start(1, false);
        int[] tokens = new int[16];
        java.util.Arrays.fill(tokens, -1);
        TesseraException e = assertThrows(TesseraException.class, () -> steps.inputs(Group.of(1), tokens));
        assertTrue(e.getMessage().startsWith("par: pass 0 scheduled cells [1], but a PAR-4× model generates [0]"), e.getMessage());
    }

    @Test
    void generatorRunsTheWholeGridInTheOfficialPassCount() {
        ParModel m = model(8, 4);
        ParAdapter adapter = new ParAdapter(m);
        List<Group> groups = new ArrayList<>();
        for (int p = 0; p < adapter.passes(); p++) {
            groups.add(Group.of(adapter.targets(p)));
        }
        SamplingConfig s = new SamplingConfig(1.0, 0, 1.0, 2.0, -1, "constant", true, 0);
        Generator.Result r = new Generator(adapter, new FakeSession(m), order("par", 4, groups), ConfigNode.empty("order"), s)
                .generate(new int[] {1, 2, 3}, 2, null);
        assertArrayEquals(new int[] {19, 19, 19}, r.passes());
        for (int[] t : r.tokens()) {
            assertTrue(java.util.Arrays.stream(t).allMatch(v -> v >= 0));
        }
    }
}
