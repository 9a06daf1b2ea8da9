package io.tessera.core.io;

import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy}, the one copy: the reader of integer arrays (format versions 1–3, dtype
 * {@code <i4} or {@code <i8}, also {@code |i1}, {@code <i2}; C order; any shape, flattened; errors are
 * {@link IOException}s whose message says what is wrong, the caller adds the file name), the
 * format-1.0 header every writer uses, and the atomic int32 writer ({@code --tokens-out}, eval's tokens).
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** One {@code 'key': value,} entry of the header dict; the value is a string, a boolean or a tuple. */
    private static final Pattern ENTRY = Pattern.compile("\\s*'([A-Za-z_]{1,32})'\\s*:\\s*('[^'\\\\]{0,64}'|True|False|\\([0-9,\\s]{0,256}\\))\\s*(,|(?=\\s*$))");
    private static final Pattern DIM = Pattern.compile("\\s*([0-9]{1,18})\\s*");
    /** Largest header read (NumPy itself refuses headers over 10,000 bytes by default). */
    static final int MAX_HEADER = 10_000;

    private Npy() {
    }

    /** The array's elements in C order, as longs. */
    public static long[] readInts(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !java.util.Arrays.equals(bytes, 0, 6, MAGIC, 0, 6)) {
            throw new IOException("not a .npy file (bad magic)");
        }
        int major = bytes[6];
        int headerLength;
        int offset;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(buf.getShort(8));
            offset = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new IOException("truncated .npy header");
            }
            headerLength = buf.getInt(8);
            offset = 12;
        } else {
            throw new IOException("unsupported .npy format version " + major);
        }
        if (headerLength > MAX_HEADER) {
            throw new IOException(".npy header of " + Integer.toUnsignedString(headerLength) + " bytes is too long (at most "
                    + MAX_HEADER + ")");
        }
        if (headerLength < 0 || offset + headerLength > bytes.length) {
            throw new IOException("truncated .npy header");
        }
        String header = new String(bytes, offset, headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        java.util.Map<String, String> dict = parseHeader(header);
        String descr = dict.get("descr");
        if (!descr.startsWith("'")) {
            throw new IOException("header 'descr' is " + descr + ", not a dtype string");
        }
        descr = descr.substring(1, descr.length() - 1);
        String fortran = dict.get("fortran_order");
        if (!fortran.equals("True") && !fortran.equals("False")) {
            throw new IOException("header 'fortran_order' is " + fortran + ", not True or False");
        }
        if (fortran.equals("True")) {
            throw new IOException("Fortran-order arrays are not supported (save a C-order array)");
        }
        long count = shapeCount(dict.get("shape"));
        int itemSize = switch (descr) {
            case "|i1", "<i1", "i1" -> 1;
            case "<i2" -> 2;
            case "<i4" -> 4;
            case "<i8" -> 8;
            default -> throw new IOException("dtype '" + descr + "' is not supported (little-endian int32 or int64)");
        };
        int data = offset + headerLength;
        if (count > Integer.MAX_VALUE || data + count * itemSize != bytes.length) {
            throw new IOException("data size does not match shape (" + count + " × " + itemSize + " bytes expected, "
                    + (bytes.length - data) + " present)");
        }
        long[] out = new long[(int) count];
        for (int i = 0; i < out.length; i++) {
            int at = data + i * itemSize;
            out[i] = switch (itemSize) {
                case 1 -> bytes[at];
                case 2 -> buf.getShort(at);
                case 4 -> buf.getInt(at);
                default -> buf.getLong(at);
            };
        }
        return out;
    }

    /** The NumPy 1.0 header of a C-order array (magic, version, length, dict padded to a multiple of 64 bytes). */
    public static byte[] header(String descr, int... shape) {
        return header(descr, java.util.Arrays.stream(shape).asLongStream().toArray());
    }

    /** {@link #header(String, int...)} for shapes with long dimensions. */
    public static byte[] header(String descr, long... shape) {
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            dims.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        String tuple = shape.length == 1 ? "(" + dims + ",)" : "(" + dims + ")";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length);
        b.put(text);
        return b.array();
    }

    /**
     * Writes {@code data} as a little-endian int32 array of {@code shape} (format 1.0, C order) through
     * a temporary sibling and an atomic rename; parent directories are created.
     *
     * @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape}
     */
    public static void writeInt32(Path target, int[] data, int... shape) {
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        if (count != data.length) {
            throw new IllegalArgumentException(target + ": " + data.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        Path dir = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TesseraException(dir + ": cannot create directory (" + e.getMessage() + ")", e);
        }
        AtomicFiles.writeStream(target, int32Body(data, shape));
    }

    /** The bytes of {@link #writeInt32} as a stream body, for a caller that stages several outputs at once. */
    public static AtomicFiles.StreamBody int32Body(int[] data, int... shape) {
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        if (count != data.length) {
            throw new IllegalArgumentException(data.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        byte[] head = header("<i4", shape);
        return out -> {
            out.write(head);
            ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : data) {
                body.putInt(v);
            }
            out.write(body.array());
        };
    }

    /** The header's {@code {'descr': ..., 'fortran_order': ..., 'shape': (...), }} entries, strictly: each of the three exactly once, nothing else. */
    private static java.util.Map<String, String> parseHeader(String header) throws IOException {
        String h = header.strip();
        if (!h.startsWith("{") || !h.endsWith("}")) {
            throw new IOException("header is not a Python dict literal");
        }
        String inner = h.substring(1, h.length() - 1);
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        Matcher m = ENTRY.matcher(inner);
        int end = 0;
        while (end < inner.length() && !inner.substring(end).isBlank()) {
            m.region(end, inner.length());
            if (!m.lookingAt()) {
                throw new IOException("header is malformed at character " + (end + 1) + " of its dict");
            }
            String key = m.group(1);
            if (!key.equals("descr") && !key.equals("fortran_order") && !key.equals("shape")) {
                throw new IOException("header has unknown key '" + key + "'");
            }
            if (out.put(key, m.group(2)) != null) {
                throw new IOException("header has key '" + key + "' twice");
            }
            end = m.end();
        }
        for (String key : new String[] {"descr", "fortran_order", "shape"}) {
            if (!out.containsKey(key)) {
                throw new IOException("header has no '" + key + "'");
            }
        }
        return out;
    }

    /** The element count of a shape tuple such as {@code (16, 16)} or {@code (256,)}. */
    private static long shapeCount(String tuple) throws IOException {
        if (!tuple.startsWith("(")) {
            throw new IOException("header 'shape' is " + tuple + ", not a tuple");
        }
        String body = tuple.substring(1, tuple.length() - 1).strip();
        if (body.endsWith(",")) {
            body = body.substring(0, body.length() - 1);
        }
        long count = 1;
        if (body.isBlank()) {
            return count;
        }
        for (String dim : body.split(",", -1)) {
            Matcher d = DIM.matcher(dim);
            if (!d.matches()) {
                throw new IOException("header 'shape' " + tuple + " is not a tuple of non-negative integers");
            }
            try {
                count = Math.multiplyExact(count, Long.parseLong(d.group(1)));
            } catch (ArithmeticException overflow) {
                throw new IOException("header 'shape' " + tuple + " overflows 64 bits");
            }
        }
        return count;
    }
}
