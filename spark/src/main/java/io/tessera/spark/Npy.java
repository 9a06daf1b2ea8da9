package io.tessera.spark;

import io.tessera.core.TesseraException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The NumPy files a shard is made of: {@code .npy} (format 1.0, C order, little-endian) and {@code .npz}
 * as {@code np.savez(file, images, labels)} writes it (uncompressed zip entries {@code arr_0.npy},
 * {@code arr_1.npy}; ZIP64 past 4 GiB; fixed entry times, so the same arrays give the same bytes).
 * Only the dtypes shards use: {@code |u1}, {@code <i4}, {@code <i8}.
 */
final class Npy {
    /** The array names {@code np.savez} gives positional arrays: images and labels. */
    static final String IMAGES = "arr_0.npy";
    static final String LABELS = "arr_1.npy";
    private static final long ZIP_EPOCH = java.time.LocalDateTime.of(1980, 1, 1, 0, 0)
            .atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** An array header: dtype descr and shape. */
    record Header(String descr, long[] shape) {
        long count() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }

        int itemSize() {
            return switch (descr) {
                case "|u1" -> 1;
                case "<i4" -> 4;
                case "<i8" -> 8;
                default -> throw new IllegalArgumentException("dtype " + descr);
            };
        }

        long dataBytes() {
            return count() * itemSize();
        }

