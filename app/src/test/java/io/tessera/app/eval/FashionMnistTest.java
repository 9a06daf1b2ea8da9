package io.tessera.app.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX reading: padding 28 → 32 with black, grey to RGB, [−1, 1], labels, limits, one-line errors. */
class FashionMnistTest {
    @TempDir
    Path tmp;

    @Test
    void readsPadsAndMaps() throws Exception {
        Path dir = EvalTest.fakeFashionMnist(tmp.resolve("d"), 5);
        float[] img = FashionMnist.images(dir, FashionMnist.Split.TEST, 3);
        int plane = 32 * 32;
        assertEquals(3 * 3 * plane, img.length);
        assertEquals(-1f, img[0], "padding is black");
        assertEquals(-1f, img[plane - 1]);
        float centre = img[16 * 32 + 16];
        assertTrue(centre >= -1f && centre <= 1f);
        assertEquals(centre, img[plane + 16 * 32 + 16], "grey replicated");
        assertEquals(centre, img[2 * plane + 16 * 32 + 16]);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, FashionMnist.labels(dir, FashionMnist.Split.TRAIN, 100));
        ConfigException e = assertThrows(ConfigException.class, () -> FashionMnist.images(tmp, FashionMnist.Split.TEST, 1));
        assertTrue(e.getMessage().startsWith("--reference-data " + tmp + ": no t10k-images-idx3-ubyte"), e.getMessage());
        Files.write(tmp.resolve("t10k-images-idx3-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        e = assertThrows(ConfigException.class, () -> FashionMnist.images(tmp, FashionMnist.Split.TEST, 1));
        assertTrue(e.getMessage().contains("not an IDX3 image file"), e.getMessage());
    }

    @Test
    void theRealFilesIfInstalled() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "dataset-fashion-mnist not installed");
        int[] labels = FashionMnist.labels(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST, 10_000);
        assertEquals(10_000, labels.length);
        float[] img = FashionMnist.images(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN, 2);
        assertEquals(2 * 3 * 32 * 32, img.length);
    }
}
