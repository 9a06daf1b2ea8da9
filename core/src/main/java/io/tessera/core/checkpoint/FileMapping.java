package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opening and memory-mapping checkpoint files, with one-line errors naming the file. */
final class FileMapping {
    private FileMapping() {
    }

    /** Fails unless {@code file} is an existing, non-empty regular file; returns its size. */
    static long requireReadableFile(Path file) {
        if (Files.isDirectory(file)) {
            throw new CheckpointException(file + ": is a directory, expected a checkpoint file");
        }
        if (!Files.exists(file)) {
            throw new CheckpointException(file + ": no such file");
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read file size (" + oneLine(e) + ")", e);
        }
        if (size == 0) {
            throw new CheckpointException(file + ": file is empty");
        }
        return size;
    }

    /** Maps all of {@code file} read-only into {@code arena} (closing the arena unmaps it). */
    static MemorySegment mapReadOnly(Path file, Arena arena) {
        requireReadableFile(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file", e);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot map file (" + oneLine(e) + ")", e);
        }
    }

    /** An exception's message (or class name) folded onto one line. */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
