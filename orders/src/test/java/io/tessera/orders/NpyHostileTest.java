package io.tessera.orders;

import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.io.Npy;
import io.tessera.core.spi.GridSize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue #16 family 3: a malformed .npy header for {@code order: explicit} is a one-line error naming the file. */
class NpyHostileTest {
    @TempDir
    Path dir;

    /** A version-1 .npy with {@code header} (padded) and four int32 cells 0..3. */
    static byte[] npy(String header, int major) {
        byte[] h = (header + "\n").getBytes(StandardCharsets.ISO_8859_1);
        int pre = major == 1 ? 10 : 12;
        ByteBuffer b = ByteBuffer.allocate(pre + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) h.length);
        } else {
            b.putInt(h.length);
        }
        b.put(h);
        for (int i = 0; i < 4; i++) {
            b.putInt(i);
        }
        return b.array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private String error(Path p) {
        return assertThrows(IOException.class, () -> Npy.readInts(p)).getMessage();
    }

    @Test
    void wellFormedHeadersInAnyKeyOrderAreRead() throws IOException {
        Path a = write("a.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", 1));
        assertArrayEquals(new long[] {0, 1, 2, 3}, Npy.readInts(a));
        Path b = write("b.npy", npy("{'shape': (2, 2), 'fortran_order': False, 'descr': '<i4'}", 3));
        assertArrayEquals(new long[] {0, 1, 2, 3}, Npy.readInts(b));
    }

    @Test
    void malformedHeadersAreRefusedWithWhatIsWrong() throws IOException {
        String[][] cases = {
            {"{'descr': '<i4', 'fortran_order': False, 'shape': (four,), }", "malformed"},
            {"{'descr': '<i4', 'fortran_order': False, 'shape': (4,-1), }", "malformed"},
            {"{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }", "overflows 64 bits"},
            {"{'descr': '<i4', 'fortran_order': False, 'shape': (1234567890123456789012,), }", "not a tuple of non-negative integers"},
            {"{'descr': '<i4', 'fortran_order': False}", "no 'shape'"},
            {"{'descr': '<i4', 'descr': '<i8', 'fortran_order': False, 'shape': (4,)}", "'descr' twice"},
            {"{'descr': '<i4', 'fortran_order': False, 'shape': (4,), 'evil': 'x'}", "unknown key 'evil'"},
            {"{'descr': (4,), 'fortran_order': False, 'shape': (4,)}", "not a dtype string"},
            {"{'descr': '<i4', 'fortran_order': 'no', 'shape': (4,)}", "not True or False"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", "dtype '<f4' is not supported"},
            {"['descr', '<i4']", "not a Python dict literal"},
            {"", "not a Python dict literal"},
        };
        for (String[] c : cases) {
            Path p = write("bad.npy", npy(c[0], 1));
            String m = error(p);
            assertTrue(m.contains(c[1]) && !m.contains("\n"), () -> c[0] + " -> " + m);
        }
        byte[] huge = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (4,)}", 2);
        huge[8] = (byte) 0xff;
        huge[9] = (byte) 0xff;
        huge[10] = (byte) 0xff;
        huge[11] = (byte) 0x7f;
        assertTrue(error(write("huge.npy", huge)).contains("too long"));
    }

    @Test
    void explicitOrderNamesTheFile() throws IOException {
        Path p = write("cells.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (x,)}", 1));
        assertConfigError("order.file: " + p + ": header is malformed",
                () -> new ExplicitOrder().plan(GridSize.square(2), options("explicit", "file", p.toString(), "group_sizes", List.of(4)), 0));
    }
}
