package io.tessera.datasets;

import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.CheckpointException;
import io.tessera.core.checkpoint.Checkpoint;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The Fashion-MNIST classifier whose penultimate features define Tessera's quality metric (a
 * Fréchet distance between feature statistics of real and generated images).
 *
 * <p>Input: images [n, 3, 32, 32] in [−1, 1] (the {@link FashionMnist} preprocessing). Name map of the
 * safetensors file (w0, w1, w2 = {@code model.widths}, F = {@code model.features}; every conv is
 * 3×3, stride 1, padding 1, with bias, followed by ReLU):
 * <pre>
 * conv1.weight [w0, 3, 3, 3]   conv1.bias [w0]                 32×32
 * conv2.weight [w0, w0, 3, 3]  conv2.bias [w0]   max-pool 2×2 → 16×16
 * conv3.weight [w1, w0, 3, 3]  conv3.bias [w1]
 * conv4.weight [w1, w1, 3, 3]  conv4.bias [w1]   max-pool 2×2 → 8×8
 * conv5.weight [w2, w1, 3, 3]  conv5.bias [w2]   max-pool 2×2 → 4×4, flatten (channel-major) → 16·w2
 * fc1.weight [F, 16·w2]        fc1.bias [F]      ReLU → features [n, F]
 * fc2.weight [10, F]           fc2.bias [10]     → logits [n, 10]
 * </pre>
 */
public final class ClassifierNet {
    public static final String[] CONVS = {"conv1", "conv2", "conv3", "conv4", "conv5"};
    private final ParamStore p;
    private final int[] widths;
    private final int features;

    /** Logits [n, 10] and features [n, F]. */
    public record Output(Tensor logits, Tensor features) {
    }

    /** Registers freshly initialised parameters (PyTorch's Conv2d/Linear defaults) in {@code p}. */
    public ClassifierNet(ParamStore p, int[] widths, int features) {
        this.p = p;
        this.widths = widths.clone();
        this.features = features;
        int[] ins = {3, widths[0], widths[0], widths[1], widths[1]};
        int[] outs = {widths[0], widths[0], widths[1], widths[1], widths[2]};
        for (int i = 0; i < CONVS.length; i++) {
            double bound = 1.0 / Math.sqrt(ins[i] * 9.0);
            p.add(CONVS[i] + ".weight", Ops.uniform(p.device(), bound, outs[i], ins[i], 3, 3));
            p.add(CONVS[i] + ".bias", Ops.uniform(p.device(), bound, outs[i]));
        }
        linear("fc1", features, 16 * widths[2]);
        linear("fc2", FashionMnist.CLASSES, features);
    }

    private ClassifierNet(ParamStore p, int[] widths, int features, boolean loaded) {
        this.p = p;
        this.widths = widths;
        this.features = features;
    }

    /** The network over the tensors of a classifier file (shapes checked, widths read from them). */
    public static ClassifierNet fromCheckpoint(Checkpoint ckpt, ParamStore p) {
        String file = ckpt.path().toString();
        int[] w = {(int) ckpt.get("conv1.weight").dim(0), (int) ckpt.get("conv3.weight").dim(0), (int) ckpt.get("conv5.weight").dim(0)};
        int f = (int) ckpt.get("fc1.weight").dim(0);
        ParamStore shapes = new ParamStore(p.device());
        new ClassifierNet(shapes, w, f);
        for (String name : ckpt.tensors().keySet()) {
            if (!shapes.has(name)) {
                throw new CheckpointException(file + ": unexpected tensor '" + name + "' (not part of the classifier)");
            }
        }
        shapes.all().forEach((name, t) -> {
            long[] shape = t.shape();
            io.tessera.core.checkpoint.Tensor src = ckpt.get(name).requireShape(file, shape);
            p.add(name, Ops.floats(p.device(), src.toFloatArray(), shape));
        });
        return new ClassifierNet(p, w, f, true);
    }

    private void linear(String name, int out, int in) {
        double bound = 1.0 / Math.sqrt(in);
        p.add(name + ".weight", Ops.uniform(p.device(), bound, out, in));
        p.add(name + ".bias", Ops.uniform(p.device(), bound, out));
    }

    public int features() {
        return features;
    }

    public int[] widths() {
        return widths.clone();
    }

    /** Images [n, 3, 32, 32] in [−1, 1] → logits [n, 10] and features [n, F]. */
    public Output forward(Tensor x) {
        Tensor h = conv("conv1", x);                                  // [n, w0, 32, 32]
        h = torch.max_pool2d(conv("conv2", h), 2, 2);                 // [n, w0, 16, 16]
        h = conv("conv3", h);                                         // [n, w1, 16, 16]
        h = torch.max_pool2d(conv("conv4", h), 2, 2);                 // [n, w1, 8, 8]
        h = torch.max_pool2d(conv("conv5", h), 2, 2);                 // [n, w2, 4, 4]
        h = h.reshape(h.size(0), -1);                                 // [n, 16·w2]
        Tensor f = torch.relu(torch.linear(h, p.get("fc1.weight"), new org.bytedeco.pytorch.TensorOptional(p.get("fc1.bias")))); // [n, F]
        Tensor logits = torch.linear(f, p.get("fc2.weight"), new org.bytedeco.pytorch.TensorOptional(p.get("fc2.bias")));        // [n, 10]
        return new Output(logits, f);
    }

    private Tensor conv(String name, Tensor x) {
        return torch.relu(Ops.conv2d(x, p.get(name + ".weight"), p.get(name + ".bias"), 1, 1));
    }
}
