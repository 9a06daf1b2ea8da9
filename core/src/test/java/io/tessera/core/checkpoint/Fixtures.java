package io.tessera.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.CheckpointException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/** Shared tensors, raw-file builders and assertions for the checkpoint tests. */
final class Fixtures {
    private Fixtures() {
    }

    /** A tensor of {@code dtype} whose bytes are a deterministic function of {@code seed} and the index. */
    static Tensor tensor(String name, DType dtype, long seed, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        byte[] b = new byte[Math.toIntExact(n * dtype.byteSize())];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < b.length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        if (dtype == DType.BOOL) {
            for (int i = 0; i < b.length; i++) {
                b[i] &= 1;
            }
        }
        return new Tensor(name, dtype, shape, MemorySegment.ofArray(b));
    }

    /** One tensor of every dtype, plus a scalar and an empty tensor, in a fixed order. */
    static Map<String, Tensor> mixed() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        put(m, tensor("w.f32", DType.F32, 1, 2, 3));
        put(m, tensor("w.bf16", DType.BF16, 2, 4));
        put(m, tensor("w.f16", DType.F16, 3, 3, 2));
        put(m, tensor("ids.i64", DType.I64, 4, 5));
        put(m, tensor("x.f64", DType.F64, 5, 2));
        put(m, tensor("x.i32", DType.I32, 6, 3));
        put(m, tensor("x.i16", DType.I16, 7, 3));
        put(m, tensor("x.i8", DType.I8, 8, 5));
        put(m, tensor("x.u8", DType.U8, 9, 7));
        put(m, tensor("x.bool", DType.BOOL, 10, 2, 2));
        put(m, tensor("scalar", DType.F32, 11));
        put(m, tensor("empty", DType.F32, 12, 0, 3));
        return m;
    }

    private static void put(Map<String, Tensor> m, Tensor t) {
        m.put(t.name(), t);
    }

    static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), "names and order");
        expected.forEach((name, t) -> assertTrue(t.sameAs(actual.get(name)), () -> "tensor " + name + ": " + t + " vs " + actual.get(name)));
    }

    /** A safetensors file with the given header text (length prefix from the header) and zeroed data. */
    static Path safetensors(Path dir, String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return rawSafetensors(dir, name, h.length, h, dataBytes);
    }

    /** A safetensors file with an arbitrary length prefix. */
    static Path rawSafetensors(Path dir, String name, long lengthPrefix, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(lengthPrefix).put(header);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    /** Asserts a one-line CheckpointException whose message contains every fragment. */
    static CheckpointException assertOneLine(Executable call, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, call);
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "multi-line message: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), () -> "message lacks '" + f + "': " + m);
        }
        return e;
    }
}
