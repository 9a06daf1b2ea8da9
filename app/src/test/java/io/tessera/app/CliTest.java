package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.checkpoint.PtWriter;
import io.tessera.core.checkpoint.SafetensorsWriter;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.RandomWeights;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end, in process: outputs, exit codes and one-line errors. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Tessera.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static void assertOneLineError(Run r, int code, String contains) {
        assertEquals(code, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines[0].startsWith("tessera: ") && lines[0].contains(contains), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --stacktrace: " + r.err());
    }

    @Test
    void inspectRecognisesLlamaGenLayoutsInBothFormats() {
        LlamaGenConfig c = LlamaGenConfig.of(64, 3, 4, 4);
        Map<String, Tensor> gpt = RandomWeights.llamaGen(c, 0);
        Path pt = tmp.resolve("c2i_tiny.pt");
        PtWriter.write(pt, gpt);
        Run r = run("inspect", pt.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("layers.2.attention.wqkv.weight"), r.out());
        assertTrue(r.out().contains("family: llamagen, preset: custom"), r.out());
        assertTrue(r.out().contains("n_layer: 3"), r.out());

        Path vq = tmp.resolve("vq.safetensors");
        SafetensorsWriter.write(vq, RandomWeights.vq(new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 1, 3), 1));
        Run v = run("inspect", "--summary", vq.toString());
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("family: llamagen-vq"), v.out());
        assertTrue(v.out().contains("decoder_ch_mult: [1, 2]"), v.out());
    }

    @Test
    void convertGivesIdenticalTensors() {
        LlamaGenConfig c = LlamaGenConfig.of(64, 2, 4, 4);
        Path pt = tmp.resolve("model.pt");
        PtWriter.write(pt, RandomWeights.llamaGen(c, 3));
        Path st = tmp.resolve("out/model.safetensors");
        Run r = run("convert", pt.toString(), st.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("family: llamagen"), r.out());
        try (Checkpoint a = Checkpoints.open(pt); Checkpoint b = Checkpoints.open(st)) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (String n : a.tensors().keySet()) {
                assertTrue(a.get(n).sameAs(b.get(n)), n);
            }
        }
    }

    @Test
    void badFilesGiveOneLineErrorsAndWriteNothing() throws Exception {
        Path bad = tmp.resolve("broken.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        assertOneLineError(run("inspect", bad.toString()), Tessera.EXIT_ERROR, "broken.safetensors");
        Path evil = tmp.resolve("evil.pt");
        PtWriter.writeForbiddenGlobal(evil, "os", "system", "echo pwned");
        Path target = tmp.resolve("never.safetensors");
        assertOneLineError(run("convert", evil.toString(), target.toString()), Tessera.EXIT_ERROR, "os.system");
        assertFalse(Files.exists(target));
        try (var files = Files.list(tmp)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
        assertOneLineError(run("inspect", tmp.resolve("missing.pt").toString()), Tessera.EXIT_ERROR, "missing.pt");
    }

    @Test
    void usageErrorsExitWithTwo() {
        Run r = run("generate", "--no-such-flag");
        assertEquals(Tessera.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("--no-such-flag"), r.err());
        assertEquals(Tessera.EXIT_USAGE, run("frobnicate").code());
    }

    @Test
    void yamlErrorsNameThePath() throws Exception {
        Path p = tmp.resolve("p.yaml");
        Files.writeString(p, "order: {name: zipar, window: 1}\nsampling: {cfg_scale: 2}\n");
        assertOneLineError(run("generate", "--pipeline", p.toString(), "--backend", "nope", "--out", tmp.resolve("g.png").toString()),
                Tessera.EXIT_ERROR, "backend.name: unknown backend 'nope'");
        assertOneLineError(run("generate", "--pipeline", p.toString(), "--set", "model.dim=-3", "--out", tmp.resolve("g.png").toString()),
                Tessera.EXIT_ERROR, "model.");
        assertFalse(Files.exists(tmp.resolve("g.png")));
    }

    @Test
    void ordersTableHasThePublishedPassCounts() throws Exception {
        Path pics = tmp.resolve("pics");
        Run r = run("orders", "--grid", "16x16", "--grid", "24x24", "--order", "zipar:window=4", "--order", "zipar:window=8",
                "--order", "par:regions=4", "--order", "par:regions=16", "--picture", pics.toString());
        assertEquals(0, r.code(), r.err());
        for (String row : new String[] {"zipar:window=4 16x16 88", "zipar:window=8 24x24 224",
                "par:regions=4 16x16 67", "par:regions=16 24x24 51", "par:regions=4 24x24 147"}) {
            assertTrue(r.out().replaceAll(" +", " ").contains(row), row + "\n" + r.out());
        }
        try (var files = Files.list(pics)) {
            assertEquals(8, files.filter(f -> f.toString().endsWith(".png")).count());
        }
        assertOneLineError(run("orders", "--grid", "0x4"), Tessera.EXIT_ERROR, "--grid");
        assertOneLineError(run("orders", "--order", "spiral"), Tessera.EXIT_ERROR, "unknown order 'spiral'");
    }
}
