package io.tessera.torch.train;

import io.tessera.core.CheckpointException;
import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * File I/O of the trainers: safetensors writing and reading, atomic replacement, hashing.
 *
 * <p>{@link #saveSafetensors} is the ONE place that writes model files; it uses a minimal private
 * writer until core's {@code io.tessera.core.checkpoint.SafetensorsWriter} lands, and is meant to be
 * swapped for it then. {@link #loadSafetensors} reads a whole (small) file onto the heap; it is used
 * for resuming and by tests while core's mmap reader is not available.
 */
public final class TrainIo {
    private TrainIo() {
    }

    /** Something that writes a file's bytes to a stream. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code file} atomically: the bytes go to a temporary file in the same directory, which is
     * fsynced and then renamed over {@code file}. A crash leaves either the old or the new file.
     */
    public static void atomicWrite(Path file, Writer writer) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: keep the default permissions of a temporary file
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // make the rename durable (best effort: not every file system allows it)
            } catch (IOException | UnsupportedOperationException ignored) {
                // directory fsync is not supported everywhere; the rename itself is atomic
            }
        } catch (IOException e) {
            throw new TesseraException(file + ": cannot write (" + e.getMessage() + ")", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary file is left behind; nothing else to do
                }
            }
        }
    }

    /**
     * Writes a safetensors file atomically (tensors in map order, 8-byte aligned header, string
     * metadata under {@code __metadata__}). Swap point for core's SafetensorsWriter.
     */
    public static void saveSafetensors(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringBuilder h = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                h.append(first ? "" : ",").append(json(e.getKey())).append(':').append(json(e.getValue()));
                first = false;
            }
            h.append('}');
        }
        long offset = 0;
        boolean first = metadata.isEmpty();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long n = t.data().byteSize();
            h.append(first ? "" : ",").append(json(e.getKey())).append(":{\"dtype\":\"").append(t.dtype().safetensorsName())
                    .append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                h.append(i == 0 ? "" : ",").append(shape[i]);
            }
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + n).append("]}");
            offset += n;
            first = false;
        }
        h.append('}');
        while (h.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) { // data starts 8-byte aligned
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        atomicWrite(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            out.write(len.array());
            out.write(header);
            byte[] buf = new byte[1 << 16];
            for (Tensor t : tensors.values()) {
                MemorySegment seg = t.data();
                for (long pos = 0; pos < seg.byteSize(); pos += buf.length) {
                    int k = (int) Math.min(buf.length, seg.byteSize() - pos);
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, buf, 0, k);
                    out.write(buf, 0, k);
                }
            }
        });
    }

    /** Reads a whole safetensors file onto the heap (training checkpoints, token caches, tests). */
    public static MemoryCheckpoint loadSafetensors(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (bytes.length < 8) {
            throw new CheckpointException(file + ": not a safetensors file (too short)");
        }
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen <= 0 || 8 + headerLen > bytes.length) {
            throw new CheckpointException(file + ": not a safetensors file (header length " + headerLen + ")");
        }
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        Object parsed = new Json(header, file).value();
        if (!(parsed instanceof Map<?, ?> root)) {
            throw new CheckpointException(file + ": safetensors header is not a JSON object");
        }
        MemorySegment all = MemorySegment.ofArray(bytes);
        long base = 8 + headerLen;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : root.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (e.getValue() instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info) || !(info.get("shape") instanceof List<?> shapeList)
                    || !(info.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
                throw new CheckpointException(file + ": tensor '" + name + "' has a malformed header entry");
            }
            DType dtype = DType.fromSafetensors(String.valueOf(info.get("dtype")), file.toString(), name);
            long[] shape = new long[shapeList.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = ((Number) shapeList.get(i)).longValue();
            }
            long begin = ((Number) offs.get(0)).longValue();
            long end = ((Number) offs.get(1)).longValue();
            if (begin < 0 || end < begin || base + end > bytes.length) {
                throw new CheckpointException(file + ": tensor '" + name + "' has data offsets outside the file");
            }
            tensors.put(name, new Tensor(name, dtype, shape, all.asSlice(base + begin, end - begin)));
        }
        return new MemoryCheckpoint(file, tensors, metadata);
    }

    /** SHA-256 of a file's bytes, as lowercase hex (identifies the tokenizer behind a token cache). */
    public static String sha256(Path file) {
        try (var in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new TesseraException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A tensor of {@code dtype} (F32 or BF16, BF16 rounded to nearest even) holding {@code values}. */
    public static Tensor floats(String name, long[] shape, float[] values, DType dtype) {
        if (dtype == DType.F32) {
            return Tensor.ofFloats(name, shape, values);
        }
        if (dtype != DType.BF16) {
            throw new IllegalArgumentException("floats: only F32 and BF16 are written, not " + dtype);
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(i16, i, toBf16(values[i]));
        }
        return new Tensor(name, DType.BF16, shape, seg);
    }

    /** float → bfloat16 bits, round to nearest even (as torch's {@code .to(torch.bfloat16)}). */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** An int tensor (I32) of {@code values}. */
    public static Tensor ints(String name, long[] shape, int[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(i32, i, values[i]);
        }
        return new Tensor(name, DType.I32, shape, seg);
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** The small JSON subset of safetensors headers: objects, arrays, strings, integers. */
    private static final class Json {
        private final String s;
        private final Path file;
        private int i;

        Json(String s, Path file) {
            this.s = s;
            this.file = file;
        }

        Object value() {
            skip();
            if (i >= s.length()) {
                throw bad("unexpected end");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                skip();
                if (peek() == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    skip();
                    String k = string();
                    skip();
                    expect(':');
                    m.put(k, value());
                    skip();
                    if (peek() == ',') {
                        i++;
                    } else {
                        expect('}');
                        return m;
                    }
                }
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                skip();
                if (peek() == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    skip();
                    if (peek() == ',') {
                        i++;
                    } else {
                        expect(']');
                        return l;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (start == i) {
                throw bad("unexpected '" + c + "'");
            }
            String num = s.substring(start, i);
            try {
                return Long.parseLong(num);
            } catch (NumberFormatException e) {
                return Double.parseDouble(num);
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (i < s.length() && s.charAt(i) != '"') {
                char c = s.charAt(i++);
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
            expect('"');
            return b.toString();
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private void expect(char c) {
            if (peek() != c) {
                throw bad("expected '" + c + "'");
            }
            i++;
        }

        private CheckpointException bad(String what) {
            return new CheckpointException(file + ": malformed safetensors header at byte " + (8 + i) + ": " + what);
        }
    }
}
