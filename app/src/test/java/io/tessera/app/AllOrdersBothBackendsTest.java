package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every built-in order generates end to end through the one decode loop on both backends, on the
 * family that can run it (random weights in the official layouts), with identical tokens and the
 * expected number of forward passes. Every order that runs on lpd also runs on randar.
 */
class AllOrdersBothBackendsTest {
    @TempDir
    Path tmp;

    private static final String TOKENIZER = "tokenizer: {name: llamagen-vq, codebook_size: 64, codebook_embed_dim: 8, z_channels: 32, ch: 32, "
            + "decoder_ch_mult: [1, 2], num_res_blocks: 1, checkpoint: 'random:1'}\n";
    private static final String LPD = "{family: lpd, decoder_embed_dim: 64, decoder_depth: 2, decoder_num_heads: 4, vqgan_vocab_size: 64, "
            + "class_num: 10, grid: 8, checkpoint: 'random:0'}";
    private static final String PAR = "{family: par, dim: 64, n_layer: 2, n_head: 4, vocab_size: 64, num_classes: 10, grid: 8, regions: 4, checkpoint: 'random:0'}";
    private static final String RANDAR = "{family: randar, dim: 64, n_layer: 2, n_head: 4, vocab_size: 64, num_classes: 10, grid: 8, checkpoint: 'random:0'}";
    private static final String LLAMAGEN = "{family: llamagen, dim: 64, n_layer: 2, n_head: 4, vocab_size: 64, num_classes: 10, grid: 8, checkpoint: 'random:0'}";

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource(delimiter = ';', value = {
        "raster; lpd; {name: raster}; 64",
        "zipar; lpd; {name: zipar, window: 2}; 28",
        "zipar-adaptive; lpd; {name: zipar-adaptive, min_window: 2, max_window: 4}; -1",
        "par; lpd; {name: par, regions: 4}; 19",
        "lpd; lpd; {name: lpd, steps: 8}; 8",
        "random; lpd; {name: random, steps: 8}; 8",
        "explicit; lpd; EXPLICIT; 3",
        "raster; llamagen; {name: raster}; 64",
        "zipar; llamagen; {name: zipar, window: 3}; 34",
        "zipar-adaptive; llamagen; {name: zipar-adaptive, min_window: 2, max_window: 4}; -1",
        "par; par; {name: par, regions: 4}; 19",
        "raster; randar; {name: raster}; 64",
        "zipar; randar; {name: zipar, window: 2}; 28",
        "zipar-adaptive; randar; {name: zipar-adaptive, min_window: 2, max_window: 4}; -1",
        "par; randar; {name: par, regions: 4}; 19",
        "lpd; randar; {name: lpd, steps: 8}; 8",
        "random; randar; {name: random, steps: 8}; 8",
        "random-cosine; randar; {name: random, schedule: cosine, steps: 20}; 20",
        "explicit; randar; EXPLICIT; 3",
    })
    void sameTokensOnCpuVectorAndTorch(String name, String family, String order, int passes) throws Exception {
        if (order.equals("EXPLICIT")) {
            StringBuilder groups = new StringBuilder("{\"groups\": [[0], [");
            for (int c = 1; c < 32; c++) {
                groups.append(c).append(c < 31 ? ", " : "], [");
            }
            for (int c = 32; c < 64; c++) {
                groups.append(c).append(c < 63 ? ", " : "]]}");
            }
            Files.writeString(tmp.resolve("groups.json"), groups.toString());
            order = "{name: explicit, file: groups.json}";
        }
        String model = switch (family) {
            case "lpd" -> LPD;
            case "par" -> PAR;
            case "randar" -> RANDAR;
            default -> LLAMAGEN;
        };
        Path p = tmp.resolve("p.yaml");
        Files.writeString(p, "model: " + model + "\n" + TOKENIZER + "backend: {name: cpu-vector}\norder: " + order
                + "\nsampling: {cfg_scale: 3.0, top_k: 8, seed: 4}\n");
        byte[] ref = null;
        for (String backend : new String[] {"cpu-vector", "torch"}) {
            Path npy = tmp.resolve(backend + ".npy");
            CliTest.Run r = CliTest.run("generate", "--pipeline", p.toString(), "--set", "backend.name=" + backend, "--class", "2", "--class", "5",
                    "--out", tmp.resolve(backend + ".png").toString(), "--tokens-out", npy.toString(), "-v");
            assertEquals(0, r.code(), name + " on " + backend + ": " + r.err());
            if (passes > 0) {
                assertTrue(r.out().contains("steps per image (forward passes): " + passes + ";"), r.out());
            }
            byte[] body = GenerateTest.npyBody(npy);
            if (ref == null) {
                ref = body;
            } else {
                assertArrayEquals(ref, body, name + ": tokens differ between backends");
            }
        }
    }
}
