package io.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shard files against NumPy's own (golden files written by src/test/resources/npy/make_golden.py). */
class NpyTest {
    static final Path DIR = Path.of("src/test/resources/npy");

    static byte[] images() {
        byte[] b = new byte[2 * 3 * 4 * 3];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 7 % 256);
        }
        return b;
    }

    static int[] tokens() {
        int[] t = new int[2 * 2 * 3];
        for (int i = 0; i < t.length; i++) {
            t[i] = i * 13 - 5;
        }
        return t;
    }

    @Test
    void readsWhatNumpySavezWrites() {
        Map<String, Npy.Array> npz = Npy.readNpz(DIR.resolve("golden.npz"));
        assertEquals(List.of(Npy.IMAGES, Npy.LABELS), List.copyOf(npz.keySet()));
        assertEquals("|u1", npz.get(Npy.IMAGES).header().descr());
        assertArrayEquals(new long[] {2, 3, 4, 3}, npz.get(Npy.IMAGES).header().shape());
        assertArrayEquals(images(), npz.get(Npy.IMAGES).data());
        assertArrayEquals(new long[] {7, 2}, npz.get(Npy.LABELS).longs());
    }

    @Test
    void npyBytesEqualNumpySave() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Npy.Array.int32(tokens(), 2, 2, 3).writeNpy(b);
        assertArrayEquals(Files.readAllBytes(DIR.resolve("golden_tokens.npy")), b.toByteArray());
    }

    @Test
    void npzRoundTripsAndStreamsFromOtherFiles(@TempDir Path tmp) throws IOException {
        Npy.Array img = Npy.Array.uint8(images(), 2, 3, 4, 3);
        Npy.Array lab = Npy.Array.int64(new long[] {7, 2}, 2);
        Path a = tmp.resolve("a.npz");
        Files.write(a, Npy.npzBytes(List.of(Npy.entry(Npy.IMAGES, img), Npy.entry(Npy.LABELS, lab))));
        assertArrayEquals(images(), Npy.readNpz(a).get(Npy.IMAGES).data());
        // the merge path: an entry whose bytes come from two other files' entries
        Path merged = tmp.resolve("m.npz");
        Files.write(merged, Npy.npzBytes(List.of(new Npy.Entry(Npy.IMAGES, new Npy.Header("|u1", new long[] {4, 3, 4, 3}),
                List.of(Npy.npzData(a, Npy.IMAGES), Npy.npzData(DIR.resolve("golden.npz"), Npy.IMAGES))))));
        byte[] twice = new byte[2 * images().length];
        System.arraycopy(images(), 0, twice, 0, images().length);
        System.arraycopy(images(), 0, twice, images().length, images().length);
        assertArrayEquals(twice, Npy.readNpz(merged).get(Npy.IMAGES).data());
    }
}
