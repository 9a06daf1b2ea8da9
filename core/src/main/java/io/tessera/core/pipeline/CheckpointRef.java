package io.tessera.core.pipeline;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Resolves a {@code checkpoint:} value of a pipeline: a path (relative to the pipeline file's
 * directory) to a safetensors or {@code .pt} file, or {@code random:SEED} for random weights in the
 * official layout from the committed generator (tests, benchmarks, smoke runs).
 */
public final class CheckpointRef {
    private CheckpointRef() {
    }

    public static Checkpoint open(ConfigNode node, String key, Path baseDir, LongFunction<Map<String, Tensor>> random) {
        String ref = node.string(key);
        if (ref.startsWith("random:")) {
            String s = ref.substring("random:".length());
            long seed;
            try {
                seed = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw node.error(key, "random weights need an integer seed, as in random:0, got '" + ref + "'");
            }
            return new MemoryCheckpoint(ref, random.apply(seed));
        }
        Path p = baseDir.resolve(ref).normalize();
        return Checkpoints.open(p);
    }
}
