package io.tessera.core.checkpoint;

import static io.tessera.core.checkpoint.Fixtures.assertOneLine;
import static io.tessera.core.checkpoint.Fixtures.assertSameTensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.model.RandomWeights;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryDtypeWithMetadataInOrder() {
        Map<String, Tensor> in = Fixtures.mixed();
        Path f = dir.resolve("mixed.safetensors");
        SafetensorsWriter.write(f, in, Map.of("format", "pt", "note", "quote \" and \\ and é"));
        try (Checkpoint c = SafetensorsReader.read(f)) {
            assertSameTensors(in, c.tensors());
            assertEquals(Map.of("format", "pt", "note", "quote \" and \\ and é"), c.metadata());
            assertEquals(f, c.path());
            assertEquals(in.get("w.f32").getFloat(4), c.get("w.f32").getFloat(4));
        }
    }

    @Test
    void headerIsPaddedWithSpacesAndOutputIsDeterministic() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        SafetensorsWriter.write(a, Fixtures.mixed(), Map.of("k", "v"));
        SafetensorsWriter.write(b, Fixtures.mixed(), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(a);
        assertArrayEquals(bytes, Files.readAllBytes(b));
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8, "header length is a multiple of 8");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"k\":\"v\"},\"w.f32\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), header);
        String json = header.stripTrailing();
        assertTrue(json.endsWith("}"), "JSON first, then padding");
        assertTrue(header.length() - json.length() < 8, "at most 7 padding spaces");
        assertEquals(" ".repeat(header.length() - json.length()), header.substring(json.length()), "padding is spaces");
    }

    @Test
    void tensorsAreSlicesOfTheMappingNotHeapCopies() {
        int n = 1 << 21; // 8 MiB of F32
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.5f;
        }
        Path f = dir.resolve("big.safetensors");
        SafetensorsWriter.write(f, Map.of("big", Tensor.ofFloats("big", new long[] {n}, v)));
        Tensor t;
        try (Checkpoint c = Checkpoints.open(f)) {
            t = c.get("big");
            assertTrue(t.data().isNative(), "native");
            assertTrue(t.data().isMapped(), "mapped");
            assertTrue(t.data().heapBase().isEmpty(), "no heap array behind the tensor");
            assertEquals(12345 * 0.5f, t.getFloat(12345));
        }
        assertThrows(IllegalStateException.class, () -> t.getFloat(0), "closing the checkpoint unmaps its tensors");
    }

    @Test
    void replacingAFileIsAtomicAndAFailedWriteLeavesTheOldFileAndNoTemporaries() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafetensorsWriter.write(f, Map.of("a", Fixtures.tensor("a", DType.F32, 1, 4)));
        byte[] before = Files.readAllBytes(f);
        Arena arena = Arena.ofShared();
        MemorySegment gone = arena.allocate(16);
        arena.close();
        Tensor dead = new Tensor("dead", DType.F32, new long[] {4}, gone);
        assertOneLine(() -> SafetensorsWriter.write(f, Map.of("dead", dead)), "model.safetensors", "write failed");
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file left");
        }
        SafetensorsWriter.write(f, Map.of("b", Fixtures.tensor("b", DType.I64, 2, 3)));
        try (Checkpoint c = Checkpoints.open(f)) {
            assertEquals(List.of("b"), List.copyOf(c.tensors().keySet()));
        }
    }

    @Test
    void llamaGenModelLoadsThroughTheNameMap() {
        LlamaGenConfig config = LlamaGenConfig.of(64, 2, 4, 4);
        Map<String, Tensor> w = RandomWeights.llamaGen(config, 7);
        Path f = dir.resolve("gpt.safetensors");
        SafetensorsWriter.write(f, w);
        try (Checkpoint c = Checkpoints.open(f)) {
            new LlamaGenWeights(config, c);
            assertSameTensors(w, c.tensors());
        }
    }

    @Test
    void vqDecoderLoadsThroughTheNameMap() {
        VqConfig config = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 1, 3);
        Map<String, Tensor> w = RandomWeights.vq(config, 3);
        Path f = dir.resolve("vq.safetensors");
        SafetensorsWriter.write(f, w);
        try (Checkpoint c = Checkpoints.open(f)) {
            new VqWeights(config, c);
            assertSameTensors(w, c.tensors());
        }
    }

    @Test
    void gapsBetweenTensorsAreAcceptedAndFileOrderIsByOffset() throws IOException {
        Path f = Fixtures.safetensors(dir, "gaps.safetensors",
                "{\"late\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[6,8]},\"early\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 8);
        try (Checkpoint c = Checkpoints.open(f)) {
            assertEquals(List.of("early", "late"), List.copyOf(c.tensors().keySet()));
            assertArrayEquals(new long[] {2}, c.get("late").shape());
        }
    }

    @Test
    void headerLengthWhoseFirstByteLooksLikeAPickleIsStillSafetensors() throws IOException {
        String json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        Path f = Fixtures.safetensors(dir, "len128.safetensors", json + " ".repeat(128 - json.length()), 2);
        assertEquals((byte) 0x80, Files.readAllBytes(f)[0]);
        try (Checkpoint c = Checkpoints.open(f)) {
            assertArrayEquals(new long[] {2}, c.get("w").shape());
        }
    }

    // ---- hostile inputs: one line naming the file (and the tensor) ----

    @Test
    void headerLengthPastTheEndOfTheFile() throws IOException {
        Path f = Fixtures.rawSafetensors(dir, "trunc.safetensors", 1000, "{}".getBytes(StandardCharsets.UTF_8), 40);
        assertOneLine(() -> Checkpoints.open(f), "trunc.safetensors", "header length 1000", "extends past the end of the file (50 bytes)");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path f = Fixtures.rawSafetensors(dir, "absurd.safetensors", 1L << 40, "{}".getBytes(StandardCharsets.UTF_8), 0);
        assertOneLine(() -> Checkpoints.open(f), "absurd.safetensors", "is absurd");
        Path g = Fixtures.rawSafetensors(dir, "negative.safetensors", -1, "{}".getBytes(StandardCharsets.UTF_8), 0);
        assertOneLine(() -> SafetensorsReader.read(g), "negative.safetensors", "18446744073709551615", "is absurd");
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 0, 0});
        assertOneLine(() -> Checkpoints.open(f), "short.safetensors", "too short");
    }

    @Test
    void invalidJson() throws IOException {
        for (String bad : new String[] {"{\"a\":", "{\"a\":1,}", "[1,2]", "{\"a\":01}", "{\"a\":\"x\" \"b\"}", "{} x"}) {
            Path f = Fixtures.safetensors(dir, "json.safetensors", bad, 0);
            assertOneLine(() -> Checkpoints.open(f), "json.safetensors", "safetensors header");
        }
        Path dup = Fixtures.safetensors(dir, "dup.safetensors",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        assertOneLine(() -> Checkpoints.open(dup), "dup.safetensors", "not valid JSON", "duplicate key \"a\"");
        Path utf = Fixtures.rawSafetensors(dir, "utf.safetensors", 4, new byte[] {'{', (byte) 0xff, '}', ' '}, 0);
        assertOneLine(() -> Checkpoints.open(utf), "utf.safetensors", "not valid UTF-8");
    }

    @Test
    void dataOffsetsOutOfRange() throws IOException {
        Path f = Fixtures.safetensors(dir, "model.safetensors",
                "{\"norm.weight\":{\"dtype\":\"F32\",\"shape\":[25],\"data_offsets\":[100,200]}}", 150);
        assertOneLine(() -> Checkpoints.open(f), "model.safetensors", "tensor 'norm.weight' data [100, 200) extends past the end");
    }

    @Test
    void beginAfterEnd() throws IOException {
        Path f = Fixtures.safetensors(dir, "rev.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8);
        assertOneLine(() -> Checkpoints.open(f), "rev.safetensors", "tensor 'w'", "begin > end");
    }

    @Test
    void overlappingOffsets() throws IOException {
        Path f = Fixtures.safetensors(dir, "overlap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertOneLine(() -> Checkpoints.open(f), "overlap.safetensors", "'a' [0, 8)", "'b' [4, 12)", "overlap");
    }

    @Test
    void wrongByteCountForShape() throws IOException {
        Path f = Fixtures.safetensors(dir, "count.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertOneLine(() -> Checkpoints.open(f), "count.safetensors", "tensor 'w'", "holds 8 bytes", "needs 12");
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = Fixtures.safetensors(dir, "dtype.safetensors", "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        assertOneLine(() -> Checkpoints.open(f), "dtype.safetensors", "tensor 'w'", "unsupported dtype 'F8_E4M3'");
    }

    @Test
    void negativeShape() throws IOException {
        Path f = Fixtures.safetensors(dir, "neg.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[-2,3],\"data_offsets\":[0,0]}}", 0);
        assertOneLine(() -> Checkpoints.open(f), "neg.safetensors", "tensor 'w'", "negative dimension -2");
    }

    @Test
    void malformedEntries() throws IOException {
        String[][] cases = {
            {"{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", "no \"data_offsets\""},
            {"{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":1}}", "unknown field \"x\""},
            {"{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", "is not an integer"},
            {"{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}", "data_offsets has 1 elements"},
            {"{\"w\":[1]}", "is not a JSON object"},
            {"{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"__metadata__\":{\"k\":3}}", "__metadata__ entry 'k' is not a string"},
        };
        for (String[] c : cases) {
            Path f = Fixtures.safetensors(dir, "entry.safetensors", c[0], 1);
            assertOneLine(() -> Checkpoints.open(f), "entry.safetensors", c[1]);
        }
    }

    @Test
    void shapesThatOverflowAreRefused() throws IOException {
        Path f = Fixtures.safetensors(dir, "huge.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}", 0);
        assertOneLine(() -> Checkpoints.open(f), "huge.safetensors", "tensor 'w'", "overflows");
    }

    @Test
    void writerRefusesReservedNames() {
        Path f = dir.resolve("bad.safetensors");
        assertOneLine(() -> SafetensorsWriter.write(f, Map.of("__metadata__", Fixtures.tensor("x", DType.U8, 1, 1))),
                "bad.safetensors", "invalid tensor name");
        assertFalse(Files.exists(f));
    }

    @Test
    void missingFileDirectoryAndEmptyFile() throws IOException {
        assertOneLine(() -> Checkpoints.open(dir.resolve("nope.safetensors")), "nope.safetensors", "no such file");
        assertOneLine(() -> Checkpoints.open(dir), dir.toString(), "is a directory");
        Path empty = Files.createFile(dir.resolve("empty.pt"));
        assertOneLine(() -> Checkpoints.open(empty), "empty.pt", "file is empty");
        assertOneLine(() -> SafetensorsReader.read(empty), "empty.pt", "file is empty");
    }

    @Test
    void missingTensorIsOneLine() {
        Path f = dir.resolve("m.safetensors");
        SafetensorsWriter.write(f, Map.of("a", Fixtures.tensor("a", DType.U8, 1, 1)));
        try (Checkpoint c = Checkpoints.open(f)) {
            assertOneLine(() -> c.get("b"), "m.safetensors", "missing tensor 'b'");
            assertTrue(Arrays.equals(new long[] {1}, c.get("a").shape()));
        }
    }
}
