package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.decode.RandarGolden;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.RandarModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RandAR on cpu-vector against the official code's greedy token grids (tools/randar/make_golden.py). */
class RandarForwardTest {
    private static final RandarGolden GOLDEN = new RandarGolden();

    @Test
    void greedyTokensEqualTheOfficialRunWithVectorAndScalarKernels(@TempDir Path dir) {
        try (Checkpoint ckpt = Checkpoints.open(GOLDEN.checkpointFile(dir))) {
            RandarModel model = GOLDEN.model(ckpt);
            for (String kernels : new String[] {"vector", "scalar"}) {
                try (GptSession s = new CpuVectorBackend().openModel(model, TestTensors.options(2, kernels))) {
                    assertEquals("randar", s.model().family());
                    for (RandarGolden.Case c : GOLDEN.cases()) {
                        int[][] got = GOLDEN.run(c, model, s);
                        for (int i = 0; i < got.length; i++) {
                            assertArrayEquals(c.tokens()[i], got[i], kernels + " kernels, case " + c.name() + ", image " + i);
                        }
                    }
                }
            }
        }
    }

    /**
     * get_position_instruction_tokens: row p is the vector rotated per head by RoPE row p (adjacent pairs);
     * row 0 (class position) is all zeros, rows of different cells differ, and the norm of each head is kept.
     */
    @Test
    void instructionTableIsTheVectorRotatedByEachPosition(@TempDir Path dir) {
        try (Checkpoint ckpt = Checkpoints.open(GOLDEN.checkpointFile(dir))) {
            RandarModel model = GOLDEN.model(ckpt);
            LlamaGenConfig c = model.config().gpt();
            float[] v = model.weights().posInstruct().toFloatArray();
            float[] table = RandarForward.instructionTable(model).toFloatArray();
            RopeTable rope = new RopeTable(c.grid(), c.headDim(), c.ropeBase());
            int dim = c.dim();
            assertEquals((1 + c.blockSize()) * dim, table.length);
            for (int i = 0; i < dim; i++) {
                assertEquals(0f, table[i], 0f, "class row");
            }
            int p = 1 + 3 * c.grid() + 5; // cell (3, 5)
            for (int h = 0; h < c.nHead(); h++) {
                double before = 0;
                double after = 0;
                for (int m = 0; m < c.headDim() / 2; m++) {
                    int k = h * c.headDim() + 2 * m;
                    float cos = rope.cos[rope.offset(p) + m];
                    float sin = rope.sin[rope.offset(p) + m];
                    assertEquals(v[k] * cos - v[k + 1] * sin, table[p * dim + k], 0f);
                    assertEquals(v[k + 1] * cos + v[k] * sin, table[p * dim + k + 1], 0f);
                    before += v[k] * v[k] + v[k + 1] * v[k + 1];
                    after += table[p * dim + k] * table[p * dim + k] + table[p * dim + k + 1] * table[p * dim + k + 1];
                }
                assertEquals(before, after, 1e-4 * before, "rotation keeps each head's norm");
            }
            boolean differ = false;
            for (int i = 0; i < dim; i++) {
                differ |= table[2 * dim + i] != table[3 * dim + i];
            }
            assertTrue(differ, "cells 1 and 2 give the same instruction");
        }
    }

    @Test
    void refusesOtherQueryIdsAndInstructionsWithoutATarget(@TempDir Path dir) {
        try (Checkpoint ckpt = Checkpoints.open(GOLDEN.checkpointFile(dir));
             GptSession s = new CpuVectorBackend().openModel(GOLDEN.model(ckpt), TestTensors.options(1, "vector"))) {
            int cap = GOLDEN.config().cacheSlots();
            s.reset(1, cap);
            boolean[] visible = new boolean[cap];
            visible[0] = true;
            BackendException id = assertThrows(BackendException.class, () -> s.forward(new ForwardBatch(1, 1,
                    new EntryKind[] {EntryKind.QUERY}, new int[] {1}, new int[] {5}, new int[] {0}, visible)));
            assertEquals("cpu-vector: randar has one position-instruction vector; entry 0 asks for QUERY id 1", id.getMessage());
            BackendException pos = assertThrows(BackendException.class, () -> s.forward(new ForwardBatch(1, 1,
                    new EntryKind[] {EntryKind.QUERY}, new int[] {0}, new int[] {0}, new int[] {0}, visible)));
            assertTrue(pos.getMessage().contains("position 0"), pos.getMessage());
            assertFalse(pos.getMessage().contains("\n"));
        }
    }
}
