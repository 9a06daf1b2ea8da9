package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.checkpoint.SafetensorsWriter;
import io.tessera.core.checkpoint.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue #16 through the command line: hostile and odd inputs give one escaped line, the right exit code and no files. */
class HostileInputCliTest {
    private static final Path MODELS = Path.of("..", "models", "fmnist").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    /** The default pipeline with its GPT and VQ replaced by (edited) copies in tmp. */
    private Path pipeline(UnaryOperator<Map<String, Tensor>> gpt, UnaryOperator<Map<String, Tensor>> vq, String extra) throws Exception {
        Path g = copy("gpt.safetensors", gpt);
        Path v = copy("vq.safetensors", vq);
        String yaml = Files.readString(Path.of("..", "pipelines", "default.yaml"))
                .replace("../models/fmnist/gpt.safetensors", g.toString())
                .replace("../models/fmnist/vq.safetensors", v.toString()) + extra;
        Path p = tmp.resolve("p.yaml");
        Files.writeString(p, yaml);
        return p;
    }

    private Path copy(String name, UnaryOperator<Map<String, Tensor>> edit) {
        Path out = tmp.resolve(name);
        try (Checkpoint c = Checkpoints.open(MODELS.resolve(name))) {
            SafetensorsWriter.write(out, edit.apply(new LinkedHashMap<>(c.tensors())));
        }
        return out;
    }

    private static UnaryOperator<Map<String, Tensor>> poison(String tensor, float value) {
        return m -> {
            Tensor t = m.get(tensor);
            float[] v = t.toFloatArray();
            v[v.length / 2] = value;
            m.put(tensor, Tensor.ofFloats(tensor, t.shape(), v));
            return m;
        };
    }

