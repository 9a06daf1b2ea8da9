package io.tessera.train;

import io.tessera.datasets.FashionMnist;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.CheckpointException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * Fashion-MNIST tokenised once by a trained VQ, for the token-model trainers (lpd). The cache file
 * has the format and key of {@link GptTrainer}'s ({@code train.tokens} [n, N], {@code train.labels} [n],
 * {@code test.*}; metadata {@code key} = VQ SHA-256 / train_limit / test_limit), so a cache written by
 * either trainer is reused by the other when both point {@code tokens_cache} at the same file.
 *
 * @param vq     the VQ (for decoding samples)
 * @param tokens [n·N] image tokens in raster order, per split
 */
record VqTokens(VqConfig vqConfig, VqNet vq, int[] trainTokens, int[] trainLabels, int[] testTokens, int[] testLabels) {

    /**
     * Where a token-model run's tokens come from: {@code tokenizer: {checkpoint: …}} (the trained VQ) and
     * {@code tokens_cache} (default {@code work_dir/tokens.safetensors}).
     */
    record Source(Path vq, Path cache) {
        static Source read(TrainConfig cfg) {
            ConfigNode tok = cfg.section("tokenizer");
            Path vq = cfg.resolve(tok, "checkpoint");
            tok.rejectUnknown();
            return new Source(vq, cfg.path("tokens_cache", cfg.workDir().resolve("tokens.safetensors")));
        }
    }

    /** The {@code grid} of a token model's {@code model} section: 16 (32 px images through the 2× VQ), the only one. */
    static int grid(ConfigNode m) {
        int grid = m.intAtLeast("grid", 16, 1);
        if (grid != FashionMnist.PADDED / 2) {
            throw m.error("grid", "must be 16 (32 px images, 2× VQ), got " + grid);
        }
        return grid;
    }

    /** Loads the VQ of {@code source}, then the tokens from its cache file when the key matches, else tokenises and writes it. */
    static VqTokens load(TrainConfig cfg, Source source, Device device, String kind, Progress progress) {
        Path vqFile = source.vq();
        Path cacheFile = source.cache();
        if (!Files.exists(vqFile)) {
            throw new CheckpointException(vqFile + ": VQ tokenizer not found (train it first: kind vq); tokenizer.checkpoint in " + cfg.source());
        }
        MemoryCheckpoint vqCkpt = TrainIo.loadSafetensors(vqFile);
        VqConfig vc = VqTrainer.vqConfigFromMetadata(vqCkpt.metadata(), vqFile.toString());
        new VqWeights(vc, vqCkpt); // the decode path is in the official layout
        ParamStore vqParams = new ParamStore(device);
        VqNet vq = new VqNet(vc, vqParams);
        vqParams.load(vqCkpt, "");
        String key = TrainIo.sha256(vqFile) + "/" + cfg.trainLimit() + "/" + cfg.testLimit();
        Map<String, Tensor> cached = null;
        if (Files.exists(cacheFile)) {
            MemoryCheckpoint c = TrainIo.loadSafetensors(cacheFile);
            if (key.equals(c.metadata().get("key"))) {
                cached = c.tensors();
                progress.message(kind + ": tokens from cache " + cacheFile);
            }
        }
        if (cached == null) {
            long t0 = System.nanoTime();
            FashionMnist train = cfg.images(true);
            FashionMnist test = cfg.images(false);
            Map<String, Tensor> m = new LinkedHashMap<>();
            tokenize(vq, device, train, "train", m, kind, progress);
            tokenize(vq, device, test, "test", m, kind, progress);
            TrainIo.saveSafetensors(cacheFile, m, Map.of("key", key, "vq", vqFile.toString()));
            progress.message(String.format(Locale.ROOT, "%s: tokenised %d + %d images in %.0f s → %s",
                    kind, train.size(), test.size(), (System.nanoTime() - t0) / 1e9, cacheFile));
            cached = m;
        }
        return new VqTokens(vc, vq, ints(cached.get("train.tokens")), ints(cached.get("train.labels")),
                ints(cached.get("test.tokens")), ints(cached.get("test.labels")));
    }

    private static int[] ints(Tensor t) {
        int[] out = new int[(int) t.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) t.getLong(i);
        }
        return out;
    }

    private static void tokenize(VqNet vq, Device device, FashionMnist data, String split, Map<String, Tensor> out, String kind,
                                 Progress progress) {
        int n = data.size();
        int side = FashionMnist.PADDED / 2;
        int nt = side * side;
        int[] tokens = new int[n * nt];
        int[] labels = new int[n];
        int bs = 200;
        for (int start = 0; start < n; start += bs) {
            int b = Math.min(bs, n - start);
            int[] idx = new int[b];
            for (int j = 0; j < b; j++) {
                idx[j] = start + j;
                labels[start + j] = data.label(start + j);
            }
            try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
                org.bytedeco.pytorch.Tensor x = Ops.floats(device, data.images(idx, null), b, 3, FashionMnist.PADDED, FashionMnist.PADDED);
                long[] codes = Ops.toLongs(vq.quantize(vq.encode(x), 0).indices()); // [b, N]
                if (codes.length != b * nt) {
                    throw new CheckpointException("VQ gives " + codes.length / b + " tokens per image, expected " + nt + " (a 16×16 grid)");
                }
                for (int i = 0; i < codes.length; i++) {
                    tokens[start * nt + i] = (int) codes[i];
                }
            }
            if ((start / bs) % 50 == 49) {
                progress.message(kind + ": tokenising " + split + " " + (start + b) + "/" + n);
            }
        }
        out.put(split + ".tokens", io.tessera.core.checkpoint.Tensor.ofInts(split + ".tokens", new long[] {n, nt}, tokens));
        out.put(split + ".labels", io.tessera.core.checkpoint.Tensor.ofInts(split + ".labels", new long[] {n}, labels));
    }

    /** Decodes tokens [n, N] (raster order) to images [n, 3, 32, 32] in [−1, 1]. */
    float[] decode(Device device, int[][] tokens) {
        int side = FashionMnist.PADDED / 2;
        int nt = side * side;
        long[] flat = new long[tokens.length * nt];
        for (int i = 0; i < tokens.length; i++) {
            for (int t = 0; t < nt; t++) {
                flat[i * nt + t] = tokens[i][t];
            }
        }
        try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
            org.bytedeco.pytorch.Tensor idx = Ops.longs(device, flat, tokens.length, nt);
            return Ops.toFloats(vq.decode(vq.lookup(idx, side)));
        }
    }
}
