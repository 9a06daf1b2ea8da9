package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PAR and LPD models (random weights in the official layouts) generate through the CLI with their native schedules. */
class FamiliesGenerateTest {
    @TempDir
    Path tmp;

    private static final String TOKENIZER = "tokenizer: {name: llamagen-vq, codebook_size: 64, codebook_embed_dim: 8, z_channels: 32, ch: 32, "
            + "decoder_ch_mult: [1, 2], num_res_blocks: 1, checkpoint: 'random:1'}\n";

    private Path yaml(String model, String order) throws Exception {
        Path p = tmp.resolve("p.yaml");
        Files.writeString(p, "model: " + model + "\n" + TOKENIZER + "backend: {name: cpu-vector}\norder: " + order
                + "\nsampling: {cfg_scale: 2.0, seed: 1}\n");
        return p;
    }

    @Test
    void parRunsItsRegionOrderAndRejectsAnotherRegionCount() throws Exception {
        Path p = yaml("{family: par, dim: 64, n_layer: 2, n_head: 4, vocab_size: 64, num_classes: 10, grid: 8, regions: 4, checkpoint: 'random:0'}",
                "{name: par, regions: 4}");
        CliTest.Run r = CliTest.run("generate", "--pipeline", p.toString(), "--class", "2", "--out", tmp.resolve("par.png").toString(), "-v");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("steps per image (forward passes): 19"), r.out()); // n + N/n − 1 = 4 + 16 − 1
        CliTest.Run bad = CliTest.run("generate", "--pipeline", p.toString(), "--set", "order.regions=16", "--out", tmp.resolve("x.png").toString());
        CliTest.assertOneLineError(bad, Tessera.EXIT_ERROR, "order.regions");
    }

    @Test
    void lpdRunsAnyOrder() throws Exception {
        Path p = yaml("{family: lpd, decoder_embed_dim: 64, decoder_depth: 2, decoder_num_heads: 4, vqgan_vocab_size: 64, class_num: 10, grid: 8, checkpoint: 'random:0'}",
                "{name: lpd, steps: 8}");
        for (String[] o : new String[][] {{"lpd", "8"}, {"raster", "64"}, {"random", "8"}, {"zipar", "28"}}) {
            String[] args = {"generate", "--pipeline", p.toString(), "--order", o[0], "--class", "3", "--out", tmp.resolve(o[0] + ".png").toString(), "-v",
                    "--set", "sampling.cfg_schedule=linear"};
            if (o[0].equals("lpd") || o[0].equals("random")) {
                args = GenerateTest.concat(args, "--set", "order.steps=8");
            }
            if (o[0].equals("zipar")) {
                args = GenerateTest.concat(args, "--set", "order.window=2");
            }
            CliTest.Run r = CliTest.run(args);
            assertEquals(0, r.code(), o[0] + ": " + r.err());
            assertTrue(r.out().contains("steps per image (forward passes): " + o[1]), o[0] + ": " + r.out());
        }
    }

    @Test
    void verboseStepsMatchThePapersNativeSchedules() throws Exception {
        // PAR-4× at 24×24: 147 passes (PAR Table 2); LPD at 32×32 with 48 steps: 48 (LPD Table 1)
        Path par = yaml("{family: par, dim: 32, n_layer: 1, n_head: 2, vocab_size: 64, num_classes: 10, grid: 24, regions: 4, checkpoint: 'random:0'}",
                "{name: par, regions: 4}");
        CliTest.Run r = CliTest.run("generate", "--pipeline", par.toString(), "--class", "0", "--out", tmp.resolve("p.png").toString(), "-v");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("steps per image (forward passes): 147;"), r.out());
        Path lpd = yaml("{family: lpd, decoder_embed_dim: 32, decoder_depth: 1, decoder_num_heads: 2, vqgan_vocab_size: 64, class_num: 10, grid: 32, checkpoint: 'random:0'}",
                "{name: lpd, steps: 48}");
        CliTest.Run l = CliTest.run("generate", "--pipeline", lpd.toString(), "--class", "0", "--out", tmp.resolve("l.png").toString(), "-v");
        assertEquals(0, l.code(), l.err());
        assertTrue(l.out().contains("steps per image (forward passes): 48;"), l.out());
        Path lpd16 = yaml("{family: lpd, decoder_embed_dim: 32, decoder_depth: 1, decoder_num_heads: 2, vqgan_vocab_size: 64, class_num: 10, grid: 16, checkpoint: 'random:0'}",
                "{name: lpd, steps: 20}");
        CliTest.Run l16 = CliTest.run("generate", "--pipeline", lpd16.toString(), "--class", "0", "--out", tmp.resolve("l16.png").toString(), "-v");
        assertTrue(l16.out().contains("steps per image (forward passes): 20;"), l16.out());
    }
}