        /** The header bytes (magic, version 1.0, length, dict padded to 64 bytes with a newline). */
        byte[] bytes() {
            return io.tessera.core.io.Npy.header(descr, shape);
        }
    }

    /** One array in memory: header and raw little-endian data. */
    record Array(Header header, byte[] data) {
        static Array uint8(byte[] data, long... shape) {
            return new Array(new Header("|u1", shape), data);
        }

        static Array int32(int[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(values);
            return new Array(new Header("<i4", shape), b.array());
        }

        static Array int64(long[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(values);
            return new Array(new Header("<i8", shape), b.array());
        }

        int[] ints() {
            int[] out = new int[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
            return out;
        }

        long[] longs() {
            long[] out = new long[data.length / 8];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }

        void writeNpy(OutputStream out) throws IOException {
            out.write(header.bytes());
            out.write(data);
        }
    }

    /** Reads the header of an {@code .npy} stream, leaving the stream at the data. */
    static Header readHeader(InputStream in, String where) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[8];
        d.readFully(magic);
        if ((magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY") || magic[6] != 1) {
            throw new TesseraException(where + ": not a NumPy 1.0 .npy array");
        }
        int len = Short.toUnsignedInt(Short.reverseBytes(d.readShort()));
        byte[] text = new byte[len];
        d.readFully(text);
        String dict = new String(text, StandardCharsets.US_ASCII);
        Matcher descr = DESCR.matcher(dict);
        Matcher fortran = FORTRAN.matcher(dict);
        Matcher shape = SHAPE.matcher(dict);
        if (!descr.find() || !fortran.find() || !shape.find() || fortran.group(1).equals("True")) {
            throw new TesseraException(where + ": unreadable .npy header " + dict.trim());
        }
        long[] dims = Arrays.stream(shape.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        Header h = new Header(descr.group(1), dims);
        try {
            h.itemSize();
        } catch (IllegalArgumentException e) {
            throw new TesseraException(where + ": unexpected dtype " + h.descr());
        }
        return h;
    }

    /** Reads a whole {@code .npy} file. */
    static Array readNpy(Path file) {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            Header h = readHeader(in, file.toString());
            byte[] data = in.readNBytes(Math.toIntExact(h.dataBytes()));
            if (data.length != h.dataBytes() || in.read() != -1) {
                throw new TesseraException(file + ": data does not match its header shape " + Arrays.toString(h.shape()));
            }
            return new Array(h, data);
        } catch (IOException | ArithmeticException e) {
            throw new TesseraException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Reads every array of an {@code .npz}, in entry order. */
    static Map<String, Array> readNpz(Path file) {
        Map<String, Array> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            var entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                try (InputStream in = zip.getInputStream(e)) {
                    Header h = readHeader(in, file + ":" + e.getName());
                    byte[] data = in.readNBytes(Math.toIntExact(h.dataBytes()));
                    if (data.length != h.dataBytes() || in.read() != -1) {
                        throw new TesseraException(file + ":" + e.getName() + ": data does not match its header shape");
                    }
                    out.put(e.getName(), new Array(h, data));
                }
            }
        } catch (IOException | ArithmeticException e) {
            throw new TesseraException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return out;
    }

    /** Headers of every array of an {@code .npz}, without reading the data. */
    static Map<String, Header> npzHeaders(Path file) throws IOException {
        Map<String, Header> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            var entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                try (InputStream in = zip.getInputStream(e)) {
                    Header h = readHeader(in, file + ":" + e.getName());
                    if (e.getSize() != h.bytes().length + h.dataBytes()) {
                        throw new TesseraException(file + ":" + e.getName() + ": entry size does not match its header shape");
                    }
                    out.put(e.getName(), h);
                }
            }
        }
        return out;
    }

    /** One {@code .npz} entry to be written: header and the sources of its data bytes, in order. */
    record Entry(String name, Header header, java.util.List<DataSource> sources) {
    }

    /** A source of data bytes, opened twice when writing (once for the CRC, once for the bytes). */
    @FunctionalInterface
    interface DataSource {
        InputStream open() throws IOException;
    }

    /** The data bytes (after the header) of entry {@code name} of an {@code .npz} file. */
    static DataSource npzData(Path file, String name) {
        return () -> {
            ZipFile zip = new ZipFile(file.toFile());
            try {
                ZipEntry e = zip.getEntry(name);
                if (e == null) {
                    throw new TesseraException(file + ": no entry " + name);
                }
                InputStream in = zip.getInputStream(e);
                readHeader(in, file + ":" + name);
                return new java.io.FilterInputStream(in) {
                    @Override
                    public void close() throws IOException {
                        try {
                            super.close();
                        } finally {
                            zip.close();
                        }
                    }
                };
            } catch (IOException | RuntimeException ex) {
                zip.close();
                throw ex;
            }
        };
    }

    /** The data bytes (after the header) of an {@code .npy} file. */
    static DataSource npyData(Path file) {
        return () -> {
            InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file));
            try {
                readHeader(in, file.toString());
                return in;
            } catch (IOException | RuntimeException ex) {
                in.close();
                throw ex;
            }
        };
    }

    /** An in-memory entry. */
    static Entry entry(String name, Array a) {
        return new Entry(name, a.header(), java.util.List.of(() -> new java.io.ByteArrayInputStream(a.data())));
    }

    /**
     * Writes the entries as STORED zip members to {@code out}; data is streamed (a pre-pass computes each
     * entry's CRC, which a STORED entry needs before its bytes), so the merged file of 50,000 images never
     * sits in memory.
     */
    static void writeNpz(OutputStream out, java.util.List<Entry> entries) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        byte[] buf = new byte[1 << 16];
        for (Entry en : entries) {
            byte[] header = en.header().bytes();
            CRC32 crc = new CRC32();
            crc.update(header);
            long size = header.length;
            for (DataSource s : en.sources()) {
                try (InputStream in = s.open()) {
                    for (int r; (r = in.read(buf)) > 0; ) {
                        crc.update(buf, 0, r);
                        size += r;
                    }
                }
            }
            if (size != header.length + en.header().dataBytes()) {
                throw new TesseraException(en.name() + ": " + (size - header.length) + " data bytes for shape "
                        + Arrays.toString(en.header().shape()));
            }
            ZipEntry z = new ZipEntry(en.name());
            z.setMethod(ZipEntry.STORED);
            z.setSize(size);
            z.setCompressedSize(size);
            z.setCrc(crc.getValue());
            z.setTime(ZIP_EPOCH);
            zip.putNextEntry(z);
            zip.write(header);
            for (DataSource s : en.sources()) {
                try (InputStream in = s.open()) {
                    in.transferTo(zip);
                }
            }
            zip.closeEntry();
        }
        zip.finish();
        zip.flush();
    }

    /** The bytes of an in-memory {@code .npz} (tests). */
    static byte[] npzBytes(java.util.List<Entry> entries) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        writeNpz(b, entries);
        return b.toByteArray();
    }
}
