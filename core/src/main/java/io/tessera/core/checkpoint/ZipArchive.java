package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A read-only view of a zip archive held in a memory segment (the mapped file): the central directory
 * is parsed (ZIP64 end records and extra fields included), and a STORED entry's bytes are returned as a
 * slice of the segment, found through its local file header. Compressed or encrypted entries are
 * refused when their data are asked for. Every error is one line naming the file (and the entry).
 */
final class ZipArchive {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int LOCAL_SIG = 0x04034b50;
    static final int CENTRAL_SIG = 0x02014b50;
    static final int EOCD_SIG = 0x06054b50;
    static final int ZIP64_EOCD_SIG = 0x06064b50;
    static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    static final int METHOD_STORED = 0;

    /** One central-directory entry. */
    record Entry(String name, int method, int flags, int crc, long compressedSize, long size, long localHeaderOffset) {
    }

    private final Path file;
    private final MemorySegment seg;
    private final Map<String, Entry> entries;

    private ZipArchive(Path file, MemorySegment seg, Map<String, Entry> entries) {
        this.file = file;
        this.seg = seg;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** Entries in central-directory order. */
    Map<String, Entry> entries() {
        return entries;
    }

    static ZipArchive parse(Path file, MemorySegment seg) {
        long size = seg.byteSize();
        long eocd = findEocd(file, seg);
        int diskNo = u16(seg, eocd + 4);
        int cdDisk = u16(seg, eocd + 6);
        long count = u16(seg, eocd + 10);
        long cdSize = u32(seg, eocd + 12);
        long cdOffset = u32(seg, eocd + 16);
        if (eocd >= 20 && seg.get(U32, eocd - 20) == ZIP64_LOCATOR_SIG) {
            long z = seg.get(U64, eocd - 20 + 8);
            if (z < 0 || z > size - 56 || seg.get(U32, z) != ZIP64_EOCD_SIG) {
                throw bad(file, "ZIP64 end-of-central-directory record is missing or out of range");
            }
            diskNo = seg.get(U32, z + 16);
            cdDisk = seg.get(U32, z + 20);
            count = seg.get(U64, z + 32);
            cdSize = seg.get(U64, z + 40);
            cdOffset = seg.get(U64, z + 48);
        } else if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
            throw bad(file, "zip end record needs ZIP64 but the ZIP64 locator is missing");
        }
        if (diskNo != 0 || cdDisk != 0) {
            throw bad(file, "multi-volume zip archives are not supported");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > size || cdSize > size - cdOffset || count < 0 || count > cdSize / 46) {
            throw bad(file, "zip central directory (offset " + cdOffset + ", " + cdSize + " bytes, " + count
                    + " entries) lies outside the file (" + size + " bytes)");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long p = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cdEnd || seg.get(U32, p) != CENTRAL_SIG) {
                throw bad(file, "zip central directory entry " + i + " is corrupt");
            }
            int flags = u16(seg, p + 8);
            int method = u16(seg, p + 10);
            int crc = seg.get(U32, p + 16);
            long csize = u32(seg, p + 20);
            long usize = u32(seg, p + 24);
            int nameLen = u16(seg, p + 28);
            int extraLen = u16(seg, p + 30);
            int commentLen = u16(seg, p + 32);
            long local = u32(seg, p + 42);
            long varEnd = p + 46 + nameLen + extraLen + commentLen;
            if (varEnd > cdEnd) {
                throw bad(file, "zip central directory entry " + i + " is corrupt");
            }
            String name = new String(seg.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // ZIP64 extended information: only the fields whose 32-bit value is saturated, in this order.
            long x = p + 46 + nameLen;
            long xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = u16(seg, x);
                int len = u16(seg, x + 2);
                long q = x + 4;
                if (q + len > xEnd) {
                    throw bad(file, "entry '" + name + "': corrupt zip extra field");
                }
                if (id == 0x0001) {
                    long qEnd = q + len;
                    if (usize == 0xffffffffL) {
                        usize = need64(file, name, seg, q, qEnd);
                        q += 8;
                    }
                    if (csize == 0xffffffffL) {
                        csize = need64(file, name, seg, q, qEnd);
                        q += 8;
                    }
                    if (local == 0xffffffffL) {
                        local = need64(file, name, seg, q, qEnd);
                    }
                }
                x += 4 + len;
            }
            if (out.containsKey(name)) {
                throw bad(file, "zip archive has two entries named '" + name + "'");
            }
            out.put(name, new Entry(name, method, flags, crc, csize, usize, local));
            p = varEnd;
        }
        return new ZipArchive(file, seg, out);
    }

    private static long need64(Path file, String name, MemorySegment seg, long q, long end) {
        if (q + 8 > end) {
            throw bad(file, "entry '" + name + "': truncated ZIP64 extra field");
        }
        return seg.get(U64, q);
    }

    private static long findEocd(Path file, MemorySegment seg) {
        long size = seg.byteSize();
        long min = Math.max(0, size - 22 - 0xffff);
        for (long p = size - 22; p >= min; p--) {
            if (seg.get(U32, p) == EOCD_SIG && p + 22 + u16(seg, p + 20) == size) {
                return p;
            }
        }
        throw bad(file, "zip end-of-central-directory record not found (truncated or not a zip file)");
    }

    /**
     * The bytes of a STORED entry as a slice of the mapped file (no copy); fails for compressed or
     * encrypted entries and for headers or data outside the file.
     */
    MemorySegment data(Entry e) {
        if ((e.flags() & 1) != 0) {
            throw bad(file, "zip entry '" + e.name() + "' is encrypted");
        }
        if (e.method() != METHOD_STORED) {
            throw bad(file, "zip entry '" + e.name() + "' is compressed (method " + e.method()
                    + "); torch.save writes storages uncompressed, re-save the file with torch.save");
        }
        if (e.compressedSize() != e.size()) {
            throw bad(file, "zip entry '" + e.name() + "' is STORED but its sizes differ (" + e.compressedSize()
                    + " vs " + e.size() + ")");
        }
        long size = seg.byteSize();
        long lo = e.localHeaderOffset();
        if (lo < 0 || lo > size - 30 || seg.get(U32, lo) != LOCAL_SIG) {
            throw bad(file, "zip entry '" + e.name() + "': local header at offset " + lo + " is missing or corrupt");
        }
        int nameLen = u16(seg, lo + 26);
        int extraLen = u16(seg, lo + 28);
        long start = lo + 30 + nameLen + extraLen;
        if (start > size || e.size() > size - start) {
            throw bad(file, "zip entry '" + e.name() + "' data [" + start + ", " + (start + e.size())
                    + ") extends past the end of the file (" + size + " bytes)");
        }
        String localName = new String(seg.asSlice(lo + 30, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        if (!localName.equals(e.name())) {
            throw bad(file, "zip entry '" + e.name() + "': local header names '" + localName + "'");
        }
        return seg.asSlice(start, e.size());
    }

    private static int u16(MemorySegment s, long at) {
        return s.get(U16, at) & 0xffff;
    }

    private static long u32(MemorySegment s, long at) {
        return s.get(U32, at) & 0xffffffffL;
    }

    private static CheckpointException bad(Path file, String what) {
        return new CheckpointException(file + ": " + what);
    }
}
