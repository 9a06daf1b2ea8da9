package io.tessera.train;

import io.tessera.core.io.Images;
import io.tessera.datasets.FashionMnist;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.VqConfig;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains the LlamaGen VQ tokenizer ({@code kind: vq}) on Fashion-MNIST: loss =
 * reconstruction (l2 or l1) + codebook_weight · (codebook + β·commitment), as vq_model.py and
 * vq_train.py without the perceptual and GAN terms. Exports the official VQModel layout.
 *
 * <pre>
 * model: {codebook_size: 512, codebook_embed_dim: 8, codebook_l2_norm: true, z_channels: 32, ch: 32,
 *         ch_mult: [1, 2], num_res_blocks: 1, commit_loss_beta: 0.25, codebook_weight: 1.0,
 *         reconstruction_loss: l2}
 * </pre>
 */
public final class VqTrainer extends Trainer {
    private final VqConfig vq;
    private final double beta;
    private final double codebookWeight;
    private final boolean l1;
    private FashionMnist train;
    private FashionMnist test;
    private VqNet net;

    public VqTrainer(TrainConfig cfg) {
        super(cfg);
        ConfigNode m = cfg.section("model");
        vq = readVqConfig(m);
        beta = m.number("commit_loss_beta", 0.25);
        codebookWeight = m.number("codebook_weight", 1.0);
        String rec = m.string("reconstruction_loss", "l2");
        if (!rec.equals("l1") && !rec.equals("l2")) {
            throw m.error("reconstruction_loss", "must be l1 or l2, got '" + rec + "'");
        }
        l1 = rec.equals("l1");
        m.rejectUnknown();
        if (vq.downsample() * 16 != FashionMnist.PADDED) {
            throw m.error("ch_mult", "must have 2 levels (one 2× downsample: 32 px → 16×16 tokens), got "
                    + Arrays.toString(vq.decoderChMult()));
        }
        cfg.finish();
    }

    /** The VQ fields of a {@code model} section (names as vq_model.py ModelArgs / Encoder). */
    static VqConfig readVqConfig(ConfigNode m) {
        List<Long> mult = m.intList("ch_mult");
        int[] chMult = new int[mult.size()];
        for (int i = 0; i < chMult.length; i++) {
            if (mult.get(i) < 1) {
                throw m.error("ch_mult", "entries must be ≥ 1, got " + mult);
            }
            chMult[i] = (int) (long) mult.get(i);
        }
        int ch = m.intAtLeast("ch", 32, 1);
        if (ch % 32 != 0) {
            throw m.error("ch", "must be a multiple of 32 (GroupNorm with 32 groups), got " + ch);
        }
        return new VqConfig(m.intAtLeast("codebook_size", 512, 2), m.intAtLeast("codebook_embed_dim", 8, 1),
                m.bool("codebook_l2_norm", true), m.intAtLeast("z_channels", 32, 1), ch, chMult,
                m.intAtLeast("num_res_blocks", 1, 0), 3);
    }

