package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a <a href="https://github.com/huggingface/safetensors">safetensors</a> file by memory-mapping
 * it: every tensor is a slice of the mapping (no copy onto the heap) that stays valid until the
 * returned checkpoint is closed.
 *
 * <p>Layout: {@code u64 LE N} | {@code N bytes UTF-8 JSON header} | data region. The header maps each
 * tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the
 * data region) and may hold {@code "__metadata__"}, a string→string map.
 *
 * <p>Validation is strict and every failure is a one-line {@link CheckpointException} naming the file
 * and, where relevant, the tensor: header length within the file and at most {@link #MAX_HEADER_BYTES};
 * the header is valid UTF-8 and valid JSON (no duplicate keys) and an object; every entry has exactly
 * dtype/shape/data_offsets; the dtype is one of {@link DType}; dims are non-negative integers; offsets
 * are two integers with {@code begin ≤ end ≤} data length; {@code end − begin = numel × dtype size};
 * no two tensors' byte ranges overlap. Unused gaps between tensors are accepted. Tensors are returned
 * in file order (by data offset).
 */
public final class SafetensorsReader {
    /** Largest header accepted (the reference implementation's limit). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");

    private SafetensorsReader() {
    }

    /** Maps and validates {@code file}; the caller closes the checkpoint to unmap it. */
    public static Checkpoint read(Path file) {
        long size = FileMapping.requireReadableFile(file);
        if (size < 8) {
            throw new CheckpointException(file + ": file is too short for a safetensors header (" + size
                    + " bytes, need at least 8)");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg = FileMapping.mapReadOnly(file, arena);
            return parse(file, seg, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    private static Checkpoint parse(Path file, MemorySegment seg, Arena arena) {
        long size = seg.byteSize();
        long n = seg.get(U64_LE, 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new CheckpointException(file + ": safetensors header length " + Long.toUnsignedString(n)
                    + " is absurd (limit " + MAX_HEADER_BYTES + " bytes); not a safetensors file?");
        }
        if (n > size - 8) {
            throw new CheckpointException(file + ": safetensors header length " + n
                    + " extends past the end of the file (" + size + " bytes); the file is truncated");
        }
        if (n < 2) {
            throw new CheckpointException(file + ": safetensors header length " + n + " is too small for a JSON object");
        }
        String text = decodeUtf8(file, seg.asSlice(8, n));
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.Failure e) {
            throw new CheckpointException(file + ": safetensors header is not valid JSON (" + e.getMessage() + ")");
        }
        if (!(root instanceof Map<?, ?> header)) {
            throw new CheckpointException(file + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataLen = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                entries.add(entry(file, name, e.getValue(), size, dataLen));
            }
        }
        checkOverlaps(file, entries);
        entries.sort(Comparator.comparingLong(Entry::begin)); // stable: header order for equal offsets
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry en : entries) {
            MemorySegment data = seg.asSlice(dataStart + en.begin(), en.end() - en.begin());
            tensors.put(en.name(), new Tensor(en.name(), en.dtype(), en.shape(), data));
        }
        return new MappedCheckpoint(file, arena, tensors, metadata);
    }

    private static String decodeUtf8(Path file, MemorySegment bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE));
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(buf).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file + ": safetensors header is not valid UTF-8 (at byte " + (8 + buf.position()) + ")");
        }
    }

    private static void readMetadata(Path file, Object value, Map<String, String> out) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new CheckpointException(file + ": safetensors __metadata__ is not a JSON object");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String v)) {
                throw new CheckpointException(file + ": safetensors __metadata__ entry '" + e.getKey()
                        + "' is not a string (" + e.getValue() + ")");
            }
            out.put((String) e.getKey(), v);
        }
    }

    private static Entry entry(Path file, String name, Object value, long fileSize, long dataLen) {
        String where = file + ": tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> m)) {
            throw new CheckpointException(where + ": header entry is not a JSON object");
        }
        for (String k : ENTRY_KEYS) {
            if (!m.containsKey(k)) {
                throw new CheckpointException(where + ": header entry has no \"" + k + "\"");
            }
        }
        for (Object k : m.keySet()) {
            if (!ENTRY_KEYS.contains(k)) {
                throw new CheckpointException(where + ": header entry has unknown field \"" + k + "\"");
            }
        }
        if (!(m.get("dtype") instanceof String dtypeName)) {
            throw new CheckpointException(where + ": dtype is not a string");
        }
        DType dtype = DType.fromSafetensors(dtypeName, file.toString(), name);
        long[] shape = longs(where, "shape", m.get("shape"), -1);
        for (long d : shape) {
            if (d < 0) {
                throw new CheckpointException(where + ": negative dimension " + d + " in shape " + Arrays.toString(shape));
            }
        }
        long[] off = longs(where, "data_offsets", m.get("data_offsets"), 2);
        long begin = off[0];
        long end = off[1];
        if (begin < 0 || end < 0) {
            throw new CheckpointException(where + ": negative data offsets [" + begin + ", " + end + ")");
        }
        if (begin > end) {
            throw new CheckpointException(where + ": data offsets [" + begin + ", " + end + ") have begin > end");
        }
        if (end > dataLen) {
            throw new CheckpointException(where + " data [" + begin + ", " + end + ") extends past the end of the data region ("
                    + dataLen + " bytes; the file has " + fileSize + " bytes)");
        }
        long expected;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            expected = Math.multiplyExact(numel, (long) dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(shape) + " overflows 64 bits");
        }
        if (end - begin != expected) {
            throw new CheckpointException(where + ": data [" + begin + ", " + end + ") holds " + (end - begin)
                    + " bytes but shape " + Arrays.toString(shape) + " " + dtype + " needs " + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-fractional numbers that fit a long ({@code arity} elements unless negative). */
    private static long[] longs(String where, String field, Object value, int arity) {
        if (!(value instanceof List<?> list)) {
            throw new CheckpointException(where + ": " + field + " is not a JSON array");
        }
        if (arity >= 0 && list.size() != arity) {
            throw new CheckpointException(where + ": " + field + " has " + list.size() + " elements, expected " + arity);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long v)) {
                throw new CheckpointException(where + ": " + field + " element " + list.get(i) + " is not an integer");
            }
            out[i] = v;
        }
        return out;
    }

    private static void checkOverlaps(Path file, List<Entry> entries) {
        List<Entry> byOffset = new ArrayList<>();
        for (Entry e : entries) {
            if (e.end() > e.begin()) {
                byOffset.add(e);
            }
        }
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry a = byOffset.get(i - 1);
            Entry b = byOffset.get(i);
            if (b.begin() < a.end()) {
                throw new CheckpointException(file + ": tensors '" + a.name() + "' [" + a.begin() + ", " + a.end()
                        + ") and '" + b.name() + "' [" + b.begin() + ", " + b.end() + ") overlap");
            }
        }
    }
}
