package io.tessera.train;

import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

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
        createParent(file);
        io.tessera.core.checkpoint.AtomicFiles.writeStream(file, writer::write);
    }

    private static void createParent(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TesseraException(dir + ": cannot create directory (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Writes a safetensors file atomically (tensors in map order, 8-byte aligned header, string
     * metadata under {@code __metadata__}). Swap point for core's SafetensorsWriter.
     */
    public static void saveSafetensors(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        createParent(file);
        io.tessera.core.checkpoint.SafetensorsWriter.write(file, tensors, metadata);
    }

    /** Reads a whole safetensors file onto the heap (training checkpoints, token caches, tests). */
    public static MemoryCheckpoint loadSafetensors(Path file) {
        try (io.tessera.core.checkpoint.Checkpoint mapped = io.tessera.core.checkpoint.Checkpoints.open(file)) {
            Map<String, Tensor> copy = new java.util.LinkedHashMap<>();
            for (Tensor t : mapped.tensors().values()) {
                MemorySegment heap = MemorySegment.ofArray(new byte[Math.toIntExact(t.data().byteSize())]);
                heap.copyFrom(t.data());
                copy.put(t.name(), new Tensor(t.name(), t.dtype(), t.shape(), heap));
            }
            return new MemoryCheckpoint(file, copy, mapped.metadata());
        }
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
}
