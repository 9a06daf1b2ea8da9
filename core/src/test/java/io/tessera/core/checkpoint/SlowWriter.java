package io.tessera.core.checkpoint;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A process that starts an atomic write of {@code args[0]} and hangs in the middle of it (killed by {@link AtomicFilesTest}). */
public final class SlowWriter {
    private SlowWriter() {
    }

    public static void main(String[] args) {
        AtomicFiles.write(Path.of(args[0]), ch -> {
            AtomicFiles.writeFully(ch, ByteBuffer.allocate(1 << 20));
            System.out.println("writing");
            System.out.flush();
            try {
                Thread.sleep(120_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
