package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Atomic file replacement: the body writes into a temporary file in the target's directory, which is
 * forced to disk and then renamed over the target with {@code ATOMIC_MOVE}. On any failure the
 * temporary file is deleted and the target is left as it was: readers never see a half-written file.
 */
public final class AtomicFiles {
    /** Writes the whole content through the channel (positioned at 0, empty). */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    /** Writes the whole content to a stream. */
    @FunctionalInterface
    public interface StreamBody {
        void write(java.io.OutputStream out) throws IOException;
    }

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> READABLE =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");

    private AtomicFiles() {
    }

    /** {@link #write(Path, Body)} for content produced as a stream (images, arrays, text). */
    public static void writeStream(Path target, StreamBody body) {
        write(target, ch -> {
            java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
            body.write(out);
            out.flush();
        });
    }

    public static void write(Path target, Body body) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) {
            throw new CheckpointException(target + ": is a directory, cannot write a checkpoint there");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CheckpointException(target + ": parent directory does not exist");
        }
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            }
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(tmp, READABLE); // temp files start 0600; outputs are ordinary files
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (AtomicMoveNotSupportedException e) {
            throw new CheckpointException(target + ": the file system cannot rename atomically (" + FileMapping.oneLine(e) + ")", e);
        } catch (IOException | IllegalStateException | IndexOutOfBoundsException e) {
            // IllegalStateException: a source tensor's memory was released (its checkpoint closed) mid-write.
            throw new CheckpointException(target + ": write failed (" + FileMapping.oneLine(e) + ")", e);
        } catch (RuntimeException e) {
            throw e;
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException cleanup) {
                    // The primary failure is being reported; a leftover ".tmp" file is harmless and visible.
                }
            }
        }
    }

    /** Writes all of {@code seg} to {@code out} at its current position, in bounded chunks. */
    public static void writeSegment(FileChannel out, MemorySegment seg, ByteBuffer staging) throws IOException {
        long done = 0;
        long n = seg.byteSize();
        MemorySegment stage = MemorySegment.ofBuffer(staging.clear());
        while (done < n) {
            int len = (int) Math.min(staging.capacity(), n - done);
            MemorySegment.copy(seg, done, stage, 0, len);
            writeFully(out, staging.clear().limit(len));
            done += len;
        }
    }

    public static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }
}
