package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.RandomWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of {@code tessera bench} that are not timings: its FLOP count and its option parsing. */
class BenchCommandTest {

    /**
     * A decoder with ch 32, ch_mult [1, 2], no extra res blocks, z 32, embed 8 on a g×g grid (hw = g²),
     * counted by hand (2 FLOPs per multiply-add): post_quant_conv 1×1 8→32 (512·hw), conv_in 3×3 32→64
     * (36 864·hw), mid res 64→64 twice (2 × 147 456·hw), mid attn (4 × 8 192·hw + 2·2·hw²·64), level 0 at g:
     * res 64→64 (147 456·hw) + attn (32 768·hw + 256·hw²) + upsample conv 3×3 at 4·hw (294 912·hw), level 1 at
     * 2g: res 64→32 with nin_shortcut (59 392 × 4·hw), conv_out 3×3 32→3 at 4·hw (6 912·hw).
     */
    @Test
    void vqDecodeFlopsCountEveryConvAtItsResolution() {
        VqConfig c = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 0, 3);
        VqWeights w = new VqWeights(c, new MemoryCheckpoint("random-vq", RandomWeights.vq(c, 1)));
        for (int g : new int[] {2, 5}) {
            double hw = g * g;
            assertEquals(1_084_672 * hw + 512 * hw * hw, BenchCommand.vqDecodeFlops(w, g), 1e-6, "grid " + g);
        }
    }

    @Test
    void backendOptionsAreParsedPerBackendAndTyposRefused() {
        Map<String, Map<String, String>> m = BenchCommand.parseBackendOptions(
                List.of("torch.device=cuda", "torch.dtype=bfloat16", "cpu-vector.kernels=scalar"), List.of("cpu-vector", "torch"));
        assertEquals(Map.of("device", "cuda", "dtype", "bfloat16"), m.get("torch"));
        assertEquals(Map.of("kernels", "scalar"), m.get("cpu-vector"));
        for (String bad : List.of("device=cuda", "torch.device", "torch.=x", "torch.device=")) {
            ConfigException e = assertThrows(ConfigException.class, () -> BenchCommand.parseBackendOptions(List.of(bad), List.of("torch")));
            assertTrue(e.getMessage().startsWith("--backend-option"), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class,
                () -> BenchCommand.parseBackendOptions(List.of("torhc.device=cuda"), List.of("cpu-vector", "torch")));
        assertTrue(e.getMessage().contains("'torhc' is not in --backends"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> BenchCommand.parseBackendOptions(List.of("torch.threads=4"), List.of("torch")));
        assertTrue(e.getMessage().contains("--threads"), e.getMessage());
    }

    /** GPT-B: 12 layers, 12 KV heads of 64; keys and values of 133 slots in 3 rows, float32 and bfloat16. */
    @Test
    void cacheBytesCountKeysAndValuesOfEveryLayer() {
        LlamaGenConfig b = LlamaGenConfig.preset("gpt-b", 16);
        assertEquals(2.0 * 3 * 12 * 133 * 12 * 64 * 4, BenchCommand.cacheBytes(b, 3, 133, 4), 0);
        assertEquals(BenchCommand.cacheBytes(b, 3, 133, 4) / 2, BenchCommand.cacheBytes(b, 3, 133, 2), 0);
    }

    @Test
    void rowsThatAreNotAMultipleOfEntriesAreOneLineError() {
        CliTest.assertOneLineError(CliTest.run("bench", "--preset", "gpt-b", "--vq", "none", "--entries", "4", "--rows", "6"),
                2, "multiple of --entries 4, got 6");
        CliTest.assertOneLineError(CliTest.run("bench", "--preset", "gpt-b", "--vq", "none", "--entries", "0"), 2, "--entries must be in");
    }

    @Test
    void nothingToTimeIsOneLineError() {
        CliTest.assertOneLineError(CliTest.run("bench", "--preset", "none", "--vq", "none"), 2, "nothing to time");
    }
}
