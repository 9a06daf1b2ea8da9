package io.tessera.app.eval;

import io.tessera.core.ConfigException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST images from an IDX directory (Debian's {@code dataset-fashion-mnist}:
 * {@code {train,t10k}-images-idx3-ubyte[.gz]}), as the models see them: 28×28 grey padded with
 * black to 32×32 (2 px each side), replicated to 3 channels, mapped to [−1, 1] by {@code v/127.5 − 1}.
 */
public final class FashionMnist {
    /** Side of the stored images. */
    public static final int RAW = 28;
    /** Side after padding. */
    public static final int SIZE = 32;
    /** The default directory. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private FashionMnist() {
    }

    /** The split to read. */
    public enum Split {
        TRAIN("train"), TEST("t10k");

        final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    /**
     * The first {@code limit} images of a split as float [n, 3, 32, 32] in [−1, 1] (fewer if the split
     * is smaller; {@code images.length / (3·32·32)} tells how many).
     *
     * @throws ConfigException naming {@code --reference-data} and the file if it is missing or not IDX
     */
    public static float[] images(Path dir, Split split, int limit) {
        Path file = find(dir, split.prefix + "-images-idx3-ubyte");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(open(file), 1 << 16))) {
            int magic = in.readInt();
            if (magic != 0x00000803) {
                throw new ConfigException("--reference-data " + file + ": not an IDX3 image file (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (rows != RAW || cols != RAW || count < 0) {
                throw new ConfigException("--reference-data " + file + ": expected 28×28 images, found " + count + " of " + rows + "×" + cols);
            }
            int n = Math.min(count, limit);
            int plane = SIZE * SIZE;
            int pad = (SIZE - RAW) / 2;
            float[] out = new float[n * 3 * plane];
            java.util.Arrays.fill(out, -1f);
            byte[] raw = new byte[RAW * RAW];
            for (int i = 0; i < n; i++) {
                in.readFully(raw);
                int base = i * 3 * plane;
                for (int y = 0; y < RAW; y++) {
                    for (int x = 0; x < RAW; x++) {
                        float v = (raw[y * RAW + x] & 0xff) / 127.5f - 1f;
                        int p = (y + pad) * SIZE + x + pad;
                        out[base + p] = v;
                        out[base + plane + p] = v;
                        out[base + 2 * plane + p] = v;
                    }
                }
            }
            return out;
        } catch (EOFException e) {
            throw new ConfigException("--reference-data " + file + ": truncated", e);
        } catch (IOException e) {
            throw new ConfigException("--reference-data " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The first {@code limit} labels of a split (0..9).
     *
     * @throws ConfigException naming {@code --reference-data} and the file if it is missing or not IDX
     */
    public static int[] labels(Path dir, Split split, int limit) {
        Path file = find(dir, split.prefix + "-labels-idx1-ubyte");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(open(file), 1 << 16))) {
            int magic = in.readInt();
            if (magic != 0x00000801) {
                throw new ConfigException("--reference-data " + file + ": not an IDX1 label file (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int n = Math.min(in.readInt(), limit);
            int[] out = new int[Math.max(n, 0)];
            for (int i = 0; i < out.length; i++) {
                out[i] = in.readUnsignedByte();
            }
            return out;
        } catch (EOFException e) {
            throw new ConfigException("--reference-data " + file + ": truncated", e);
        } catch (IOException e) {
            throw new ConfigException("--reference-data " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static Path find(Path dir, String name) {
        for (Path p : new Path[] {dir.resolve(name + ".gz"), dir.resolve(name)}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new ConfigException("--reference-data " + dir + ": no " + name + "[.gz] (Fashion-MNIST IDX files;"
                + " apt-get install dataset-fashion-mnist)");
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }
}
