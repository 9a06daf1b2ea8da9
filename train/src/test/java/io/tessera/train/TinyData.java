package io.tessera.train;

import io.tessera.datasets.FashionMnist;
import io.tessera.core.decode.Rng;
import java.nio.file.Path;

/** Writes a tiny synthetic Fashion-MNIST look-alike (gzipped IDX) so that no test needs the real data. */
final class TinyData {
    private TinyData() {
    }

    /**
     * A test run's config on the tiny data in {@code data} (seed 7, CPU, one thread, 20 test images), read from
     * {@code test-<work>.yaml} in {@code dir}: {@code out} and {@code rest} are whole YAML lines.
     */
    static TrainConfig config(Path data, Path dir, String kind, String work, String out, int steps, int batch, double lr,
            String rest) {
        String yaml = "kind: " + kind + "\nseed: 7\ndevice: cpu\nthreads: 1\n"
                + "data: {dir: " + data.toAbsolutePath() + ", test_limit: 20}\n"
                + "work_dir: runs/" + work + "\n" + out
                + "train: {steps: " + steps + ", batch_size: " + batch + ", lr: " + lr + ", warmup_steps: 2, log_every: 2, checkpoint_every: 3}\n"
                + rest;
        return TrainConfig.parse(yaml, "test-" + work + ".yaml", dir);
    }

    /** {@code train}/{@code test} images in {@code dir}: class c is a bright bar whose position and width depend on c, plus noise. */
    static Path write(Path dir, int train, int test) {
        write(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"), train, 1);
        write(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), test, 2);
        return dir;
    }

    private static void write(Path images, Path labels, int n, long seed) {
        Rng rng = new Rng(seed);
        byte[] px = new byte[n * 28 * 28];
        byte[] lb = new byte[n];
        for (int i = 0; i < n; i++) {
            int c = i % 10;
            lb[i] = (byte) c;
            int top = 2 + 2 * c;
            int height = 4 + c % 3 * 3;
            int left = 4 + (c % 4) * 3;
            int width = 8 + (c % 2) * 6;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    boolean in = y >= top && y < top + height && x >= left && x < left + width;
                    int v = in ? 200 + rng.nextInt(40) : rng.nextInt(20);
                    px[(i * 28 + y) * 28 + x] = (byte) v;
                }
            }
        }
        FashionMnist.writeIdx(images, labels, px, lb, n);
    }
}
