package io.tessera.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.TesseraException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir
    Path dir;

    @Test
    void readsIdxAndPreprocessesToPaddedRgb() {
        byte[] px = new byte[2 * 28 * 28];
        px[0] = (byte) 255;             // image 0, (0, 0)
        px[28 * 28 + 27] = (byte) 51;   // image 1, (0, 27)
        FashionMnist.writeIdx(dir.resolve("i.gz"), dir.resolve("l.gz"), px, new byte[] {3, 9}, 2);
        FashionMnist d = FashionMnist.read(dir.resolve("i.gz"), dir.resolve("l.gz"));
        assertEquals(2, d.size());
        assertEquals(9, d.label(1));
        float[] img = d.images(new int[] {0, 1}, null);
        assertEquals(2 * 3 * 32 * 32, img.length);
        int plane = 32 * 32;
        assertEquals(-1f, img[0]);                                   // padding = background
        for (int c = 0; c < 3; c++) {
            assertEquals(1f, img[c * plane + 2 * 32 + 2], 1e-6);      // 255 → 1 at (2, 2), every channel
        }
        assertEquals(51 / 127.5f - 1f, img[3 * plane + 2 * 32 + 29], 1e-6);
        float[] flipped = d.images(new int[] {1}, new boolean[] {true});
        assertEquals(51 / 127.5f - 1f, flipped[2 * 32 + 2], 1e-6);   // mirrored to column 0
    }

    @Test
    void missingFileSaysHowToInstall() {
        TesseraException e = assertThrows(TesseraException.class, () -> FashionMnist.load(dir, true));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install -y dataset-fashion-mnist"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void readsUncompressedIdxAndLimitsAndRejectsAWrongMagic() throws java.io.IOException {
        byte[] px = new byte[3 * 28 * 28];
        px[2 * 28 * 28 + 28 + 1] = (byte) 255;   // image 2, (1, 1)
        FashionMnist.writeIdx(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), px, new byte[] {4, 5, 6}, 3);
        Path plain = dir.resolve("plain");
        java.nio.file.Files.createDirectories(plain);
        for (String f : new String[] {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            try (var in = new java.util.zip.GZIPInputStream(java.nio.file.Files.newInputStream(dir.resolve(f + ".gz")))) {
                java.nio.file.Files.write(plain.resolve(f), in.readAllBytes());
            }
        }
        FashionMnist d = FashionMnist.load(plain, false);
        assertArrayEquals(new int[] {4, 5, 6}, d.labels());
        float[] all = d.images();
        assertEquals(3 * 3 * 32 * 32, all.length);
        assertEquals(1f, all[(2 * 3 + 1) * 32 * 32 + 3 * 32 + 3], 1e-6); // (1, 1) + 2 px padding, green channel
        FashionMnist two = d.limit(2);
        assertEquals(2, two.size());
        assertArrayEquals(new int[] {4, 5}, two.labels());
        java.nio.file.Files.write(plain.resolve("t10k-images-idx3-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        TesseraException e = assertThrows(TesseraException.class, () -> FashionMnist.load(plain, false));
        assertTrue(e.getMessage().contains("not an IDX file of the expected kind"), e.getMessage());
    }
}
