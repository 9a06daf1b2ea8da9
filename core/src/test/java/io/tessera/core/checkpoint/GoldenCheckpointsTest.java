package io.tessera.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writers' bytes are frozen in committed golden files (made by {@link GoldenCheckpoints}). */
class GoldenCheckpointsTest {
    @TempDir
    Path dir;

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = GoldenCheckpointsTest.class.getResourceAsStream("/golden/" + name)) {
            assertNotNull(in, "missing golden file " + name + "; run GoldenCheckpoints.main");
            return GoldenCheckpoints.fromHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void safetensorsWriterMatchesGoldenBytes() throws IOException {
        byte[] expected = golden(GoldenCheckpoints.SAFETENSORS);
        byte[] actual = GoldenCheckpoints.safetensorsBytes(dir);
        assertEquals(GoldenCheckpoints.toHex(expected), GoldenCheckpoints.toHex(actual),
                "safetensors format drift (regenerate with GoldenCheckpoints.main only if intended)");
        String head = new String(expected, 8, 46, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},\"norm.weight\":", head);
    }

    @Test
    void ptWriterMatchesGoldenBytes() throws IOException {
        byte[] expected = golden(GoldenCheckpoints.PT);
        byte[] actual = GoldenCheckpoints.ptBytes(dir);
        assertEquals(GoldenCheckpoints.toHex(expected), GoldenCheckpoints.toHex(actual),
                ".pt format drift (regenerate with GoldenCheckpoints.main only if intended)");
    }

    @Test
    void goldenFilesReadBackToTheirTensors() throws IOException {
        Path st = Files.write(dir.resolve("golden.safetensors"), golden(GoldenCheckpoints.SAFETENSORS));
        Path pt = Files.write(dir.resolve("golden.pt"), golden(GoldenCheckpoints.PT));
        for (Path f : new Path[] {st, pt}) {
            try (Checkpoint c = Checkpoints.open(f)) {
                Fixtures.assertSameTensors(GoldenCheckpoints.tensors(), c.tensors());
                assertArrayEquals(new float[] {1f, -2.5f}, c.get("norm.weight").toFloatArray());
                assertArrayEquals(new float[] {1f, -2f}, c.get("tok.weight").toFloatArray());
                assertEquals(-7L, c.get("ids").getLong(0));
            }
        }
        try (Checkpoint c = Checkpoints.open(st)) {
            assertEquals(GoldenCheckpoints.metadata(), c.metadata());
        }
        try (Checkpoint c = Checkpoints.open(pt)) {
            assertEquals("3", c.metadata().get("pt.steps"));
            assertEquals("GPT-B", c.metadata().get("pt.args.gpt_model"));
        }
    }
}
