package io.tessera.core.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes a zip archive the way PyTorch's {@code PyTorchStreamWriter} does: STORED entries whose data
 * start on a 64-byte boundary (padding carried in a {@code "FB"} extra field of the local header),
 * fixed timestamps (deterministic output), CRC-32 of every entry, and ZIP64 records when an offset or
 * size does not fit 32 bits (or when forced, for tests). A DEFLATED entry can be written for tests.
 */
final class ZipWriter {
    static final int ALIGNMENT = 64;
    private static final int PAD_ID = 0x4246; // "FB", as PyTorch writes it
    private static final int DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
    private static final long MAX32 = 0xffffffffL;

    private record Written(byte[] name, int method, int crc, long csize, long size, long offset) {
    }

    private final FileChannel ch;
    private final boolean zip64;
    private final List<Written> written = new ArrayList<>();
    private final ByteBuffer staging = ByteBuffer.allocateDirect(1 << 20);

    /** {@code zip64}: write ZIP64 fields for every entry and the end records (needed past 4 GiB). */
    ZipWriter(FileChannel ch, boolean zip64) {
        this.ch = ch;
        this.zip64 = zip64;
    }

    /** True when an archive with this much data (plus headers) would need ZIP64. */
    static boolean needsZip64(long dataBytes, int entries) {
        return dataBytes + (long) entries * (ALIGNMENT + 512) + 4096 >= MAX32 || entries >= 0xffff;
    }

    void stored(String name, MemorySegment data) throws IOException {
        entry(name, data, false);
    }

    void deflated(String name, MemorySegment data) throws IOException {
        entry(name, data, true);
    }

    private void entry(String name, MemorySegment data, boolean deflate) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long offset = ch.position();
        CRC32 crc = crc(data);
        byte[] compressed = null;
        long csize = data.byteSize();
        if (deflate) {
            Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            d.setInput(data.toArray(ValueLayout.JAVA_BYTE));
            d.finish();
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                bos.write(buf, 0, d.deflate(buf));
            }
            d.end();
            compressed = bos.toByteArray();
            csize = compressed.length;
        }
        int zip64Len = zip64 ? 4 + 16 : 0;
        long headerEnd = offset + 30 + n.length + zip64Len + 4;
        int pad = (int) ((ALIGNMENT - headerEnd % ALIGNMENT) % ALIGNMENT);
        ByteBuffer h = le(30 + n.length + zip64Len + 4 + pad);
        h.putInt(ZipArchive.LOCAL_SIG).putShort((short) (zip64 ? 45 : 20)).putShort((short) 0)
                .putShort((short) (deflate ? 8 : 0)).putShort((short) 0).putShort((short) DOS_DATE)
                .putInt((int) crc.getValue())
                .putInt((int) (zip64 ? MAX32 : csize)).putInt((int) (zip64 ? MAX32 : data.byteSize()))
                .putShort((short) n.length).putShort((short) (zip64Len + 4 + pad)).put(n);
        if (zip64) {
            h.putShort((short) 1).putShort((short) 16).putLong(data.byteSize()).putLong(csize);
        }
        h.putShort((short) PAD_ID).putShort((short) pad);
        for (int i = 0; i < pad; i++) {
            h.put((byte) 'Z');
        }
        AtomicFiles.writeFully(ch, h.flip());
        if (compressed != null) {
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(compressed));
        } else {
            AtomicFiles.writeSegment(ch, data, staging);
        }
        written.add(new Written(n, deflate ? 8 : 0, (int) crc.getValue(), csize, data.byteSize(), offset));
    }

    /** Writes the central directory and end records. */
    void finish() throws IOException {
        long cdStart = ch.position();
        for (Written w : written) {
            int extra = zip64 ? 4 + 24 : 0;
            ByteBuffer c = le(46 + w.name().length + extra);
            c.putInt(ZipArchive.CENTRAL_SIG).putShort((short) (zip64 ? 45 : 20)).putShort((short) (zip64 ? 45 : 20))
                    .putShort((short) 0).putShort((short) w.method()).putShort((short) 0).putShort((short) DOS_DATE)
                    .putInt(w.crc())
                    .putInt((int) (zip64 ? MAX32 : w.csize())).putInt((int) (zip64 ? MAX32 : w.size()))
                    .putShort((short) w.name().length).putShort((short) extra).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) (zip64 ? MAX32 : w.offset())).put(w.name());
            if (zip64) {
                c.putShort((short) 1).putShort((short) 24).putLong(w.size()).putLong(w.csize()).putLong(w.offset());
            }
            AtomicFiles.writeFully(ch, c.flip());
        }
        long cdEnd = ch.position();
        long cdSize = cdEnd - cdStart;
        int count = written.size();
        if (zip64) {
            ByteBuffer z = le(56 + 20);
            z.putInt(ZipArchive.ZIP64_EOCD_SIG).putLong(44).putShort((short) 45).putShort((short) 45)
                    .putInt(0).putInt(0).putLong(count).putLong(count).putLong(cdSize).putLong(cdStart);
            z.putInt(ZipArchive.ZIP64_LOCATOR_SIG).putInt(0).putLong(cdEnd).putInt(1);
            AtomicFiles.writeFully(ch, z.flip());
        }
        ByteBuffer e = le(22);
        e.putInt(ZipArchive.EOCD_SIG).putShort((short) 0).putShort((short) 0)
                .putShort((short) (zip64 ? 0xffff : count)).putShort((short) (zip64 ? 0xffff : count))
                .putInt((int) (zip64 ? MAX32 : cdSize)).putInt((int) (zip64 ? MAX32 : cdStart)).putShort((short) 0);
        AtomicFiles.writeFully(ch, e.flip());
    }

    /** CRC-32 of any segment (heap or native, any size), through the staging buffer. */
    private CRC32 crc(MemorySegment data) {
        CRC32 crc = new CRC32();
        MemorySegment stage = MemorySegment.ofBuffer(staging.clear());
        for (long done = 0; done < data.byteSize(); ) {
            int len = (int) Math.min(staging.capacity(), data.byteSize() - done);
            MemorySegment.copy(data, done, stage, 0, len);
            crc.update(staging.clear().limit(len));
            done += len;
        }
        return crc;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
