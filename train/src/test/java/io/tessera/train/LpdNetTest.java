package io.tessera.train;

import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.decode.Rng;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdWeights;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class LpdNetTest {
    /**
     * N = 4, groups [1, 1, 2]: layout [class, X1, X2] ++ [P1, P2, P3a, P3b] (the last group is never
     * encoded). Written out by hand from the rules of models/mask.py.
     */
    @Test
    void trainingMaskOfASmallCaseByHand() {
        int[] sizes = {1, 1, 2};
        assertEquals(3, LpdNet.contextLength(sizes));
        assertArrayEquals(new int[] {0, 2, 4, 1, 3, 5, 5}, LpdNet.groupIds(sizes, 0));
        String[] expected = {
            // cls X1 X2 P1 P2 P3a P3b
            "1000000", // class: itself
            "1100000", // X1: class + X1
            "1110000", // X2: class + X1 + X2
            "1001000", // P1: class + P1
            "1100100", // P2: class + X1 + P2
            "1110011", // P3a: class + X1 + X2 + P3 (mutual visibility inside the group)
            "1110011", // P3b
        };
        assertEquals(String.join("\n", expected), render(LpdNet.mask(sizes, 0), 7));
    }

    /** Sampling step 3 of the same case: [class, X1, X2] ++ [P3] with the rows of the training mask. */
    @Test
    void samplingMaskIsTheTrainingMaskWithoutEarlierQueries() {
        int[] sizes = {1, 1, 2};
        assertArrayEquals(new int[] {0, 2, 4, 5, 5}, LpdNet.groupIds(sizes, 2));
        String[] expected = {"10000", "11000", "11100", "11111", "11111"};
        assertEquals(String.join("\n", expected), render(LpdNet.mask(sizes, 2), 5));
        // step 1: class + the single first query
        assertEquals("10\n11", render(LpdNet.mask(new int[] {1}, 0), 2));
    }

    private static String render(boolean[] m, int l) {
        assertEquals(l * l, m.length);
        StringBuilder b = new StringBuilder();
        for (int q = 0; q < l; q++) {
            if (q > 0) {
                b.append('\n');
            }
            for (int k = 0; k < l; k++) {
                b.append(m[q * l + k] ? '1' : '0');
            }
        }
        return b.toString();
    }

    /**
     * One training pass computes what K sampling passes compute: the logits of the queries of step k in
     * the full layout equal those of a pass that holds only class + X_{&lt;k} + P_k.
     */
    @Test
    void trainingPassEqualsStepByStepPasses() {
        torch.manual_seed(3);
        LpdConfig c = new LpdConfig(32, 2, 4, 4.0, 16, 10, 1e-6f, 4);
        ParamStore p = new ParamStore(new Device(torch.DeviceType.CPU));
        LpdNet net = new LpdNet(c, p);
        Map<String, long[]> shapes = p.shapes();
        assertEquals(LpdWeights.layout(c).keySet(), shapes.keySet());
        LpdWeights.layout(c).forEach((k, v) -> assertArrayEquals(v, shapes.get(k), k));

        int n = c.seqLen();
        int[] sizes = {1, 3, 5, 7};
        int[] tokens = new int[2 * n];
        Rng rng = new Rng(11);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(c.vocabSize());
        }
        LpdTrainer.Batch bt = LpdTrainer.layout(tokens, new int[] {4, 7}, new int[] {0, 1}, n, sizes, 0.0, c.nullClass(), rng);
        int ctx = LpdNet.contextLength(sizes) - 1;
        assertEquals(n - 7, ctx);
        try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
            Device d = p.device();
            float[] full = Ops.toFloats(net.forward(Ops.longs(d, bt.classes(), 2), Ops.longs(d, bt.ctxTokens(), 2, ctx),
                    Ops.longs(d, bt.ctxCells(), 2, ctx), Ops.longs(d, bt.queryCells(), 2, n), net.maskTensor(sizes, 0))); // [2, N, V]
            int done = 0;
            for (int s = 0; s < sizes.length; s++) {
                int gs = sizes[s];
                long[] tok = new long[2 * done];
                long[] cell = new long[2 * done];
                long[] qc = new long[2 * gs];
                for (int j = 0; j < 2; j++) {
                    for (int t = 0; t < done; t++) {
                        tok[j * done + t] = bt.ctxTokens()[j * ctx + t];
                        cell[j * done + t] = bt.ctxCells()[j * ctx + t];
                    }
                    for (int t = 0; t < gs; t++) {
                        qc[j * gs + t] = bt.queryCells()[j * n + done + t];
                    }
                }
                Tensor tt = done == 0 ? null : Ops.longs(d, tok, 2, done);
                Tensor tc = done == 0 ? null : Ops.longs(d, cell, 2, done);
                float[] step = Ops.toFloats(net.forward(Ops.longs(d, bt.classes(), 2), tt, tc, Ops.longs(d, qc, 2, gs),
                        net.maskTensor(java.util.Arrays.copyOf(sizes, s + 1), s)));                  // [2, g, V]
                int v = c.vocabSize();
                for (int j = 0; j < 2; j++) {
                    for (int t = 0; t < gs; t++) {
                        for (int k = 0; k < v; k++) {
                            assertEquals(full[(j * n + done + t) * v + k], step[(j * gs + t) * v + k], 2e-5,
                                    "step " + s + " item " + j + " query " + t);
                        }
                    }
                }
                done += gs;
            }
        }
    }

    /** The layout of one item: queries are the permutation, targets the tokens at it, context its prefix. */
    @Test
    void layoutFollowsThePermutation() {
        int n = 16;
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 100 + i;
        }
        int[] sizes = {1, 5, 10};
        LpdTrainer.Batch bt = LpdTrainer.layout(tokens, new int[] {3}, new int[] {0}, n, sizes, 0.0, 10, new Rng(5));
        assertEquals(3, bt.classes()[0]);
        assertEquals(6, bt.ctxTokens().length);
        boolean[] seen = new boolean[n];
        for (int t = 0; t < n; t++) {
            int cell = (int) bt.queryCells()[t];
            seen[cell] = true;
            assertEquals(100 + cell, bt.targets()[t]);
            if (t < 6) {
                assertEquals(cell, bt.ctxCells()[t]);
                assertEquals(100 + cell, bt.ctxTokens()[t]);
            }
        }
        for (boolean s : seen) {
            assertEquals(true, s);
        }
        assertEquals(10, LpdTrainer.layout(tokens, new int[] {3}, new int[] {0}, n, sizes, 0.999, 10, new Rng(5)).classes()[0]);
    }
}
