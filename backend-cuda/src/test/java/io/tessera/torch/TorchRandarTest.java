package io.tessera.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.decode.RandarGolden;
import io.tessera.core.model.RandarModel;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.cpu.CpuVectorBackend;
import io.tessera.orders.GroupSchedules;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RandAR on libtorch: the official code's greedy token grids (tools/randar/make_golden.py) on torch and on
 * cpu-vector, and the official loop's group sizes against Tessera's RandAR cosine schedule.
 */
class TorchRandarTest {
    private static final RandarGolden GOLDEN = new RandarGolden();

    @Test
    void torchAndCpuVectorGiveTheOfficialGreedyTokens(@TempDir Path dir) {
        try (Checkpoint ckpt = Checkpoints.open(GOLDEN.checkpointFile(dir))) {
            RandarModel model = GOLDEN.model(ckpt);
            int[][][] torchTokens = run(new TorchBackend(), model, Fixtures.cpu());
            int[][][] cpuTokens = run(new CpuVectorBackend(), model, BackendOptions.defaults());
            for (int k = 0; k < GOLDEN.cases().size(); k++) {
                RandarGolden.Case c = GOLDEN.cases().get(k);
                for (int i = 0; i < c.tokens().length; i++) {
                    assertArrayEquals(c.tokens()[i], torchTokens[k][i], "torch, case " + c.name() + ", image " + i);
                    assertArrayEquals(torchTokens[k][i], cpuTokens[k][i], "torch vs cpu-vector, case " + c.name() + ", image " + i);
                }
            }
        }
    }

    private static int[][][] run(ComputeBackend backend, RandarModel model, BackendOptions options) {
        int[][][] out = new int[GOLDEN.cases().size()][][];
        try (GptSession s = backend.openModel(model, options)) {
            assertEquals("randar", s.model().family());
            for (int k = 0; k < out.length; k++) {
                out[k] = GOLDEN.run(GOLDEN.cases().get(k), model, s);
            }
        }
        return out;
    }

    /** The official loop's group sizes are the `random` order's `schedule: cosine` (RandAR's) for the same steps. */
    @Test
    void officialGroupSizesAreTheRandarCosineSchedule() {
        int n = GOLDEN.config().gpt().blockSize();
        for (RandarGolden.Case c : GOLDEN.cases()) {
            int steps = c.steps() == -1 ? n : c.steps();
            assertEquals(Arrays.toString(GroupSchedules.randarCosine(n, steps)), Arrays.toString(c.groupSizes()), c.name());
        }
    }

    @Test
    void refusesOtherQueryIds(@TempDir Path dir) {
        try (Checkpoint ckpt = Checkpoints.open(GOLDEN.checkpointFile(dir));
             GptSession s = new TorchBackend().openModel(GOLDEN.model(ckpt), Fixtures.cpu())) {
            int cap = GOLDEN.config().cacheSlots();
            s.reset(1, cap);
            boolean[] visible = new boolean[cap];
            visible[0] = true;
            BackendException e = assertThrows(BackendException.class, () -> s.forward(new ForwardBatch(1, 1,
                    new EntryKind[] {EntryKind.QUERY}, new int[] {2}, new int[] {5}, new int[] {0}, visible)));
            assertEquals("torch: randar has one position-instruction vector; entry 0 asks for QUERY id 2", e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(s.toString().contains("randar"), s.toString());
        }
    }
}
