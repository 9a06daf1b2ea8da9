package io.tessera.app.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .npz layout np.load and ADM's evaluator read. */
class NpzSinkTest {
    @TempDir
    Path tmp;

    /** The single array of an npz: its header dict and data. */
    record Npy(String header, byte[] data) {
    }

    /** Reads an npz as numpy would: exactly one entry arr_0.npy, NumPy 1.0 magic, header length, dict. */
    static Npy read(Path npz) throws IOException {
        try (ZipFile z = new ZipFile(npz.toFile())) {
            assertEquals(1, z.size(), "one array");
            ZipEntry e = z.getEntry("arr_0.npy");
            assertTrue(e != null, "entry arr_0.npy");
            assertEquals(ZipEntry.STORED, e.getMethod(), "np.savez stores uncompressed");
            byte[] all = z.getInputStream(e).readAllBytes();
            assertEquals((byte) 0x93, all[0]);
            assertEquals("NUMPY", new String(all, 1, 5, StandardCharsets.US_ASCII));
            assertEquals(1, all[6]);
            assertEquals(0, all[7]);
            int len = (all[8] & 0xff) | (all[9] & 0xff) << 8;
            assertEquals(0, (10 + len) % 64, "header padded to 64 bytes");
            String header = new String(all, 10, len, StandardCharsets.US_ASCII);
            assertTrue(header.endsWith("\n"), header);
            return new Npy(header.strip(), Arrays.copyOfRange(all, 10 + len, all.length));
        }
    }

    @Test
    void writesOneUint8ArrayWithItsShape() throws Exception {
        byte[] data = new byte[2 * 4 * 3 * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        Path f = tmp.resolve("a.npz");
        try (NpzSink s = new NpzSink(f, 2, 4, 3, 3)) {
            s.write(data, 0, 10);
            s.write(data, 10, data.length - 10);
            s.commit();
        }
        Npy npy = read(f);
        assertEquals("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 4, 3, 3), }", npy.header());
        assertArrayEquals(data, npy.data());
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no spill file left");
        }
        Path g = tmp.resolve("b.npz");
        EvalFiles.npzUint8(g, data, 2, 4, 3, 3);
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(g), "same array, same bytes");
    }

    @Test
    void anIncompleteArrayIsNotWritten() {
        Path f = tmp.resolve("c.npz");
        try (NpzSink s = new NpzSink(f, 2, 2)) {
            s.write(new byte[3], 0, 3);
            assertThrows(IllegalStateException.class, s::commit);
        }
        assertFalse(Files.exists(f));
        assertThrows(IllegalArgumentException.class, () -> EvalFiles.npzUint8(f, new byte[5], 2, 2));
    }
}