    private List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png") || n.endsWith(".npy") || n.endsWith(".tmp"))
                    .sorted().toList();
        }
    }

    private static void oneLine(CliTest.Run r, int code, String... contains) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), () -> "exactly one line: " + r.err());
        for (String c : contains) {
            assertTrue(r.err().contains(c), () -> "lacks '" + c + "': " + r.err());
        }
    }

    @Test
    void controlCharactersAndHugeValuesCannotForgeOutput() throws Exception {
        Path out = tmp.resolve("g.png");
        CliTest.Run r = CliTest.run("generate", "--order", "zip\ntessera: wrote g.png\u001b[2J", "--out", out.toString());
        oneLine(r, Tessera.EXIT_ERROR, "zip\\ntessera: wrote g.png\\x1b[2J");
        assertFalse(r.err().contains("\u001b") || r.err().contains("\r"));
        CliTest.Run big = CliTest.run("generate", "--set", "order.name=" + "A".repeat(2_500_000), "--out", out.toString());
        oneLine(big, Tessera.EXIT_ERROR, "(2500000 characters)");
        assertTrue(big.err().length() < 1000, () -> "length " + big.err().length());
        // Hostile tensor names: escaped in the error and in inspect's listing.
        Path gpt = copy("gpt.safetensors", m -> {
            m.put("evil\n\u001b[31mname", Tensor.ofFloats("evil\n\u001b[31mname", new long[] {1}, new float[1]));
            return m;
        });
        CliTest.Run inspect = CliTest.run("inspect", gpt.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("evil\\n\\x1b[31mname") && !inspect.out().contains("\u001b"), inspect.out());
        assertEquals(List.of(), files());
    }

    @Test
    void usageErrorsAreOneSelfSufficientLine() {
        CliTest.Run r = CliTest.run("generate", "--no-such-flag");
        oneLine(r, Tessera.EXIT_USAGE, "tessera: Unknown option: '--no-such-flag' (usage: tessera generate --help)");
        oneLine(CliTest.run("generate", "--n", "2000000000"), Tessera.EXIT_USAGE, "--n 2000000000", "more than one grid image can hold");
        oneLine(CliTest.run("generate", "--n", "99999999999"), Tessera.EXIT_USAGE, "--n");
    }

    @Test
    void inputErrorsThatWereInternalAreOneLineExitOne() throws Exception {
        Path out = tmp.resolve("g.png");
        oneLine(CliTest.run("orders", "--order", "zipar:window=[1"), Tessera.EXIT_ERROR,
                "order 'zipar:window=[1': option window: malformed YAML");
        oneLine(CliTest.run("generate", "--set", "sampling.cfg_scale=.inf", "--out", out.toString()), Tessera.EXIT_ERROR,
                "sampling.cfg_scale: must be a finite number, got Infinity");
        Path npy = tmp.resolve("cells.npy");
        byte[] header = "{'descr': '<i4', 'shape': (256,\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + header.length + 1024).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length).put(header);
        Files.write(npy, b.array());
        oneLine(CliTest.run("generate", "--order", "explicit", "--set", "order.file=" + npy, "--set", "order.group_sizes=[256]",
                "--out", out.toString()), Tessera.EXIT_ERROR, "order.file: " + npy + ": header");
        assertFalse(Files.exists(out));
    }

    @Test
    void nanWeightsAreErrorsNotBlackImages() throws Exception {
        Path out = tmp.resolve("g.png");
        Path vqNan = pipeline(UnaryOperator.identity(), poison("decoder.conv_out.weight", Float.NaN), "");
        oneLine(CliTest.run("generate", "--pipeline", vqNan.toString(), "--out", out.toString()), Tessera.EXIT_ERROR,
                "vq.safetensors: tensor 'decoder.conv_out.weight' holds NaN");
        Path gptNan = pipeline(poison("output.weight", Float.NaN), UnaryOperator.identity(), "");
        oneLine(CliTest.run("generate", "--pipeline", gptNan.toString(), "--out", out.toString()), Tessera.EXIT_ERROR,
                "sampling: the model's conditional logits hold NaN");
        assertEquals(List.of(), files());
    }

    @Test
    void outputsAreAllOrNone() throws Exception {
        Path out = tmp.resolve("g.png");
        Path dirAsTokens = Files.createDirectory(tmp.resolve("tokens.npy"));
        oneLine(CliTest.run("generate", "--class", "1", "--out", out.toString(), "--tokens-out", dirAsTokens.toString()),
                Tessera.EXIT_ERROR, "tokens.npy: is a directory");
        assertEquals(List.of("tokens.npy"), files(), "no PNG without its tokens, no temporary");
    }

    @Test
    void runtimeBuffersAreAcceptedAndShown() throws Exception {
        Path p = pipeline(m -> {
            for (int i = 0; i < 3; i++) {
                m.put("layers." + i + ".attention.kv_cache.k_cache", Tensor.ofFloats("k", new long[] {1, 4, 8, 32}, new float[1024]));
                m.put("layers." + i + ".attention.kv_cache.v_cache", Tensor.ofFloats("v", new long[] {1, 4, 8, 32}, new float[1024]));
            }
            m.put("causal_mask", Tensor.ofFloats("causal_mask", new long[] {1, 8, 8}, new float[64]));
            return m;
        }, UnaryOperator.identity(), "");
        Path out = tmp.resolve("g.png");
        CliTest.Run r = CliTest.run("generate", "--pipeline", p.toString(), "--class", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(out));
        CliTest.Run inspect = CliTest.run("inspect", tmp.resolve("gpt.safetensors").toString());
        assertTrue(inspect.out().contains("layers.0.attention.kv_cache.k_cache") && inspect.out().contains("(runtime buffer, ignored)")
                && inspect.out().contains("runtime buffers: 7"), inspect.out());
        Path unknown = pipeline(m -> {
            m.put("layers.0.attention.kv_cache.z_cache", Tensor.ofFloats("z", new long[] {1}, new float[1]));
            return m;
        }, UnaryOperator.identity(), "");
        oneLine(CliTest.run("generate", "--pipeline", unknown.toString(), "--out", out.toString()), Tessera.EXIT_ERROR,
                "unexpected tensor 'layers.0.attention.kv_cache.z_cache'");
    }
}
