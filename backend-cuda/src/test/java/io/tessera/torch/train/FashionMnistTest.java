package io.tessera.torch.train;

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
}
