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
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

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
        if (headerLength < 0 || offset + headerLength > bytes.length) {
            throw new IOException("truncated .npy header");
        }
        String header = new String(bytes, offset, headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, "descr");
        if ("True".equals(find(FORTRAN, header, "fortran_order"))) {
            throw new IOException("Fortran-order arrays are not supported (save a C-order array)");
        }
        long count = 1;
        for (String dim : find(SHAPE, header, "shape").split(",")) {
            if (!dim.isBlank()) {
                count = Math.multiplyExact(count, Long.parseLong(dim.strip()));
            }
        }
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
        byte[] head = header("<i4", shape);
        AtomicFiles.writeStream(target, out -> {
            out.write(head);
            ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : data) {
                body.putInt(v);
            }
            out.write(body.array());
        });
    }

    private static String find(Pattern pattern, String header, String key) throws IOException {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw new IOException("header has no '" + key + "'");
        }
        return m.group(1);
    }
}
