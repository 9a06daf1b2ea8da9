package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example third-party order (examples/spiral-order, built before app by the reactor) loaded from
 * a plugins directory by name, as a user installs one.
 */
class PluginDirTest {
    static final Path SPIRAL_JAR = Path.of("..", "examples", "spiral-order", "target", "spiral-order-0.1.0-SNAPSHOT.jar");

    @TempDir
    Path tmp;

    static Path pluginsDir(Path tmp) throws Exception {
        assertTrue(Files.isRegularFile(SPIRAL_JAR), "build the example plugin first (the root reactor does): " + SPIRAL_JAR.toAbsolutePath());
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        Files.copy(SPIRAL_JAR, plugins.resolve(SPIRAL_JAR.getFileName()));
        return plugins;
    }

    @Test
    void theSpiralPluginIsFoundByNameInAPluginsDirectory() throws Exception {
        Path plugins = pluginsDir(tmp);
        CliTest.Run list = CliTest.run("orders", "--plugins", plugins.toString(), "--list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("spiral") && list.out().contains("plugin spiral-order"), list.out());
        CliTest.Run r = CliTest.run("orders", "--plugins", plugins.toString(), "--order", "spiral:per_pass=8", "--picture", tmp.resolve("pics").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().replaceAll(" +", " ").contains("spiral:per_pass=8 16x16 32 8 8.00 8"), r.out());
        CliTest.Run without = CliTest.run("orders", "--order", "spiral");
        assertEquals(Tessera.EXIT_ERROR, without.code());
    }

    @Test
    void aModelGeneratesWithThePluginOrder() throws Exception {
        Path plugins = pluginsDir(tmp);
        Path p = tmp.resolve("lpd.yaml");
        Files.writeString(p, """
                model: {family: lpd, decoder_embed_dim: 64, decoder_depth: 2, decoder_num_heads: 4, vqgan_vocab_size: 64, class_num: 10, grid: 8, checkpoint: 'random:0'}
                tokenizer: {name: llamagen-vq, codebook_size: 64, codebook_embed_dim: 8, z_channels: 32, ch: 32, decoder_ch_mult: [1, 2], num_res_blocks: 1, checkpoint: 'random:1'}
                backend: {name: cpu-vector}
                order: {name: spiral, per_pass: 16}
                sampling: {cfg_scale: 2.0, seed: 0}
                """);
        CliTest.Run r = CliTest.run("generate", "--plugins", plugins.toString(), "--pipeline", p.toString(), "--class", "1",
                "--out", tmp.resolve("spiral.png").toString(), "-v");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("order: spiral") && r.out().contains("steps per image (forward passes): 4;"), r.out());
        CliTest.Run noPlugin = CliTest.run("generate", "--pipeline", p.toString(), "--out", tmp.resolve("x.png").toString());
        CliTest.assertOneLineError(noPlugin, Tessera.EXIT_ERROR, "unknown order 'spiral'");
    }
}
