package io.tessera.train;

import io.tessera.datasets.ClassifierNet;
import io.tessera.datasets.FashionMnist;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.Rng;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains the Fashion-MNIST classifier ({@code kind: classifier}; {@link ClassifierNet}) with
 * cross-entropy on the real 32×32 images, with random horizontal flips drawn from the run's seed.
 *
 * <pre>
 * model: {widths: [32, 64, 128], features: 128, flip: true}
 * </pre>
 */
public final class ClassifierTrainer extends Trainer {
    private final int[] widths;
    private final int features;
    private final boolean flip;
    private FashionMnist train;
    private FashionMnist test;
    private ClassifierNet net;

    public ClassifierTrainer(TrainConfig cfg) {
        super(cfg);
        ConfigNode m = cfg.section("model");
        List<Long> w = m.has("widths") ? m.intList("widths") : List.of(32L, 64L, 128L);
        if (w.size() != 3 || w.stream().anyMatch(v -> v < 1 || v > 4096)) {
            throw m.error("widths", "must be 3 channel counts in [1, 4096], got " + w);
        }
        widths = new int[] {(int) (long) w.get(0), (int) (long) w.get(1), (int) (long) w.get(2)};
        features = m.intIn("features", 128, 1, 4096);
        flip = m.bool("flip", true);
        m.rejectUnknown();
        cfg.finish();
    }

    @Override
    protected String name() {
        return "classifier";
    }

    @Override
    protected List<String> lossNames() {
        return List.of("loss", "accuracy");
    }

    @Override
    protected void prepare(Progress progress) {
        train = cfg.images(true);
        test = cfg.images(false);
        progress.message("classifier: data " + train.size() + " train / " + test.size() + " test images from " + cfg.dataDir());
    }

    @Override
    protected int trainSize() {
        return train.size();
    }

    @Override
    protected void build(ParamStore params) {
        net = new ClassifierNet(params, widths, features);
    }

    @Override
    protected double[] trainStep(long step, int[] batch) {
        boolean[] flips = new boolean[batch.length];
        if (flip) {
            Rng r = Rng.stream(cfg.seed() ^ 0x5EEDF11BL, step);
            for (int j = 0; j < flips.length; j++) {
                flips[j] = r.nextDouble() < 0.5;
            }
        }
        int s = FashionMnist.PADDED;
        org.bytedeco.pytorch.Tensor x = Ops.floats(device, train.images(batch, flips), batch.length, 3, s, s); // [B, 3, 32, 32]
        org.bytedeco.pytorch.Tensor y = Ops.longs(device, train.labels(batch), batch.length);                 // [B]
        org.bytedeco.pytorch.Tensor logits = net.forward(x).logits();                                        // [B, 10]
        org.bytedeco.pytorch.Tensor loss = torch.cross_entropy_loss(logits, y);
        loss.backward();
        double acc = logits.detach().argmax(new org.bytedeco.pytorch.LongOptional(1), false).eq(y).to(torch.ScalarType.Float).mean().item_double();
        return new double[] {loss.item_double(), acc};
    }

    @Override
    protected Map<String, Double> evaluate(Progress progress) {
        long correct = 0;
        double lossSum = 0;
        int bs = 250;
        for (int start = 0; start < test.size(); start += bs) {
            int n = Math.min(bs, test.size() - start);
            int[] idx = range(start, n);
            try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
                org.bytedeco.pytorch.Tensor x = Ops.floats(device, test.images(idx, null), n, 3, FashionMnist.PADDED, FashionMnist.PADDED);
                org.bytedeco.pytorch.Tensor y = Ops.longs(device, test.labels(idx), n);
                org.bytedeco.pytorch.Tensor logits = net.forward(x).logits();
                lossSum += torch.cross_entropy_loss(logits, y).item_double() * n;
                correct += logits.argmax(new org.bytedeco.pytorch.LongOptional(1), false).eq(y).sum().item_long();
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("test_accuracy", correct / (double) test.size());
        m.put("test_loss", lossSum / test.size());
        return m;
    }

    @Override
    protected Map<String, String> exportMetadata() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "tessera-fmnist-classifier");
        meta.put("widths", widths[0] + "," + widths[1] + "," + widths[2]);
        meta.put("features", Integer.toString(features));
        meta.put("input", "[n,3,32,32] in [-1,1]: fashion-mnist 28→32 px zero-padded, grey replicated to RGB");
        return meta;
    }
}
