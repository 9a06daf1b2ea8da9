package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.app.Tessera;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serve and serve-bench commands: flag validation (exit 2, one line) and a small serve-bench run end to end. */
class ServeCliTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Tessera.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheFlag() {
        Run a = run("serve", "--max-batch", "0");
        assertEquals(Tessera.EXIT_USAGE, a.code(), a.err());
        assertTrue(a.err().startsWith("tessera: --max-batch must be in [1, 4096], got 0"), a.err());
        Run b = run("serve", "--port", "70000");
        assertEquals(Tessera.EXIT_USAGE, b.code(), b.err());
        assertTrue(b.err().contains("--port must be in [0, 65535]"), b.err());
        Run c = run("serve-bench", "--format", "jpeg");
        assertEquals(Tessera.EXIT_USAGE, c.code(), c.err());
        assertTrue(c.err().contains("--format must be png or tokens"), c.err());
        Run d = run("serve-bench", "--clients", "0");
        assertEquals(Tessera.EXIT_USAGE, d.code(), d.err());
        assertTrue(d.err().contains("--clients"), d.err());
        Run e = run("serve-bench", "--warmup", "-1");
        assertEquals(Tessera.EXIT_USAGE, e.code(), e.err());
        assertTrue(e.err().contains("--warmup must be in [0, 100000], got -1"), e.err());
        Run f = run("serve-bench", "--warmup-seconds", "-2");
        assertEquals(Tessera.EXIT_USAGE, f.code(), f.err());
        assertTrue(f.err().contains("--warmup-seconds must be in [0, 3600], got -2.0"), f.err());
    }

    @Test
    void serveBenchMeasuresEveryClientCountAgainstSequentialAndWritesTheTable() throws Exception {
        Path table = tmp.resolve("bench.md");
        Run r = run("serve-bench", "--clients", "1,3", "--images", "3", "--sequential", "2", "--order", "zipar:window=8",
                "--format", "tokens", "--warmup", "1", "--warmup-seconds", "0", "--out", table.toString());
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(table);
        assertTrue(md.startsWith("| run | images | images/s | × sequential | p50 latency | p99 latency |"), md);
        assertTrue(md.contains("| sequential generate | 2 | "), md);
        assertTrue(md.contains("| serve, 1 client | 3 | "), md);
        assertTrue(md.contains("| serve, 3 clients | 3 | "), md);
        assertTrue(md.lines().filter(l -> l.startsWith("| sequential generate")).allMatch(l -> l.contains("| 1.00× |")), md);
        assertTrue(r.out().contains("order zipar:window=8"), r.out());
    }
}
