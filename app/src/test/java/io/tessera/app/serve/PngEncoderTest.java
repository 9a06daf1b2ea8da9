package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngEncoderTest {
    private static BufferedImage random(int w, int h, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // half noise, half flat runs, so both literal and matched deflate blocks occur
                img.setRGB(x, y, x < w / 2 ? r.nextInt(1 << 24) : (y * 0x010203) & 0xffffff);
            }
        }
        return img;
    }

    @Test
    void imageIoReadsBackEveryPixel() throws Exception {
        PngEncoder enc = new PngEncoder();
        try {
            for (int[] size : new int[][] {{36, 36}, {1, 1}, {67, 5}, {130, 258}}) {
                BufferedImage img = random(size[0], size[1], size[0] * 31L + size[1]);
                // the encoder is reused, as the finisher does: earlier images must not leak into later ones
                for (int rep = 0; rep < 2; rep++) {
                    byte[] png = enc.encode(img);
                    BufferedImage back = ImageIO.read(new ByteArrayInputStream(png));
                    assertEquals(size[0], back.getWidth());
                    assertEquals(size[1], back.getHeight());
                    int[] want = img.getRGB(0, 0, size[0], size[1], null, 0, size[0]);
                    int[] got = back.getRGB(0, 0, size[0], size[1], null, 0, size[0]);
                    assertArrayEquals(want, got, "pixels of a " + size[0] + "x" + size[1] + " image");
                }
            }
        } finally {
            enc.close();
        }
    }

    @Test
    void chunksAreWellFormedWithValidCrcs() {
        PngEncoder enc = new PngEncoder();
        byte[] png;
        try {
            png = enc.encode(random(36, 36, 7));
        } finally {
            enc.close();
        }
        ByteBuffer b = ByteBuffer.wrap(png);
        byte[] sig = new byte[8];
        b.get(sig);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, sig);
        List<String> types = new ArrayList<>();
        while (b.hasRemaining()) {
            int len = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            byte[] data = new byte[len];
            b.get(data);
            CRC32 crc = new CRC32();
            crc.update(type);
            crc.update(data);
            String t = new String(type, StandardCharsets.US_ASCII);
            assertEquals((int) crc.getValue(), b.getInt(), "CRC of chunk " + t);
            if (t.equals("IHDR")) {
                ByteBuffer h = ByteBuffer.wrap(data);
                assertEquals(36, h.getInt());
                assertEquals(36, h.getInt());
                assertEquals(8, h.get());
                assertEquals(2, h.get());
            }
            types.add(t);
        }
        assertEquals(List.of("IHDR", "IDAT", "IEND"), types);
    }
}
