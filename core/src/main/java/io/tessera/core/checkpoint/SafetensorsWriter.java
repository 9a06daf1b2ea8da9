package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes tensors to a safetensors file, atomically (temporary file in the same directory, forced to
 * disk, then renamed over the target; nothing half-written is ever visible under the target name).
 *
 * <p>Output is deterministic: the header is compact JSON with {@code "__metadata__"} first (only when
 * metadata is non-empty), then one entry per tensor in the map's iteration order, whose data follow
 * back to back in the same order. The header is padded with spaces to a multiple of 8 bytes, as the
 * format specifies. Tensor names are the map keys.
 */
public final class SafetensorsWriter {
    private static final int STAGING_BYTES = 1 << 20;

    private SafetensorsWriter() {
    }

    public static void write(Path file, Map<String, Tensor> tensors) {
        write(file, tensors, Map.of());
    }

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        byte[] header = header(file, tensors, metadata);
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            AtomicFiles.writeFully(out, len);
            AtomicFiles.writeFully(out, ByteBuffer.wrap(header));
            ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
            for (Tensor t : tensors.values()) {
                AtomicFiles.writeSegment(out, t.data(), staging);
            }
        });
    }

    /** The padded UTF-8 header (without the 8-byte length prefix). */
    static byte[] header(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringBuilder b = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            b.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new CheckpointException(file + ": metadata keys and values must not be null");
                }
                b.append(first ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                first = false;
            }
            b.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new CheckpointException(file + ": invalid tensor name '" + name + "'");
            }
            Tensor t = e.getValue();
            long bytes = t.data().byteSize();
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(Json.quote(name)).append(":{\"dtype\":\"").append(t.dtype().safetensorsName())
                    .append("\",\"shape\":").append(Arrays.toString(t.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        b.append('}');
        byte[] raw = b.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) & ~7;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }
}
