package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a checkpoint file, choosing the reader from its first bytes (never from its name):
 * {@code PK\3\4} or {@code PK\5\6} (a zip) → {@link PtReader}; the legacy (PyTorch &lt; 1.6) pickle
 * header {@code 80 02 8a 0a} → refused; anything else → {@link SafetensorsReader}, which
 * validates the header. A missing file, a directory, an empty or truncated file fail with one line
 * naming the file.
 */
public final class Checkpoints {
    private Checkpoints() {
    }

    /** Opens a safetensors file or a PyTorch {@code .pt} zip; fails with one line naming the file. */
    public static Checkpoint open(Path file) {
        long size = FileMapping.requireReadableFile(file);
        byte[] head = new byte[(int) Math.min(8, size)];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            if (n != head.length) {
                throw new CheckpointException(file + ": file shrank while being read");
            }
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + FileMapping.oneLine(e) + ")", e);
        }
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
            return PtReader.read(file);
        }
        // Legacy torch.save: PROTO 2, then LONG1 of 10 bytes (the magic number 0x1950a86a20f9469cfc6c).
        // As a safetensors length prefix these bytes would be ≥ 176 MB, beyond any valid header.
        if (head.length >= 4 && (head[0] & 0xff) == 0x80 && head[1] == 2 && (head[2] & 0xff) == 0x8a && head[3] == 10) {
            throw new CheckpointException(file + ": legacy PyTorch format (a bare pickle, PyTorch < 1.6) is not supported;"
                    + " re-save it with a newer torch.save or convert it to safetensors");
        }
        return SafetensorsReader.read(file);
    }

    /**
     * Converts {@code in} (any format {@link #open} reads) to a safetensors file {@code out}, written
     * atomically; the tensors and metadata are carried over unchanged (bytes, dtypes, shapes, order).
     */
    public static void convertToSafetensors(Path in, Path out) {
        try (Checkpoint c = open(in)) {
            SafetensorsWriter.write(out, c.tensors(), c.metadata());
        }
    }
}
