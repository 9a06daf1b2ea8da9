package io.tessera.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
    private static final String BASE = "kind: vq\nwork_dir: w\nout: o.safetensors\ntrain: {steps: 10}\n"
            + "model: {ch_mult: [1, 2]}\n";

    private static String error(String yaml) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Trainers.create(TrainConfig.parse(yaml, "train.yaml", Path.of("/tmp"))));
        assertTrue(e.getMessage().startsWith("train.yaml: "), e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
        return e.getMessage();
    }

    @Test
    void errorsNameTheFileAndYamlPath() {
        assertTrue(error(BASE.replace("steps: 10", "steps: 0")).contains("train.steps"));
        assertTrue(error(BASE.replace("kind: vq", "kind: diffusion")).contains("kind: must be vq, gpt, lpd or classifier"));
        assertTrue(error(BASE.replace("[1, 2]}", "[1, 2], ch: 48}")).contains("model.ch: must be a multiple of 32"));
        assertTrue(error(BASE.replace("[1, 2]}", "[1, 2, 2]}")).contains("model.ch_mult"));
        assertTrue(error(BASE.replace("[1, 2]}", "[1, 2], codebok_size: 5}")).contains("model.codebok_size: unknown key"));
        assertTrue(error(BASE + "devise: cpu\n").contains("devise: unknown key"));
        assertTrue(error(BASE.replace("steps: 10", "steps: 10, lr: -1")).contains("train.lr"));
        assertTrue(error(BASE + "save_dtype: f16\n").contains("save_dtype"));
        assertTrue(error(BASE.replace("kind: vq", "kind: gpt").replace("model: {ch_mult: [1, 2]}", "model: {dim: 30, n_head: 4}")
                + "tokenizer: {checkpoint: vq.safetensors}\n").contains("model.n_head"));
        assertTrue(error(BASE.replace("kind: vq", "kind: gpt").replace("model: {ch_mult: [1, 2]}", "model: {dim: 32}")).contains("tokenizer.checkpoint: is required"));
        assertTrue(error("kind: [vq\n").contains("malformed YAML"));
    }
}
