package io.tessera.app;

import io.tessera.core.TesseraException;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

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

    public static void png(Path target, RenderedImage image) {
        write(target, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer");
            }
        });
    }

    /** An int32 little-endian .npy array of the given shape (NumPy format 1.0, C order). */
    public static void npyInt32(Path target, int[] data, int... shape) {
        String dims = java.util.Arrays.stream(shape).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(", "));
        String tuple = shape.length == 1 ? "(" + dims + ",)" : "(" + dims + ")";
        String dict = "{'descr': '<i4', 'fortran_order': False, 'shape': " + tuple + ", }";
        int headerLen = 10 + dict.length() + 1;
        int pad = (64 - headerLen % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        write(target, out -> {
            ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            pre.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
            out.write(pre.array());
            out.write(header.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : data) {
                body.putInt(v);
            }
            out.write(body.array());
        });
    }
}
