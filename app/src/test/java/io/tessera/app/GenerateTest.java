package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera generate} end to end on the embedded default pipeline and on orders from a plugin directory. */
class GenerateTest {
    @TempDir
    Path tmp;

    static byte[] npyBody(Path p) throws Exception {
        byte[] all = Files.readAllBytes(p);
        int headerLen = (all[8] & 0xff) | (all[9] & 0xff) << 8;
        return Arrays.copyOfRange(all, 10 + headerLen, all.length);
    }

    /** The little-endian int32 values of an .npy body. */
    static int[] ints(byte[] body) {
        int[] v = new int[body.length / 4];
        java.nio.ByteBuffer.wrap(body).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(v);
        return v;
    }

    @Test
    void defaultPipelineWritesAGridAndTokens() throws Exception {
        Path png = tmp.resolve("grid.png");
        Path npy = tmp.resolve("tokens.npy");
        CliTest.Run r = CliTest.run("generate", "--out", png.toString(), "--tokens-out", npy.toString(), "--n", "2", "--verbose");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("steps per image (forward passes): 256"), r.out());
        BufferedImage img = ImageIO.read(png.toFile());
        // 10 classes × 2 rows of 32-px images with 2-px gaps
        assertEquals(10 * 32 + 11 * 2, img.getWidth());
        assertEquals(2 * 32 + 3 * 2, img.getHeight());
        String header = new String(Files.readAllBytes(npy), 10, 70, java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(header.contains("'descr': '<i4'") && header.contains("'shape': (20, 16, 16)"), header);
        assertEquals(20 * 256 * 4, npyBody(npy).length);
    }

    @Test
    void aSeedGivesTheSameTokensWhateverTheThreadsAndBatch() throws Exception {
        Path a = tmp.resolve("a.npy");
        Path b = tmp.resolve("b.npy");
        Path c = tmp.resolve("c.npy");
        String[] common = {"generate", "--class", "3", "--class", "7", "--order", "zipar", "--set", "order.window=4"};
        assertEquals(0, CliTest.run(concat(common, "--seed", "5", "--out", tmp.resolve("a.png").toString(), "--tokens-out", a.toString(),
                "--set", "backend.threads=1", "--batch", "1")).code());
        assertEquals(0, CliTest.run(concat(common, "--seed", "5", "--out", tmp.resolve("b.png").toString(), "--tokens-out", b.toString(),
                "--set", "backend.threads=2", "--batch", "2")).code());
        assertEquals(0, CliTest.run(concat(common, "--seed", "6", "--out", tmp.resolve("c.png").toString(), "--tokens-out", c.toString())).code());
        assertArrayEquals(npyBody(a), npyBody(b));
        assertFalse(Arrays.equals(npyBody(a), npyBody(c)));
    }

    @Test
    void anImpossibleOrderFailsAtLoadWithOneLine() {
        CliTest.Run r = CliTest.run("generate", "--order", "par", "--out", tmp.resolve("x.png").toString());
        CliTest.assertOneLineError(r, Tessera.EXIT_ERROR, "order 'par' cannot drive a llamagen");
        assertFalse(Files.exists(tmp.resolve("x.png")));
    }

    static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