    /** Metadata written into the exported file, enough to rebuild the config. */
    static Map<String, String> vqMetadata(VqConfig vq) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "llamagen-vq");
        meta.put("codebook_size", Integer.toString(vq.codebookSize()));
        meta.put("codebook_embed_dim", Integer.toString(vq.codebookEmbedDim()));
        meta.put("codebook_l2_norm", Boolean.toString(vq.codebookL2Norm()));
        meta.put("z_channels", Integer.toString(vq.zChannels()));
        meta.put("ch", Integer.toString(vq.ch()));
        meta.put("ch_mult", Arrays.stream(vq.decoderChMult()).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        meta.put("encoder_ch_mult", meta.get("ch_mult"));
        meta.put("num_res_blocks", Integer.toString(vq.numResBlocks()));
        meta.put("image_size", Integer.toString(FashionMnist.PADDED));
        meta.put("data", "fashion-mnist 28→32 px zero-padded, [-1,1], grey replicated to RGB");
        return meta;
    }

    /** The config stored by {@link #vqMetadata} in a file's metadata. */
    static VqConfig vqConfigFromMetadata(Map<String, String> meta, String file) {
        try {
            int[] mult = Arrays.stream(meta.get("ch_mult").split(",")).mapToInt(Integer::parseInt).toArray();
            return new VqConfig(Integer.parseInt(meta.get("codebook_size")), Integer.parseInt(meta.get("codebook_embed_dim")),
                    Boolean.parseBoolean(meta.get("codebook_l2_norm")), Integer.parseInt(meta.get("z_channels")),
                    Integer.parseInt(meta.get("ch")), mult, Integer.parseInt(meta.get("num_res_blocks")), 3);
        } catch (RuntimeException e) {
            throw new io.tessera.core.CheckpointException(file + ": not a VQ file written by the vq trainer (metadata " + meta.keySet() + ")");
        }
    }

    public VqConfig vqConfig() {
        return vq;
    }

    @Override
    protected String name() {
        return "vq";
    }

    @Override
    protected List<String> lossNames() {
        return List.of("loss", "rec", "codebook", "commit");
    }

    @Override
    protected void prepare(Progress progress) {
        train = cfg.images(true);
        test = cfg.images(false);
        progress.message("vq: data " + train.size() + " train / " + test.size() + " test images from " + cfg.dataDir());
    }

    @Override
    protected int trainSize() {
        return train.size();
    }

    @Override
    protected void build(ParamStore params) {
        net = new VqNet(vq, params);
    }

    public VqNet net() {
        return net;
    }

    @Override
    protected double[] trainStep(long step, int[] batch) {
        int s = FashionMnist.PADDED;
        org.bytedeco.pytorch.Tensor x = Ops.floats(device, train.images(batch, null), batch.length, 3, s, s); // [B, 3, 32, 32]
        VqNet.Quantized q = net.quantize(net.encode(x), beta);
        org.bytedeco.pytorch.Tensor xr = net.decode(q.zq());                                                 // [B, 3, 32, 32]
        org.bytedeco.pytorch.Tensor rec = l1 ? torch.l1_loss(xr, x) : torch.mse_loss(xr, x);
        org.bytedeco.pytorch.Tensor loss = rec.add(q.codebookLoss().add(q.commitLoss()).mul(Ops.s(codebookWeight)));
        loss.backward();
        return new double[] {loss.item_double(), rec.item_double(), q.codebookLoss().item_double(), q.commitLoss().item_double()};
    }

    /** test_mse: pixel MSE in [−1, 1] units; test_psnr in dB on [0, 1] images; code_usage: fraction of codes used. */
    @Override
    protected Map<String, Double> evaluate(Progress progress) {
        double se = 0;
        long count = 0;
        Set<Long> used = new HashSet<>();
        int bs = 100;
        for (int start = 0; start < test.size(); start += bs) {
            int n = Math.min(bs, test.size() - start);
            int[] idx = range(start, n);
            float[] img = test.images(idx, null);
            float[] rec = reconstruct(img, n);
            for (int i = 0; i < img.length; i++) {
                double d = img[i] - rec[i];
                se += d * d;
            }
            count += img.length;
            try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
                org.bytedeco.pytorch.Tensor x = Ops.floats(device, img, n, 3, FashionMnist.PADDED, FashionMnist.PADDED);
                for (long code : Ops.toLongs(net.quantize(net.encode(x), beta).indices())) {
                    used.add(code);
                }
            }
        }
        double mse = se / count;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("test_mse", mse);
        m.put("test_psnr", 10 * Math.log10(1.0 / (mse / 4)));
        m.put("code_usage", used.size() / (double) vq.codebookSize());
        return m;
    }

    /** Encode → quantise → decode of [n, 3, 32, 32] images (no grad). */
    public float[] reconstruct(float[] images, int n) {
        try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
            org.bytedeco.pytorch.Tensor x = Ops.floats(device, images, n, 3, FashionMnist.PADDED, FashionMnist.PADDED);
            return Ops.toFloats(net.decode(net.quantize(net.encode(x), beta).zq()));
        }
    }

    @Override
    protected Map<String, String> exportMetadata() {
        return vqMetadata(vq);
    }

    @Override
    protected Map<String, Tensor> exportTensors(DType dtype) {
        return params.export("", dtype);
    }

    /** Originals (odd rows) above their reconstructions (even rows) of the first 16 test images: vq_recon.png. */
    @Override
    protected void afterExport(Progress progress) {
        int n = Math.min(16, test.size());
        int[] idx = range(0, n);
        float[] img = test.images(idx, null);
        float[] rec = reconstruct(img, n);
        int plane = 3 * FashionMnist.PADDED * FashionMnist.PADDED;
        int cols = 8;
        int rows = (n + cols - 1) / cols;
        float[] grid = new float[2 * rows * cols * plane];
        Arrays.fill(grid, -1f);
        for (int i = 0; i < n; i++) {
            int r = i / cols;
            int col = i % cols;
            System.arraycopy(img, i * plane, grid, ((2 * r) * cols + col) * plane, plane);
            System.arraycopy(rec, i * plane, grid, ((2 * r + 1) * cols + col) * plane, plane);
        }
        java.nio.file.Path png = cfg.workDir().resolve("vq_recon.png");
        Images.writePng(png, Images.grid(grid, 2 * rows * cols, 3, FashionMnist.PADDED, cols, 3, 0x808080));
        progress.message("vq: reconstructions of test images in " + png);
    }
}
