package io.tessera.train;

import io.tessera.datasets.ClassifierJava;
import io.tessera.datasets.FashionMnist;
import io.tessera.datasets.FmnistClassifier;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every trainer on 64 tiny synthetic images, a few steps each, on the CPU. */
class TrainersTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path vqFile;

    static final String VQ_MODEL = "model: {codebook_size: 64, codebook_embed_dim: 8, z_channels: 32, ch: 32, ch_mult: [1, 2], num_res_blocks: 0}\n";
    static final String CLF_MODEL = "model: {widths: [8, 16, 32], features: 24}\n";

    @BeforeAll
    static void tinyData() {
        data = TinyData.write(shared.resolve("data"), 64, 20);
        vqFile = shared.resolve("models/vq.safetensors");
        Trainer t = Trainers.create(config(shared, "vq", "vqmain", "out: models/vq.safetensors\n", 8, 4, 4e-3, VQ_MODEL));
        t.run(Progress.silent());
    }

    static TrainConfig config(Path dir, String kind, String work, String out, int steps, int batch, double lr, String rest) {
        return TinyData.config(data, dir, kind, work, out, steps, batch, lr, rest);
    }

    static double[] losses(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        return lines.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[2])).toArray();
    }

    static double mean(double[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s / (to - from);
    }

    @Test
    void vqLossGoesDownAndExportLoadsAsOfficialLayout() throws IOException {
        double[] l = losses(shared.resolve("runs/vqmain/loss.csv"));
        assertEquals(8, l.length);
        assertTrue(mean(l, 6, 8) < 0.7 * mean(l, 0, 2), "loss " + java.util.Arrays.toString(l));
        assertTrue(Files.size(shared.resolve("runs/vqmain/loss.png")) > 1000);
        assertTrue(Files.exists(shared.resolve("runs/vqmain/vq_recon.png")));

        MemoryCheckpoint ckpt = TrainIo.loadSafetensors(vqFile);
        VqConfig c = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 0, 3);
        VqWeights w = new VqWeights(c, ckpt); // every decoder tensor present with the official shape
        assertEquals(2, w.levels().size());
        for (Map.Entry<String, long[]> e : VqWeights.layout(c).entrySet()) {
            assertArrayEquals(e.getValue(), ckpt.get(e.getKey()).shape(), e.getKey());
        }
        for (String name : List.of("encoder.conv_in.weight", "encoder.conv_blocks.0.downsample.conv.weight",
                "encoder.mid.0.conv1.weight", "encoder.mid.1.proj_out.bias", "encoder.norm_out.weight",
                "encoder.conv_out.weight", "quant_conv.weight")) {
            assertTrue(ckpt.has(name), name);
        }
        assertArrayEquals(new long[] {8, 32, 1, 1}, ckpt.get("quant_conv.weight").shape());
        assertEquals(c, VqTrainer.vqConfigFromMetadata(ckpt.metadata(), "x"));
        // the codebook rows are l2-normalised at init and stay finite
        for (float v : ckpt.get("quantize.embedding.weight").toFloatArray()) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void resumeAfterInterruptionEqualsUninterruptedRun() {
        String out = "out: models/r.safetensors\n";
        Path a = shared.resolve("resumeA");
        Path b = shared.resolve("resumeB");
        Trainers.create(config(a, "classifier", "r", out, 6, 8, 2e-3, CLF_MODEL)).run(Progress.silent());
        TrainResult first = Trainers.create(config(b, "classifier", "r", out, 6, 8, 2e-3, CLF_MODEL)).runUntil(3, Progress.silent());
        assertFalse(first.finished());
        assertNull(first.out());
        TrainResult second = Trainers.create(config(b, "classifier", "r", out, 6, 8, 2e-3, CLF_MODEL)).run(Progress.silent());
        assertTrue(second.finished());
        MemoryCheckpoint ca = TrainIo.loadSafetensors(a.resolve("models/r.safetensors"));
        MemoryCheckpoint cb = TrainIo.loadSafetensors(b.resolve("models/r.safetensors"));
        assertEquals(ca.tensors().keySet(), cb.tensors().keySet());
        for (String k : ca.tensors().keySet()) {
            assertTrue(ca.get(k).sameAs(cb.get(k)), "parameter differs after resume: " + k);
        }
        MemoryCheckpoint sa = TrainIo.loadSafetensors(a.resolve("runs/r/checkpoint.safetensors"));
        MemoryCheckpoint sb = TrainIo.loadSafetensors(b.resolve("runs/r/checkpoint.safetensors"));
        assertEquals("6", sb.metadata().get("step"));
        for (String k : sa.tensors().keySet()) {
            assertTrue(sa.get(k).sameAs(sb.get(k)), "optimizer/param state differs after resume: " + k);
        }
        assertEquals(6, TrainIoAccess.lines(b.resolve("runs/r/loss.csv")) - 1, "loss.csv has one row per step");
    }

    @Test
    void initWarmStartsFromAnExportedModel() {
        Path a = shared.resolve("initA");
        Trainers.create(config(a, "classifier", "i", "out: models/a.safetensors\n", 4, 8, 2e-3, CLF_MODEL)).run(Progress.silent());
        Path src = a.resolve("models/a.safetensors");
        // one step at a vanishing learning rate: the export is the init weights (the fresh run's are not)
        Trainers.create(config(a, "classifier", "w", "out: models/w.safetensors\ninit: models/a.safetensors\n", 1, 8, 1e-12, CLF_MODEL))
                .run(Progress.silent());
        Trainers.create(config(a, "classifier", "f", "out: models/f.safetensors\n", 1, 8, 1e-12, CLF_MODEL)).run(Progress.silent());
        MemoryCheckpoint init = TrainIo.loadSafetensors(src);
        MemoryCheckpoint warm = TrainIo.loadSafetensors(a.resolve("models/w.safetensors"));
        MemoryCheckpoint fresh = TrainIo.loadSafetensors(a.resolve("models/f.safetensors"));
        double warmDiff = 0;
        double freshDiff = 0;
        for (String k : init.tensors().keySet()) {
            float[] x = init.get(k).toFloatArray();
            float[] y = warm.get(k).toFloatArray();
            float[] z = fresh.get(k).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                warmDiff = Math.max(warmDiff, Math.abs(x[i] - y[i]));
                freshDiff = Math.max(freshDiff, Math.abs(x[i] - z[i]));
            }
        }
        assertTrue(warmDiff < 1e-6, "warm start moved the weights by " + warmDiff);
        assertTrue(freshDiff > 1e-3, "a fresh run should start elsewhere, max difference " + freshDiff);

        TrainConfig missing = config(a, "classifier", "m", "out: models/m.safetensors\ninit: models/none.safetensors\n", 1, 8, 1e-3, CLF_MODEL);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(io.tessera.core.CheckpointException.class,
                () -> Trainers.create(missing).run(Progress.silent()));
        assertTrue(e.getMessage().contains("init: ") && e.getMessage().contains("none.safetensors"), e.getMessage());
    }

    @Test
    void gptTrainsOnVqTokensExportsOfficialLayoutAndResumes() throws IOException {
        String rest = "tokenizer: {checkpoint: " + vqFile.toAbsolutePath() + "}\n"
                + "model: {dim: 32, n_layer: 2, n_head: 2, num_classes: 10, class_dropout_prob: 0.1, grid: 16}\n"
                + "sample: {per_class: 1, cfg_scale: 2.0, top_k: 0}\n";
        Path a = shared.resolve("gptA");
        Trainer t = Trainers.create(config(a, "gpt", "g", "out: models/gpt.safetensors\nsave_dtype: bf16\n", 16, 8, 1e-2, rest));
        TrainResult r = t.run(Progress.silent());
        double[] l = losses(a.resolve("runs/g/loss.csv"));
        assertTrue(mean(l, 12, 16) < 0.8 * mean(l, 0, 4), "loss " + java.util.Arrays.toString(l));
        assertTrue(r.metrics().containsKey("test_loss") && r.metrics().containsKey("test_loss_bf16"));
        assertTrue(Files.exists(a.resolve("runs/g/gpt_samples.png")));
        assertTrue(Files.exists(a.resolve("runs/g/tokens.safetensors")));

        MemoryCheckpoint ckpt = TrainIo.loadSafetensors(a.resolve("models/gpt.safetensors"));
        LlamaGenConfig c = new LlamaGenConfig(32, 2, 2, 2, 256, Float.NaN, 1e-5f, 10000f, 64, 10, 1, 0.1f, 16);
        LlamaGenWeights w = new LlamaGenWeights(c, ckpt); // names, shapes, nothing unexpected
        assertEquals(11, w.clsEmbedding().dim(0));     // 10 classes + null class
        assertEquals(DType.BF16, w.output().dtype());
        assertEquals(LlamaGenWeights.layout(c).keySet(), ckpt.tensors().keySet());

        // resume: an interrupted second run (same work dir layout elsewhere) reaches the same weights
        Path b = shared.resolve("gptB");
        Files.createDirectories(b.resolve("runs/g"));
        Files.copy(a.resolve("runs/g/tokens.safetensors"), b.resolve("runs/g/tokens.safetensors"));
        Trainers.create(config(b, "gpt", "g", "out: models/gpt.safetensors\nsave_dtype: bf16\n", 16, 8, 1e-2, rest)).runUntil(9, Progress.silent());
        Trainers.create(config(b, "gpt", "g", "out: models/gpt.safetensors\nsave_dtype: bf16\n", 16, 8, 1e-2, rest)).run(Progress.silent());
        MemoryCheckpoint cb = TrainIo.loadSafetensors(b.resolve("models/gpt.safetensors"));
        for (Map.Entry<String, Tensor> e : ckpt.tensors().entrySet()) {
            assertTrue(e.getValue().sameAs(cb.get(e.getKey())), "differs after resume: " + e.getKey());
        }
    }

    @Test
    void classifierLearnsAndHelperGivesLogitsAndFeatures() throws IOException {
        Path a = shared.resolve("clf");
        TrainResult r = Trainers.create(config(a, "classifier", "c", "out: models/clf.safetensors\n", 30, 16, 3e-3, CLF_MODEL))
                .run(Progress.silent());
        double[] l = losses(a.resolve("runs/c/loss.csv"));
        assertTrue(mean(l, 26, 30) < 0.7 * mean(l, 0, 4), "loss " + java.util.Arrays.toString(l));
        assertTrue(r.metrics().get("test_accuracy") >= 0.0);
        try (FmnistClassifier clf = FmnistClassifier.load(a.resolve("models/clf.safetensors"), "cpu")) {
            FashionMnist test = FashionMnist.load(data, false);
            float[] img = test.images(new int[] {0, 1, 2}, null);
            FmnistClassifier.Result res = clf.forward(img, 3);
            assertEquals(3 * 10, res.logits().length);
            assertEquals(24, res.featureDim());
            assertEquals(3 * 24, res.features().length);
            for (float f : res.features()) {
                assertTrue(f >= 0, "features are post-ReLU");
            }
            assertEquals(3, clf.predict(img, 3).length);
            // the pure-Java forward computes the same numbers
            FmnistClassifier.Result java = new ClassifierJava(TrainIo.loadSafetensors(a.resolve("models/clf.safetensors"))).forward(img, 3);
            for (int i = 0; i < res.logits().length; i++) {
                assertEquals(res.logits()[i], java.logits()[i], 1e-4, "logit " + i);
            }
            for (int i = 0; i < res.features().length; i++) {
                assertEquals(res.features()[i], java.features()[i], 1e-4, "feature " + i);
            }
        }
    }
}
