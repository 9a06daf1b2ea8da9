package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The same pipeline and seed on cpu-vector and on libtorch (CPU): identical tokens, the same picture. */
class CrossBackendTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"raster", "zipar:4"})
    void torchAndCpuVectorGenerateTheSameImages(String order) throws Exception {
        String[] base = order.startsWith("zipar") ? new String[] {"generate", "--order", "zipar", "--set", "order.window=4"}
                : new String[] {"generate", "--order", order};
        String[] common = GenerateTest.concat(base, "--class", "1", "--class", "4", "--class", "9", "--seed", "3", "--set", "sampling.top_k=8");
        Path npyA = tmp.resolve("cpu.npy");
        Path npyB = tmp.resolve("torch.npy");
        Path pngA = tmp.resolve("cpu.png");
        Path pngB = tmp.resolve("torch.png");
        CliTest.Run a = CliTest.run(GenerateTest.concat(common, "--backend", "cpu-vector", "--out", pngA.toString(), "--tokens-out", npyA.toString()));
        assertEquals(0, a.code(), a.err());
        CliTest.Run b = CliTest.run(GenerateTest.concat(common, "--backend", "torch", "--out", pngB.toString(), "--tokens-out", npyB.toString()));
        assertEquals(0, b.code(), b.err());
        assertArrayEquals(GenerateTest.npyBody(npyA), GenerateTest.npyBody(npyB), "sampled tokens");
        BufferedImage ia = ImageIO.read(pngA.toFile());
        BufferedImage ib = ImageIO.read(pngB.toFile());
        int maxDiff = 0;
        for (int y = 0; y < ia.getHeight(); y++) {
            for (int x = 0; x < ia.getWidth(); x++) {
                int pa = ia.getRGB(x, y);
                int pb = ib.getRGB(x, y);
                for (int s = 0; s < 24; s += 8) {
                    maxDiff = Math.max(maxDiff, Math.abs((pa >> s & 0xff) - (pb >> s & 0xff)));
                }
            }
        }
        assertTrue(maxDiff <= 1, "8-bit pixels differ by at most one level (decoder rel. error < 1e-3), got " + maxDiff);
    }
}
