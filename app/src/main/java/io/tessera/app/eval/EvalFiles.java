package io.tessera.app.eval;

import io.tessera.app.AtomicFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The files {@code tessera eval} writes, each atomically through {@link AtomicFiles#write}. */
public final class EvalFiles {
    private EvalFiles() {
    }

    /**
     * A NumPy {@code .npz} holding one uint8 array {@code arr_0} of shape {@code shape} (C order); see
     * {@link NpzSink} for the layout. For samples the shape is [N, H, W, 3].
     *
     * @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape}
     */
    public static void npzUint8(Path target, byte[] data, int... shape) {
        long count = 1;
        for (int s : shape) {
            count *= s;
        }
        if (count != data.length) {
            throw new IllegalArgumentException(target + ": " + data.length + " bytes for shape " + java.util.Arrays.toString(shape));
        }
        try (NpzSink sink = new NpzSink(target, shape)) {
            sink.write(data, 0, data.length);
            sink.commit();
        }
    }

    /** The NumPy 1.0 header (magic, version, length, dict padded to a multiple of 64 bytes). */
    static byte[] npyHeader(String descr, int... shape) {
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            dims.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        String tuple = shape.length == 1 ? "(" + dims + ",)" : "(" + dims + ")";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) text.length);
        b.put(text);
        return b.array();
    }

    /** UTF-8 text. */
    public static void text(Path target, String text) {
        AtomicFiles.write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** A JSON string literal (RFC 8259). */
    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
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

    /** A JSON number, or {@code null} for NaN/infinite (JSON has no NaN). */
    static String jsonNumber(double v) {
        if (!Double.isFinite(v)) {
            return "null";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /** PNG of a rendered image. */
    static void png(Path target, java.awt.image.RenderedImage image) {
        AtomicFiles.png(target, image);
    }
}
