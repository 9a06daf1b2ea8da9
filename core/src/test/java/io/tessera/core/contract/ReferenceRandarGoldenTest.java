package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.decode.RandarGolden;
import io.tessera.core.model.RandarModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract suite's double oracle for randar gives the official code's greedy tokens (tools/randar/make_golden.py). */
class ReferenceRandarGoldenTest {
    @Test
    void oracleReproducesTheOfficialGreedyTokens(@TempDir Path dir) {
        RandarGolden golden = new RandarGolden();
        try (Checkpoint ckpt = Checkpoints.open(golden.checkpointFile(dir))) {
            RandarModel model = golden.model(ckpt);
            try (ReferenceLlamaGen oracle = new ReferenceLlamaGen(model)) {
                for (RandarGolden.Case c : golden.cases()) {
                    int[][] got = golden.run(c, model, oracle);
                    for (int i = 0; i < got.length; i++) {
                        assertArrayEquals(c.tokens()[i], got[i], "case " + c.name() + ", image " + i);
                    }
                }
            }
        }
    }
}
