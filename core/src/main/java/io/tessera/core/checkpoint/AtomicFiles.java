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
 *
 * <p>Nothing is left behind: a temporary file is named {@code .<target>.tessera-<pid>-<random>.tmp};
 * while it exists it is registered, and a JVM shutdown hook (SIGTERM, SIGINT, {@code System.exit})
 * deletes the registered ones; a process killed outright (SIGKILL, power loss) leaves its temporary
 * behind, and the next write to the same target deletes every temporary of that naming whose process
 * is no longer alive. {@link #batch()} writes several files all or none (one command's outputs).
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
    private static final String MARK = ".tessera-";
    /** Temporary files being written by this process (deleted by the shutdown hook). */
    private static final java.util.Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(AtomicFiles::deleteQuietly), "tessera-temp-cleanup"));
    }

    private AtomicFiles() {
    }

    /** {@link #write(Path, Body)} for content produced as a stream (images, arrays, text). */
    public static void writeStream(Path target, StreamBody body) {
        write(target, streaming(body));
    }

    private static Body streaming(StreamBody body) {
        return ch -> {
            java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
            body.write(out);
            out.flush();
        };
    }

    public static void write(Path target, Body body) {
        try (Batch b = batch()) {
            b.stage(target, body);
            b.commit();
        }
    }

    /** A set of files written all or none: {@link Batch#stage} each, then {@link Batch#commit}; closing without commit deletes them. */
    public static Batch batch() {
        return new Batch();
    }

    /**
     * Several outputs of one command. Every body runs (into its temporary file) before any target is
     * touched, so a failing body, a full disk or a missing directory leaves every target as it was.
     * The commit is then a rename per file in the targets' own directories.
     */
    public static final class Batch implements AutoCloseable {
        private final java.util.List<Path> temps = new java.util.ArrayList<>();
        private final java.util.List<Path> targets = new java.util.ArrayList<>();
        private final java.util.List<Path> shown = new java.util.ArrayList<>();

        private Batch() {
        }

        /** Writes {@code body} into a temporary sibling of {@code target} (the target is untouched until commit). */
        public Batch stage(Path target, Body body) {
            Path abs = target.toAbsolutePath().normalize();
            Path dir = abs.getParent();
            if (Files.isDirectory(abs)) {
                throw new CheckpointException(target + ": is a directory, cannot write a file there");
            }
            if (dir == null || !Files.isDirectory(dir)) {
                throw new CheckpointException(target + ": parent directory does not exist");
            }
            if (targets.contains(abs)) {
                throw new CheckpointException(target + ": the same file is named twice as an output");
            }
            sweepStale(abs);
            Path tmp = null;
            try {
                tmp = Files.createTempFile(dir, "." + abs.getFileName() + MARK + ProcessHandle.current().pid() + "-", ".tmp");
                LIVE.add(tmp);
                temps.add(tmp);
                targets.add(abs);
                shown.add(target);
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    body.write(ch);
                    ch.force(true);
                }
                if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                    Files.setPosixFilePermissions(tmp, READABLE); // temp files start 0600; outputs are ordinary files
                }
            } catch (IOException | IllegalStateException | IndexOutOfBoundsException e) {
                // IllegalStateException: a source tensor's memory was released (its checkpoint closed) mid-write.
                close();
                throw new CheckpointException(target + ": write failed (" + FileMapping.oneLine(e) + ")", e);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
            return this;
        }

        /** {@link #stage(Path, Body)} for content produced as a stream. */
        public Batch stageStream(Path target, StreamBody body) {
            return stage(target, streaming(body));
        }

        /** Renames every staged file over its target. */
        public void commit() {
            for (int i = 0; i < temps.size(); i++) {
                Path tmp = temps.get(i);
                try {
                    Files.move(tmp, targets.get(i), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    close();
                    throw new CheckpointException(shown.get(i) + ": the file system cannot rename atomically ("
                            + FileMapping.oneLine(e) + ")", e);
                } catch (IOException e) {
                    close();
                    throw new CheckpointException(shown.get(i) + ": write failed (" + FileMapping.oneLine(e) + ")", e);
                }
                LIVE.remove(tmp);
                temps.set(i, null);
            }
            temps.clear();
        }

        /** Deletes every staged file not yet committed. */
        @Override
        public void close() {
            for (Path t : temps) {
                if (t != null) {
                    deleteQuietly(t);
                    LIVE.remove(t);
                }
            }
            temps.clear();
        }
    }

    /**
     * Deletes temporaries of our own naming for {@code target} ({@code .<name>.tessera-<pid>-<n>.tmp})
     * whose writing process is gone (killed before it could clean up). Others are left alone.
     */
    static int sweepStale(Path target) {
        String prefix = "." + target.getFileName() + MARK;
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(target.getParent(),
                p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(".tmp"))) {
            for (Path p : ds) {
                String rest = p.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                if (dash <= 0 || !rest.substring(0, dash).chars().allMatch(Character::isDigit)
                        || !rest.substring(dash + 1, rest.length() - 4).chars().allMatch(Character::isDigit) || dash > 18) {
                    continue; // not our naming
                }
                long pid = Long.parseLong(rest.substring(0, dash));
                boolean alive = pid == ProcessHandle.current().pid() ? LIVE.contains(p)
                        : ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    deleteQuietly(p);
                    removed++;
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            // Sweeping is housekeeping: an unreadable directory fails the write itself, with its own message.
        }
        return removed;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // Best effort: the primary failure (or the shutdown) is what matters; a later write sweeps it.
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
