package io.tessera.torch;

import static io.tessera.torch.Fixtures.Entry;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.core.model.RandomWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * (d) Long loops of forward passes and decodes do not grow native memory: every temporary of a call
 * is freed when its PointerScope closes (not whenever the garbage collector runs).
 */
class TorchMemoryTest {
    private static final TorchBackend BACKEND = new TorchBackend();
    private static final int CAP = 17;

    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static void generate(GptSession s, int rows) {
        s.reset(rows, CAP);
        Entry[][] cls = new Entry[rows][];
        for (int r = 0; r < rows; r++) {
            cls[r] = new Entry[] {Entry.cls(r, CAP)};
        }
        s.forward(Fixtures.batch(cls));
        for (int cell = 0; cell < CAP - 1; cell++) {
            Entry[][] tok = new Entry[rows][];
            for (int r = 0; r < rows; r++) {
                tok[r] = new Entry[] {Entry.token((cell * 131 + r) % 16384, cell, CAP)};
            }
            s.forward(Fixtures.batch(tok));
        }
    }

    @Test
    void manyForwardPassesKeepMemoryBounded() {
        try (GptSession s = BACKEND.openModel(Fixtures.model(Fixtures.TINY, 2), Fixtures.cpu())) {
            for (int i = 0; i < 4; i++) {
                generate(s, 2); // warm up allocators and JIT: 68 passes
            }
            long count0 = Pointer.totalCount();
            long rss0 = rssBytes();
            for (int i = 0; i < 20; i++) {
                generate(s, 2); // 340 passes, 20 cache resets
            }
            long countGrowth = Pointer.totalCount() - count0;
            long rssGrowth = rssBytes() - rss0;
            assertTrue(countGrowth <= 16, "JavaCPP pointers still alive after 340 passes: +" + countGrowth);
            assertTrue(rssGrowth < 48L << 20, "RSS grew by " + (rssGrowth >> 20) + " MiB over 340 passes");
        }
    }

    @Test
    void manyDecodesKeepMemoryBounded() {
        try (VqDecoderSession s = BACKEND.openDecoder(Fixtures.vq(Fixtures.TINY_VQ, RandomWeights.vq(Fixtures.TINY_VQ, 1)), Fixtures.cpu())) {
            int[] tokens = new int[2 * 16];
            for (int i = 0; i < 5; i++) {
                s.decode(tokens, 2, 4, 4);
            }
            long count0 = Pointer.totalCount();
            for (int i = 0; i < 100; i++) {
                tokens[i % tokens.length] = i % 64;
                s.decode(tokens, 2, 4, 4);
            }
            long countGrowth = Pointer.totalCount() - count0;
            assertTrue(countGrowth <= 16, "JavaCPP pointers still alive after 100 decodes: +" + countGrowth);
        }
    }

    @Test
    void closedSessionsReleaseTheirTensors() {
        long count0 = Pointer.totalCount();
        for (int i = 0; i < 3; i++) {
            try (GptSession s = BACKEND.openModel(Fixtures.model(Fixtures.TINY, 3), Fixtures.cpu())) {
                generate(s, 1);
            }
        }
        long growth = Pointer.totalCount() - count0;
        assertTrue(growth <= 16, "JavaCPP pointers still alive after closing 3 sessions: +" + growth);
    }
}
