package io.tessera.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainIoTest {
    @TempDir
    Path dir;

    @Test
    void safetensorsRoundTrip() throws Exception {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a.weight", io.tessera.core.checkpoint.Tensor.ofFloats("a.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-3f, 7}, DType.F32));
        m.put("b", io.tessera.core.checkpoint.Tensor.ofFloats("b", new long[] {3}, new float[] {1.00390625f, -2, 3.5f}, DType.BF16));
        m.put("idx", io.tessera.core.checkpoint.Tensor.ofInts("idx", new long[] {2}, new int[] {7, -1}));
        Path f = dir.resolve("x.safetensors");
        TrainIo.saveSafetensors(f, m, Map.of("step", "12", "note", "quote\" and \\ backslash"));
        byte[] bytes = Files.readAllBytes(f);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8, "data is 8-byte aligned");
        MemoryCheckpoint c = TrainIo.loadSafetensors(f);
        assertEquals("12", c.metadata().get("step"));
        assertEquals("quote\" and \\ backslash", c.metadata().get("note"));
        assertArrayEquals(new float[] {1, -2, 3.5f, 0, 1e-3f, 7}, c.get("a.weight").toFloatArray());
        assertEquals(DType.BF16, c.get("b").dtype());
        assertArrayEquals(new float[] {1.0f, -2, 3.5f}, c.get("b").toFloatArray()); // 1.0039 rounds to even (1.0)
        assertEquals(-1, c.get("idx").getLong(1));
        assertArrayEquals(new long[] {2, 3}, c.get("a.weight").shape());
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, io.tessera.core.checkpoint.Tensor.bf16Bits(1.0f));
        assertEquals((short) 0x3F81, io.tessera.core.checkpoint.Tensor.bf16Bits(Float.intBitsToFloat(0x3F80C000))); // above half: up
        assertEquals((short) 0x3F80, io.tessera.core.checkpoint.Tensor.bf16Bits(Float.intBitsToFloat(0x3F808000))); // tie: to even
        assertEquals((short) 0x3F82, io.tessera.core.checkpoint.Tensor.bf16Bits(Float.intBitsToFloat(0x3F818000))); // tie: to even (up)
    }
}
