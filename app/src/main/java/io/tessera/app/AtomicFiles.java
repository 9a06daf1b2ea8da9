package io.tessera.app;

import io.tessera.core.TesseraException;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Output files written to a temporary sibling and renamed into place: never half-written, no temporary
 * left behind (core's {@code AtomicFiles}); {@link #outputs()} writes one command's files all or none.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** A writer of bytes to a stream. */
    public interface Body extends io.tessera.core.checkpoint.AtomicFiles.StreamBody {
    }

    /** Writes {@code target} through a temporary sibling and an atomic rename (core's {@code AtomicFiles}); parents are created. */
    public static void write(Path target, Body body) {
        try (Outputs o = outputs()) {
            o.stage(target, body).commit();
        }
    }

    /** The outputs of one command: every file is staged first, then all are renamed into place (or, on failure, none). */
    public static Outputs outputs() {
        return new Outputs();
    }

    /** See {@link #outputs()}. */
    public static final class Outputs implements AutoCloseable {
        private final io.tessera.core.checkpoint.AtomicFiles.Batch batch = io.tessera.core.checkpoint.AtomicFiles.batch();

        private Outputs() {
        }

        public Outputs stage(Path target, Body body) {
            Path dir = target.toAbsolutePath().getParent();
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                batch.close();
                throw new TesseraException(dir + ": cannot create directory (" + e.getMessage() + ")", e);
            }
            batch.stageStream(target, body);
            return this;
        }

        public Outputs png(Path target, RenderedImage image) {
            return stage(target, io.tessera.core.io.Images.pngBody(image)::write);
        }

        public Outputs npyInt32(Path target, int[] data, int... shape) {
            return stage(target, io.tessera.core.io.Npy.int32Body(data, shape)::write);
        }

        public void commit() {
            batch.commit();
        }

        @Override
        public void close() {
            batch.close();
        }
    }
}
