package io.tessera.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.CheckpointException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue #16 family 5: no temporary left behind (exception, SIGTERM, SIGKILL + next write), several outputs all or none. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static AtomicFiles.Body text(String s) {
        return ch -> AtomicFiles.writeFully(ch, java.nio.ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void failingBodyLeavesTheTargetAndNoTemporary() throws IOException {
        Path t = dir.resolve("out.bin");
        AtomicFiles.write(t, text("old"));
        assertThrows(CheckpointException.class, () -> AtomicFiles.write(t, ch -> {
            text("partial").write(ch);
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(t));
        assertEquals(List.of("out.bin"), names());
        assertThrows(IllegalArgumentException.class, () -> AtomicFiles.write(t, ch -> {
            throw new IllegalArgumentException("bug in a body");
        }));
        assertEquals(List.of("out.bin"), names());
    }

    @Test
    void batchWritesAllOrNone() throws IOException {
        Path a = dir.resolve("grid.png");
        Path b = dir.resolve("tokens.npy");
        AtomicFiles.write(a, text("old a"));
        try (AtomicFiles.Batch batch = AtomicFiles.batch()) {
            batch.stage(a, text("new a"));
            assertThrows(CheckpointException.class, () -> batch.stage(b, ch -> {
                throw new IOException("no space");
            }));
        }
        assertEquals("old a", Files.readString(a), "the first output is not replaced when the second fails");
        assertEquals(List.of("grid.png"), names());
        Path sub = dir.resolve("missing/tokens.npy");
        try (AtomicFiles.Batch batch = AtomicFiles.batch()) {
            batch.stage(a, text("new a"));
            assertTrue(assertThrows(CheckpointException.class, () -> batch.stage(sub, text("x"))).getMessage()
                    .contains("parent directory does not exist"));
        }
        assertEquals(List.of("grid.png"), names());
        assertEquals("old a", Files.readString(a));
        try (AtomicFiles.Batch batch = AtomicFiles.batch()) {
            batch.stage(a, text("new a")).stage(b, text("new b")).commit();
        }
        assertEquals("new a", Files.readString(a));
        assertEquals("new b", Files.readString(b));
        assertEquals(List.of("grid.png", "tokens.npy"), names());
    }

    @Test
    void staleTemporariesOfDeadProcessesAreSweptOthersKept() throws Exception {
        Path t = dir.resolve("model.safetensors");
        long dead = deadPid();
        Path stale = Files.writeString(dir.resolve(".model.safetensors.tessera-" + dead + "-123.tmp"), "left by a killed writer");
        Path live = Files.writeString(dir.resolve(".model.safetensors.tessera-" + ProcessHandle.current().parent().orElseThrow().pid()
                + "-5.tmp"), "another writer, still running");
        Path foreign = Files.writeString(dir.resolve(".model.safetensors.editor.tmp"), "not ours");
        Path other = Files.writeString(dir.resolve(".other.tessera-" + dead + "-9.tmp"), "another target");
        AtomicFiles.write(t, text("weights"));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(live) && Files.exists(foreign) && Files.exists(other));
    }

    @Test
    void sigtermDuringAWriteLeavesNothingAndSigkillIsSweptNextTime() throws Exception {
        Path t = dir.resolve("big.bin");
        Process term = slowWriter(t);
        assertEquals(1, temporaries(t).size(), "the writer has its temporary open");
        term.destroy(); // SIGTERM: the shutdown hook deletes it
        assertTrue(term.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of(), temporaries(t));

        Process kill = slowWriter(t);
        kill.destroyForcibly(); // SIGKILL: nothing runs; the temporary stays until the next write to the target
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, temporaries(t).size());
        AtomicFiles.write(t, text("done"));
        assertEquals(List.of(), temporaries(t));
        assertEquals("done", Files.readString(t));
    }

    private List<Path> temporaries(Path target) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + target.getFileName() + ".tessera-")).toList();
        }
    }

    private static Process slowWriter(Path target) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SlowWriter.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null && !line.equals("writing")) {
            // JVM warnings, if any
        }
        assertEquals("writing", line, "the slow writer started");
        return p;
    }

    /** A pid no process has now (a short-lived child's, after it exited). */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
