package io.tessera.app;

import io.tessera.core.TesseraException;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

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

    public static void png(Path target, RenderedImage image) {
        write(target, pngBody(image));
    }

    /** An int32 little-endian .npy array of the given shape (NumPy format 1.0, C order). */
    public static void npyInt32(Path target, int[] data, int... shape) {
        write(target, npyBody(data, shape));
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
            return stage(target, pngBody(image));
        }

        public Outputs npyInt32(Path target, int[] data, int... shape) {
            return stage(target, npyBody(data, shape));
        }

        public void commit() {
            batch.commit();
        }

        @Override
        public void close() {
            batch.close();
        }
    }

    private static Body pngBody(RenderedImage image) {
        return out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer");
            }
        };
    }

    private static Body npyBody(int[] data, int... shape) {
        String dims = java.util.Arrays.stream(shape).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(", "));
        String tuple = shape.length == 1 ? "(" + dims + ",)" : "(" + dims + ")";
        String dict = "{'descr': '<i4', 'fortran_order': False, 'shape': " + tuple + ", }";
        int headerLen = 10 + dict.length() + 1;
        int pad = (64 - headerLen % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        return out -> {
            ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            pre.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
            out.write(pre.array());
            out.write(header.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : data) {
                body.putInt(v);
            }
            out.write(body.array());
        };
    }
}
