package io.tessera.app;

import io.tessera.core.TesseraException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Output files written to a temporary sibling and renamed into place: never half-written. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** A writer of bytes to a stream. */
    public interface Body extends io.tessera.core.checkpoint.AtomicFiles.StreamBody {
    }

    /** Writes {@code target} through a temporary sibling and an atomic rename (core's {@code AtomicFiles}); parents are created. */
    public static void write(Path target, Body body) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TesseraException(dir + ": cannot create directory (" + e.getMessage() + ")", e);
        }
        io.tessera.core.checkpoint.AtomicFiles.writeStream(target, body);
    }
}
