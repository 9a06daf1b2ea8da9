package io.tessera.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
    @TempDir
    Path dir;

    @Test
    void pixelsTruncateLikeTheFidScript() {
        assertEquals(0, Images.toByte(-1.5f));
        assertEquals(0, Images.toByte(-1f)); // 127.5·−1 + 128 = 0.5 → 0
        assertEquals(128, Images.toByte(0f));
        assertEquals(255, Images.toByte(1f)); // 255.5 → clamp 255
        assertEquals(191, Images.toByte(0.5f)); // 191.75 → 191
        assertEquals(0, Images.toByte(Float.NaN));
        byte[] rgb = Images.toRgb8(new float[] {0f, 1f, -1f, 0.5f, 0f, 0f}, 1, 1, 2);
        assertArrayEquals(new byte[] {(byte) 128, 0, (byte) 128, (byte) 255, (byte) 191, (byte) 128}, rgb);
    }

    @Test
    void gridPlacesScaledCellsOnTheBackgroundAndThePngRoundTrips() throws Exception {
        // two 1-channel 2×2 images, 2 columns, scale 2: cells of 4 px, 2 px gaps
        float[] px = {1f, -1f, 0f, 0.5f, -1f, -1f, -1f, 1f};
        BufferedImage g = Images.grid(px, 2, 1, 2, 2, 2, 0x123456);
        assertEquals(2 * (4 + Images.GAP) + Images.GAP, g.getWidth());
        assertEquals(4 + 2 * Images.GAP, g.getHeight());
        assertEquals(0x123456, g.getRGB(0, 0) & 0xffffff);
        assertEquals(0xffffff, g.getRGB(2, 2) & 0xffffff);   // image 0, (0, 0) → 255 grey
        assertEquals(0xffffff, g.getRGB(3, 3) & 0xffffff);   // replicated
        assertEquals(0x000000, g.getRGB(4, 2) & 0xffffff);   // image 0, (0, 1) → 0
        assertEquals(0xbfbfbf, g.getRGB(4, 4) & 0xffffff);   // image 0, (1, 1) → 191
        assertEquals(0xffffff, g.getRGB(2 + 6 + 2, 2 + 2) & 0xffffff); // image 1, (1, 1)
        Path png = dir.resolve("sub/grid.png");
        Images.writePng(png, g);
        BufferedImage back = ImageIO.read(png.toFile());
        assertEquals(g.getRGB(4, 4), back.getRGB(4, 4));
    }

    @Test
    void npyInt32RoundTripsWithItsShape() throws Exception {
        Path f = dir.resolve("a/t.npy");
        int[] v = {3, -1, 7, 0, 255, 1 << 20};
        Npy.writeInt32(f, v, 2, 3);
        long[] back = Npy.readInts(f);
        assertArrayEquals(new long[] {3, -1, 7, 0, 255, 1 << 20}, back);
        byte[] bytes = java.nio.file.Files.readAllBytes(f);
        assertEquals(0, (bytes.length - 6 * 4) % 64, "header padded to 64 bytes");
        String header = new String(bytes, 10, bytes.length - 10 - 24, java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", header.strip());
    }
}
