package io.tessera.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;

/** TEMPORARY (not committed): 50-step tiny gpt + lpd runs; copies loss.csv/metrics.txt to $DEDUPE_OUT. */
class DedupeLossParityTest {
    @Test
    void run() throws Exception {
        Path out = Path.of(System.getenv().getOrDefault("DEDUPE_OUT", "/tmp/dedupe/none"));
        Files.createDirectories(out);
        Path shared = Files.createTempDirectory("dedupe");
        Path data = TinyData.write(shared.resolve("data"), 64, 20);
        String base = "seed: 7\ndevice: cpu\nthreads: 1\ndata: {dir: " + data.toAbsolutePath() + ", test_limit: 20}\n";
        String train = "train: {steps: 50, batch_size: 8, lr: 1e-2, warmup_steps: 2, log_every: 5, checkpoint_every: 20}\n";
        Trainers.create(TrainConfig.parse("kind: vq\n" + base + "work_dir: runs/vq\nout: models/vq.safetensors\n"
                + "train: {steps: 8, batch_size: 4, lr: 4e-3, warmup_steps: 2, log_every: 2, checkpoint_every: 3}\n"
                + TrainersTest.VQ_MODEL, "vq.yaml", shared)).run(Progress.silent());
        Path vq = shared.resolve("models/vq.safetensors").toAbsolutePath();
        Trainers.create(TrainConfig.parse("kind: gpt\n" + base + "work_dir: runs/gpt\nout: models/gpt.safetensors\n" + train
                + "tokenizer: {checkpoint: " + vq + "}\n"
                + "model: {dim: 32, n_layer: 2, n_head: 2, num_classes: 10, class_dropout_prob: 0.1, grid: 16}\n"
                + "sample: {per_class: 1, cfg_scale: 2.0, top_k: 0}\n", "gpt.yaml", shared)).run(Progress.lines(System.err));
        Trainers.create(TrainConfig.parse("kind: lpd\n" + base + "work_dir: runs/lpd\nout: models/lpd.safetensors\n" + train
                + "tokenizer: {checkpoint: " + vq + "}\n" + LpdTrainerTest.MODEL
                + "sample: {per_class: 1, steps: 8, cfg_scale: 2.0}\n", "lpd.yaml", shared)).run(Progress.lines(System.err));
        for (String k : new String[] {"gpt", "lpd"}) {
            for (String f : new String[] {"loss.csv", "metrics.txt", k + "_samples.png"}) {
                Files.copy(shared.resolve("runs/" + k + "/" + f), out.resolve(k + "_" + f), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.copy(shared.resolve("models/" + k + ".safetensors"), out.resolve(k + ".safetensors"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
