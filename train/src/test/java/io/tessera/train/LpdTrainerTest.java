package io.tessera.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lpd trainer on 64 tiny synthetic images and a tiny VQ, on the CPU. */
class LpdTrainerTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path vqFile;
    static Path lpdDir;
    static TrainResult result;

    static final String MODEL = "model: {decoder_embed_dim: 32, decoder_depth: 2, decoder_num_heads: 2, class_num: 10, label_drop_prob: 0.1, grid: 16}\n"
            + "schedule: {steps: [8, 12, 20]}\n";

    @BeforeAll
    static void tinyDataVqAndOneLpdRun() {
        data = TinyData.write(shared.resolve("data"), 64, 20);
        vqFile = shared.resolve("models/vq.safetensors");
        Trainers.create(config(shared, "vq", "vq", "out: models/vq.safetensors\n", 8, 4, 4e-3,
                "model: {codebook_size: 64, codebook_embed_dim: 8, z_channels: 32, ch: 32, ch_mult: [1, 2], num_res_blocks: 0}\n"))
                .run(Progress.silent());
        lpdDir = shared.resolve("lpdA");
        result = Trainers.create(config(lpdDir, "lpd", "l", "out: models/lpd.safetensors\nsave_dtype: bf16\n", 16, 8, 1e-2, lpdRest()))
                .run(Progress.silent());
    }

    static String lpdRest() {
        return "tokenizer: {checkpoint: " + vqFile.toAbsolutePath() + "}\n" + MODEL
                + "sample: {per_class: 1, steps: 8, cfg_scale: 2.0}\n";
    }

    static TrainConfig config(Path dir, String kind, String work, String out, int steps, int batch, double lr, String rest) {
        return TinyData.config(data, dir, kind, work, out, steps, batch, lr, rest);
    }

    @Test
    void lossGoesDownAndSamplesAreWritten() throws IOException {
        double[] l = TrainersTest.losses(lpdDir.resolve("runs/l/loss.csv"));
        assertEquals(16, l.length);
        assertTrue(TrainersTest.mean(l, 12, 16) < 0.8 * TrainersTest.mean(l, 0, 4), "loss " + java.util.Arrays.toString(l));
        assertTrue(result.finished());
        assertTrue(result.metrics().containsKey("test_loss") && result.metrics().containsKey("test_loss_bf16"));
        assertTrue(Files.exists(lpdDir.resolve("runs/l/lpd_samples.png")));
        assertTrue(Files.exists(lpdDir.resolve("runs/l/tokens.safetensors")));
    }

    @Test
    void exportLoadsAsTheOfficialLayout() {
        MemoryCheckpoint ckpt = TrainIo.loadSafetensors(lpdDir.resolve("models/lpd.safetensors"));
        LpdConfig c = new LpdConfig(32, 2, 2, 4.0, 64, 10, 1e-6f, 16);
        LpdWeights w = new LpdWeights(c, ckpt); // every name and shape, nothing unexpected
        assertEquals(LpdWeights.layout(c).keySet(), ckpt.tensors().keySet());
        assertEquals(DType.BF16, w.head().dtype());
        assertArrayEquals(new long[] {1, 257, 32}, w.posEmbed().shape());
        assertEquals("lpd", ckpt.metadata().get("family"));
        assertEquals("2", ckpt.metadata().get("decoder_num_heads"));
        assertEquals("8,12,20", ckpt.metadata().get("train_steps"));
    }

    @Test
    void resumeAfterInterruptionEqualsUninterruptedRun() throws IOException {
        Path b = shared.resolve("lpdB");
        Files.createDirectories(b.resolve("runs/l"));
        Files.copy(lpdDir.resolve("runs/l/tokens.safetensors"), b.resolve("runs/l/tokens.safetensors"));
        String out = "out: models/lpd.safetensors\nsave_dtype: bf16\n";
        TrainResult first = Trainers.create(config(b, "lpd", "l", out, 16, 8, 1e-2, lpdRest())).runUntil(9, Progress.silent());
        assertFalse(first.finished());
        Trainers.create(config(b, "lpd", "l", out, 16, 8, 1e-2, lpdRest())).run(Progress.silent());
        MemoryCheckpoint ca = TrainIo.loadSafetensors(lpdDir.resolve("models/lpd.safetensors"));
        MemoryCheckpoint cb = TrainIo.loadSafetensors(b.resolve("models/lpd.safetensors"));
        for (Map.Entry<String, Tensor> e : ca.tensors().entrySet()) {
            assertTrue(e.getValue().sameAs(cb.get(e.getKey())), "differs after resume: " + e.getKey());
        }
        assertArrayEquals(TrainersTest.losses(lpdDir.resolve("runs/l/loss.csv")), TrainersTest.losses(b.resolve("runs/l/loss.csv")));
    }

    @Test
    void configErrorsNameFileAndPath() {
        String base = "tokenizer: {checkpoint: " + vqFile.toAbsolutePath() + "}\n";
        ConfigException e = assertThrows(ConfigException.class, () -> Trainers.create(config(shared, "lpd", "e", "out: x.safetensors\n", 2, 2, 1e-3,
                base + "model: {decoder_embed_dim: 30, decoder_num_heads: 4}\n")));
        assertTrue(e.getMessage().startsWith("test-e.yaml: model.decoder_num_heads:"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Trainers.create(config(shared, "lpd", "e", "out: x.safetensors\n", 2, 2, 1e-3,
                base + "schedule: {steps: [1, 20]}\n")));
        assertTrue(e.getMessage().startsWith("test-e.yaml: schedule.steps:"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Trainers.create(config(shared, "lpd", "e", "out: x.safetensors\n", 2, 2, 1e-3,
                base + "model: {depth: 3}\n")));
        assertTrue(e.getMessage().startsWith("test-e.yaml: model.depth:"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Trainers.create(config(shared, "lpd", "e", "out: x.safetensors\n", 2, 2, 1e-3,
                base + "sample: {order: raster}\n")));
        assertTrue(e.getMessage().startsWith("test-e.yaml: sample.order:"), e.getMessage());
        for (String kind : new String[] {"lpd", "gpt"}) {
            e = assertThrows(ConfigException.class, () -> Trainers.create(config(shared, kind, "e", "out: x.safetensors\n", 2, 2, 1e-3,
                    base + "model: {grid: 8}\n")));
            assertEquals("test-e.yaml: model.grid: must be 16 (32 px images, 2× VQ), got 8", e.getMessage(), kind);
        }
    }
}
