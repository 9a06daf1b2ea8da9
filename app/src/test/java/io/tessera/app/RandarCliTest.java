package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.SafetensorsWriter;
import io.tessera.core.decode.RandarGolden;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.RandomWeights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The randar family through the CLI: inspect, the official greedy tokens from a pipeline, one-line layout errors. */
class RandarCliTest {
    private static final RandarGolden GOLDEN = new RandarGolden();
    private static final String TOKENIZER = "tokenizer: {name: llamagen-vq, codebook_size: 256, codebook_embed_dim: 8, z_channels: 32, ch: 32, "
            + "decoder_ch_mult: [1, 2], num_res_blocks: 1, checkpoint: 'random:1'}\n";
    private static final String MODEL = "{family: randar, dim: 32, n_layer: 2, n_head: 2, multiple_of: 32, vocab_size: 256, num_classes: 10, "
            + "grid: 8, checkpoint: CKPT}";

    @TempDir
    Path tmp;

    @Test
    void inspectNamesTheOfficialLayout() {
        Path ckpt = GOLDEN.checkpointFile(tmp);
        CliTest.Run r = CliTest.run("inspect", ckpt.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("family: randar, preset: custom"), r.out());
        assertTrue(r.out().contains("pos_instruct_embeddings"), r.out());
    }

    /**
     * The official raster-order case (both images in raster order, the official 20 group sizes, CFG 1 → 4 per pass,
     * greedy) as a pipeline with an explicit order, on both backends: `--tokens-out` holds the official tokens.
     */
    @Test
    void aPipelineReproducesTheOfficialRasterCase() throws Exception {
        RandarGolden.Case c = GOLDEN.cases().stream().filter(k -> k.name().startsWith("raster")).findFirst().orElseThrow();
        StringBuilder groups = new StringBuilder("{\"groups\": [");
        int at = 0;
        for (int g = 0; g < c.groupSizes().length; g++) {
            groups.append(g == 0 ? "[" : ", [");
            for (int j = 0; j < c.groupSizes()[g]; j++) {
                groups.append(j == 0 ? "" : ", ").append(c.tokenOrder()[0][at++]);
            }
            groups.append("]");
        }
        Files.writeString(tmp.resolve("groups.json"), groups.append("]}").toString());
        Path ckpt = GOLDEN.checkpointFile(tmp);
        Path p = tmp.resolve("randar.yaml");
        Files.writeString(p, "model: " + MODEL.replace("CKPT", ckpt.getFileName().toString()) + "\n" + TOKENIZER
                + "backend: {name: cpu-vector}\norder: {name: explicit, file: groups.json}\n"
                + "sampling: {greedy: true, top_k: 1, cfg_scale: " + c.cfgEnd() + ", cfg_schedule: linear-pass, seed: 0}\n");
        for (String backend : new String[] {"cpu-vector", "torch"}) {
            Path npy = tmp.resolve(backend + ".npy");
            CliTest.Run r = CliTest.run("generate", "--pipeline", p.toString(), "--set", "backend.name=" + backend,
                    "--class", String.valueOf(GOLDEN.classes()[0]), "--class", String.valueOf(GOLDEN.classes()[1]),
                    "--out", tmp.resolve(backend + ".png").toString(), "--tokens-out", npy.toString(), "-v");
            assertEquals(0, r.code(), backend + ": " + r.err());
            assertTrue(r.out().contains("steps per image (forward passes): 20;"), r.out());
            ByteBuffer body = ByteBuffer.wrap(GenerateTest.npyBody(npy)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 2; i++) {
                int[] got = new int[c.tokens()[i].length];
                for (int k = 0; k < got.length; k++) {
                    got[k] = body.getInt();
                }
                assertArrayEquals(c.tokens()[i], got, backend + ", image " + i);
            }
        }
    }

    @Test
    void aLlamaGenCheckpointAsRandarFailsWithOneLine() throws Exception {
        Path gpt = tmp.resolve("llamagen.safetensors");
        LlamaGenConfig c = new LlamaGenConfig(32, 2, 2, 2, 32, Float.NaN, 1e-5f, 10000f, 256, 10, 1, 0.1f, 8);
        SafetensorsWriter.write(gpt, RandomWeights.llamaGen(c, 0));
        Path p = tmp.resolve("bad.yaml");
        Files.writeString(p, "model: " + MODEL.replace("CKPT", "llamagen.safetensors") + "\n" + TOKENIZER
                + "backend: {name: cpu-vector}\norder: {name: random, schedule: cosine, steps: 20}\n");
        CliTest.assertOneLineError(CliTest.run("generate", "--pipeline", p.toString(), "--out", tmp.resolve("x.png").toString()),
                Tessera.EXIT_ERROR, "llamagen.safetensors: missing tensor 'pos_instruct_embeddings'");
        assertTrue(Files.notExists(tmp.resolve("x.png")));
    }
}
