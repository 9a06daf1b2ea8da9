package io.tessera.app.eval;

import io.tessera.app.AtomicFiles;
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

    /** A JSON string literal (RFC 8259), as core's strict JSON code writes it. */
    static String jsonString(String s) {
        return io.tessera.core.checkpoint.Json.quote(s);
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
}
