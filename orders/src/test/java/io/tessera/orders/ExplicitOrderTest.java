package io.tessera.orders;

import io.tessera.core.io.Npy;
import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.options;
import static io.tessera.orders.OrderTesting.trace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.orders.viz.OrderTrace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExplicitOrderTest {
    private final ExplicitOrder order = new ExplicitOrder();

    @TempDir
    Path dir;

    @Test
    void readsGroupsFromJson() throws IOException {
        Path file = dir.resolve("order.json");
        Files.writeString(file, "{\"groups\": [[0], [3, 1],\n  [2]]}");
        OrderTrace t = trace(order, GridSize.square(2), 0, "file", file.toString());
        assertEquals(List.of(Group.of(0), Group.of(3, 1), Group.of(2)), t.groups());
        assertEquals(3, t.plannedPasses());
    }

    @Test
    void readsInt32AndInt64NpyWithGroupSizes() throws IOException {
        GridSize grid = new GridSize(3, 5);
        int[] cells = {14, 0, 7, 3, 2, 1, 4, 5, 6, 8, 9, 10, 11, 12, 13};
        Path int32 = dir.resolve("order32.npy");
        Npy.writeInt32(int32, cells, cells.length);
        OrderTrace t = trace(order, grid, 0, "file", int32.toString(), "group_sizes", List.of(1, 2, 12));
        assertArrayEquals(new int[] {1, 2, 12}, t.tokensPerPass());
        assertEquals(Group.of(0, 7), t.groups().get(1));

        Path int64 = dir.resolve("order64.npy");
        writeInt64(int64, cells, "(3, 5)");
        assertEquals(t.groups(), trace(order, grid, 0, "file", int64.toString(), "group_sizes", List.of(1, 2, 12)).groups());
    }

    @Test
    void errorsNameTheFile() throws IOException {
        GridSize grid = GridSize.square(2);
        Path dup = dir.resolve("dup.json");
        Files.writeString(dup, "{\"groups\": [[0, 1], [1, 2]]}");
        assertConfigError("order.file: " + dup + ": cell 1 appears twice (groups 0 and 1)",
                () -> order.plan(grid, options("explicit", "file", dup.toString()), 0));

        Path range = dir.resolve("range.json");
        Files.writeString(range, "{\"groups\": [[0, 1], [2, 4]]}");
        assertConfigError("order.file: " + range + ": groups[1][1]: cell 4 is outside the 2x2 grid [0, 4)",
                () -> order.plan(grid, options("explicit", "file", range.toString()), 0));

        Path missing = dir.resolve("missing.json");
        Files.writeString(missing, "{\"groups\": [[0, 1], [2]]}");
        assertConfigError("order.file: " + missing + ": 1 of 4 cells never generated (first: 3)",
                () -> order.plan(grid, options("explicit", "file", missing.toString()), 0));

        Path shape = dir.resolve("shape.json");
        Files.writeString(shape, "[[0, 1, 2, 3]]");
        assertConfigError("order.file: " + shape + ": must be a JSON object with a \"groups\" list",
                () -> order.plan(grid, options("explicit", "file", shape.toString()), 0));

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"groups\": [[0, 1]");
        assertConfigError("order.file: " + broken + ": not valid JSON",
                () -> order.plan(grid, options("explicit", "file", broken.toString()), 0));

        Path absent = dir.resolve("absent.json");
        assertConfigError("order.file: " + absent + ": no such file",
                () -> order.plan(grid, options("explicit", "file", absent.toString()), 0));

        assertConfigError("order.file: is required", () -> order.plan(grid, options("explicit"), 0));

        Path npy = dir.resolve("cells.npy");
        Npy.writeInt32(npy, new int[] {0, 1, 2, 3}, 4);
        assertConfigError("order.group_sizes: is required with a .npy file",
                () -> order.plan(grid, options("explicit", "file", npy.toString()), 0));
        assertConfigError("order.group_sizes: must sum to the number of grid cells 4, got 3",
                () -> order.plan(grid, options("explicit", "file", npy.toString(), "group_sizes", List.of(1, 2)), 0));
        assertConfigError("order.group_sizes: only used with a .npy file",
                () -> order.plan(grid, options("explicit", "file", dup.toString(), "group_sizes", List.of(4)), 0));

        Path floats = dir.resolve("floats.npy");
        writeNpy(floats, "<f4", "(4,)", new byte[16]);
        ConfigException e = assertConfigError("order.file: " + floats + ": dtype '<f4' is not supported",
                () -> order.plan(grid, options("explicit", "file", floats.toString(), "group_sizes", List.of(4)), 0));
        assertTrue(e.getMessage().contains("int32 or int64"));

        Path small = dir.resolve("small.npy");
        Npy.writeInt32(small, new int[] {0, 1, 2}, 3);
        assertConfigError("order.file: " + small + ": has 3 cells, the 2x2 grid has 4",
                () -> order.plan(grid, options("explicit", "file", small.toString(), "group_sizes", List.of(4)), 0));

        Path outside = dir.resolve("outside.npy");
        Npy.writeInt32(outside, new int[] {0, 1, 9, 3}, 4);
        assertConfigError("order.file: " + outside + ": index 2: cell 9 is outside the 2x2 grid [0, 4)",
                () -> order.plan(grid, options("explicit", "file", outside.toString(), "group_sizes", List.of(1, 3)), 0));
        Path twice = dir.resolve("twice.npy");
        Npy.writeInt32(twice, new int[] {1, 1, 2, 3}, 4);
        assertConfigError("order.file: " + twice + ": cell 1 appears twice (groups 0 and 1)",
                () -> order.plan(grid, options("explicit", "file", twice.toString(), "group_sizes", List.of(1, 3)), 0));

        Path notNpy = dir.resolve("text.npy");
        Files.writeString(notNpy, "hello world, not numpy");
        assertConfigError("order.file: " + notNpy + ": not a .npy file",
                () -> order.plan(grid, options("explicit", "file", notNpy.toString(), "group_sizes", List.of(4)), 0));
    }

    private static void writeInt64(Path file, int[] cells, String shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8 * cells.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int c : cells) {
            data.putLong(c);
        }
        writeNpy(file, "<i8", shape, data.array());
    }

    /** A version-1 .npy file, as numpy.save writes it. */
    private static void writeNpy(Path file, String descr, String shape, byte[] data) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int padding = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(padding) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer buf = ByteBuffer.allocate(10 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0);
        buf.putShort((short) header.length).put(header).put(data);
        Files.write(file, buf.array());
    }
}
