package io.tessera.datasets;

import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.AtomicFiles;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Fashion-MNIST from its gzipped IDX files ({@code {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz};
 * Debian: {@code apt-get install -y dataset-fashion-mnist} → {@code /usr/share/datasets/fashion-mnist/}).
 *
 * <p><b>Preprocessing</b> (the same for every trainer and for evaluation): each 28×28 grey image is
 * padded by 2 pixels of 0 (the data set's black background) on every side to 32×32, mapped from
 * [0, 255] to [−1, 1] by {@code x / 127.5 − 1}, and replicated to 3 identical channels (RGB). The 3
 * channels let the standard LlamaGen VQ pixel path ({@code in_channels = out_channels = 3}) and
 * every image writer work unchanged; a 32×32 image with the 2× VQ gives a 16×16 token grid.
 */
public final class FashionMnist {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int SIDE = 28;
    public static final int PADDED = 32;
    public static final int CHANNELS = 3;
    public static final int CLASSES = 10;
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    private static final String INSTALL_HINT = "install Fashion-MNIST with: apt-get install -y dataset-fashion-mnist";

    private final String source;
    private final byte[] pixels; // [n, 28, 28] grey, 0 = background
    private final byte[] labels; // [n]
    private final int n;

    private FashionMnist(String source, byte[] pixels, byte[] labels, int n) {
        this.source = source;
        this.pixels = pixels;
        this.labels = labels;
        this.n = n;
    }

    /** The training (60k) or test (10k) split from {@code dir}. */
    public static FashionMnist load(Path dir, boolean train) {
        String prefix = train ? "train" : "t10k";
        return read(find(dir, prefix + "-images-idx3-ubyte"), find(dir, prefix + "-labels-idx1-ubyte"));
    }

    /** {@code name.gz} if present, else {@code name} if present (uncompressed IDX), else {@code name.gz} (reported missing). */
    private static Path find(Path dir, String name) {
        Path gz = dir.resolve(name + ".gz");
        Path plain = dir.resolve(name);
        return !Files.isRegularFile(gz) && Files.isRegularFile(plain) ? plain : gz;
    }

    /** Reads one images/labels pair of gzipped IDX files. */
    public static FashionMnist read(Path images, Path labels) {
        byte[] px;
        byte[] lb;
        int[] imgDims = new int[3];
        int[] lblDims = new int[1];
        px = readIdx(images, 0x00000803, imgDims);
        lb = readIdx(labels, 0x00000801, lblDims);
        if (imgDims[1] != SIDE || imgDims[2] != SIDE) {
            throw new TesseraException(images + ": expected 28×28 images, got " + imgDims[1] + "×" + imgDims[2]);
        }
        if (imgDims[0] != lblDims[0]) {
            throw new TesseraException(labels + ": " + lblDims[0] + " labels for " + imgDims[0] + " images in " + images);
        }
        for (int i = 0; i < lb.length; i++) {
            if (lb[i] < 0 || lb[i] >= CLASSES) {
                throw new TesseraException(labels + ": label " + lb[i] + " of item " + i + " is not in [0, 10)");
            }
        }
        return new FashionMnist(images.toString(), px, lb, imgDims[0]);
    }

    private static byte[] readIdx(Path file, int magic, int[] dims) {
        boolean gzip = file.getFileName().toString().endsWith(".gz");
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16))) {
            int m = in.readInt();
            if (m != magic) {
                throw new TesseraException(file + ": not an IDX file of the expected kind (magic 0x"
                        + Integer.toHexString(m) + ", expected 0x" + Integer.toHexString(magic) + ")");
            }
            long total = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = in.readInt();
                total *= dims[i];
            }
            if (total > Integer.MAX_VALUE || total < 0) {
                throw new TesseraException(file + ": IDX data too large");
            }
            byte[] data = new byte[(int) total];
            in.readFully(data);
            return data;
        } catch (NoSuchFileException e) {
            throw new TesseraException(file + ": not found; " + INSTALL_HINT);
        } catch (java.io.EOFException e) {
            throw new TesseraException(file + ": truncated IDX file");
        } catch (IOException e) {
            throw new TesseraException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Writes {@code n} 28×28 images and their labels as gzipped IDX files (tests make tiny data sets). */
    public static void writeIdx(Path images, Path labels, byte[] pixels, byte[] labelBytes, int n) {
        if (pixels.length != n * SIDE * SIDE || labelBytes.length != n) {
            throw new IllegalArgumentException("writeIdx: " + pixels.length + " pixels / " + labelBytes.length + " labels for " + n + " images");
        }
        try {
            Files.createDirectories(images.toAbsolutePath().getParent());
            Files.createDirectories(labels.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new TesseraException(images.toAbsolutePath().getParent() + ": cannot create directory (" + e.getMessage() + ")", e);
        }
        AtomicFiles.writeStream(images, out -> {
            GZIPOutputStream gz = new GZIPOutputStream(out);
            DataOutputStream d = new DataOutputStream(gz);
            d.writeInt(0x00000803);
            d.writeInt(n);
            d.writeInt(SIDE);
            d.writeInt(SIDE);
            d.write(pixels);
            d.flush();
            gz.finish();
        });
        AtomicFiles.writeStream(labels, out -> {
            GZIPOutputStream gz = new GZIPOutputStream(out);
            DataOutputStream d = new DataOutputStream(gz);
            d.writeInt(0x00000801);
            d.writeInt(n);
            d.write(labelBytes);
            d.flush();
            gz.finish();
        });
    }

    /** The first {@code limit} items (all when limit ≤ 0 or ≥ size). */
    public FashionMnist limit(int limit) {
        if (limit <= 0 || limit >= n) {
            return this;
        }
        return new FashionMnist(source, java.util.Arrays.copyOf(pixels, limit * SIDE * SIDE), java.util.Arrays.copyOf(labels, limit), limit);
    }

    public int size() {
        return n;
    }

    public String source() {
        return source;
    }

    public int label(int i) {
        return labels[i];
    }

    /** Raw grey value (0..255) of item {@code i} at row {@code y}, column {@code x} of the 28×28 image. */
    public int pixel(int i, int y, int x) {
        return pixels[(i * SIDE + y) * SIDE + x] & 0xff;
    }

    /**
     * Items {@code idx} as a float batch [b, 3, 32, 32] in [−1, 1] (padded, replicated to RGB);
     * {@code flip[j]} mirrors item j horizontally (augmentation; null for none).
     */
    public float[] images(int[] idx, boolean[] flip) {
        int plane = PADDED * PADDED;
        float[] out = new float[idx.length * CHANNELS * plane];
        java.util.Arrays.fill(out, -1f);
        int pad = (PADDED - SIDE) / 2;
        for (int j = 0; j < idx.length; j++) {
            int base = idx[j] * SIDE * SIDE;
            boolean f = flip != null && flip[j];
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    int sx = f ? SIDE - 1 - x : x;
                    float v = (pixels[base + y * SIDE + sx] & 0xff) / 127.5f - 1f;
                    int o = (y + pad) * PADDED + x + pad;
                    for (int c = 0; c < CHANNELS; c++) {
                        out[(j * CHANNELS + c) * plane + o] = v;
                    }
                }
            }
        }
        return out;
    }

    /** Every item as a float batch [n, 3, 32, 32] in [−1, 1] (see {@link #images(int[], boolean[])}). */
    public float[] images() {
        return images(java.util.stream.IntStream.range(0, n).toArray(), null);
    }

    /** Every label (0..9). */
    public int[] labels() {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = labels[i];
        }
        return out;
    }

    /** Labels of items {@code idx}. */
    public long[] labels(int[] idx) {
        long[] out = new long[idx.length];
        for (int j = 0; j < idx.length; j++) {
            out[j] = labels[idx[j]];
        }
        return out;
    }
}
