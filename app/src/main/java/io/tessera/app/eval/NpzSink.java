package io.tessera.app.eval;

import io.tessera.core.io.Npy;
import io.tessera.app.AtomicFiles;
import io.tessera.core.TesseraException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Streams a uint8 array into a NumPy {@code .npz} of one entry, without holding the array in memory
 * (50,000 samples at 256×256 are 9.8 GB): the bytes go to a hidden spill file beside the target
 * while their CRC is computed, and {@link #commit} writes the zip atomically.
 *
 * <p>Layout, as {@code np.savez(file, images)} writes it and ADM's evaluator reads it
 * ({@code np.load(f)["arr_0"]}): one uncompressed (STORED) zip entry {@value #ENTRY} holding a NumPy
 * format 1.0 array, dtype {@code |u1}, C order; ZIP64 where the entry exceeds 4 GiB. The entry time is
 * fixed, so the same array gives the same file bytes.
 *
 * <p>Use: {@code try (NpzSink s = new NpzSink(file, shape)) { s.write(...)...; s.commit(); }} —
 * closing without committing leaves the target untouched.
 */
public final class NpzSink implements AutoCloseable {
    /** The array name {@code np.savez} gives its first positional array. */
    public static final String ENTRY = "arr_0.npy";
    private static final long ZIP_EPOCH = java.time.LocalDateTime.of(1980, 1, 1, 0, 0)
            .atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();

    private final Path target;
    private final int[] shape;
    private final long expected;
    private final byte[] header;
    private final Path spill;
    private final CRC32 crc = new CRC32();
    private OutputStream out;
    private long written;

    /**
     * @throws TesseraException naming the target if the spill file cannot be created
     */
    public NpzSink(Path target, int... shape) {
        this.target = target;
        this.shape = shape.clone();
        long count = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + java.util.Arrays.toString(shape));
            }
            count *= s;
        }
        this.expected = count;
        this.header = Npy.header("|u1", shape);
        crc.update(header);
        Path abs = target.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
            this.spill = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".spill");
            this.out = new BufferedOutputStream(Files.newOutputStream(spill), 1 << 16);
        } catch (IOException e) {
            throw new TesseraException(target + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** Appends {@code len} bytes of the array (C order). */
    public void write(byte[] b, int off, int len) {
        if (written + len > expected) {
            throw new IllegalStateException(target + ": more than the " + expected + " bytes of shape " + java.util.Arrays.toString(shape));
        }
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw new TesseraException(target + ": cannot write (" + e.getMessage() + ")", e);
        }
        crc.update(b, off, len);
        written += len;
    }

    /**
     * Writes the target atomically from the bytes written so far.
     *
     * @throws IllegalStateException if fewer bytes than the shape holds were written
     */
    public void commit() {
        if (written != expected) {
            throw new IllegalStateException(target + ": " + written + " of the " + expected + " bytes of shape " + java.util.Arrays.toString(shape));
        }
        try {
            out.close();
        } catch (IOException e) {
            throw new TesseraException(target + ": cannot write (" + e.getMessage() + ")", e);
        }
        long size = header.length + expected;
        AtomicFiles.write(target, dest -> {
            ZipOutputStream zip = new ZipOutputStream(dest);
            ZipEntry e = new ZipEntry(ENTRY);
            e.setMethod(ZipEntry.STORED);
            e.setSize(size);
            e.setCompressedSize(size);
            e.setCrc(crc.getValue());
            e.setTime(ZIP_EPOCH);
            zip.putNextEntry(e);
            zip.write(header);
            try (InputStream in = Files.newInputStream(spill)) {
                in.transferTo(zip);
            }
            zip.closeEntry();
            zip.finish();
        });
    }

    /** Deletes the spill file (the target, if committed, stays). */
    @Override
    public void close() {
        try {
            out.close();
            Files.deleteIfExists(spill);
        } catch (IOException e) {
            throw new TesseraException(spill + ": cannot delete (" + e.getMessage() + ")", e);
        }
    }
}
