package io.tessera.train;

import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * AdamW with decoupled weight decay, numerically as {@code torch.optim.AdamW} (non-fused): per step
 * {@code p ← p·(1 − lr·wd)}, {@code m ← β1·m + (1−β1)·g}, {@code v ← β2·v + (1−β2)·g²},
 * {@code p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)}. Like train_c2i.py, only tensors with
 * ≥ 2 dimensions (matmul/conv weights, embeddings) are decayed. Written here rather than using
 * libtorch's optimizer so its whole state (m, v, step) is plain named tensors that checkpoints save
 * and restore exactly.
 */
public final class AdamW {
    private final ParamStore params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, org.bytedeco.pytorch.Tensor> m = new LinkedHashMap<>();
    private final Map<String, org.bytedeco.pytorch.Tensor> v = new LinkedHashMap<>();
    private long step;

    public AdamW(ParamStore params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        params.all().forEach((name, p) -> {
            m.put(name, Ops.zeros(params.device(), p.shape()));
            v.put(name, Ops.zeros(params.device(), p.shape()));
        });
    }

    public long step() {
        return step;
    }

    /** Clips the global gradient L2 norm to {@code maxNorm} (≤ 0: no clipping); returns the norm before. */
    public double clipGradNorm(double maxNorm) {
        try (NoGradGuard _ = new NoGradGuard()) {
            double sq = 0;
            for (org.bytedeco.pytorch.Tensor p : params.all().values()) {
                org.bytedeco.pytorch.Tensor gr = p.grad();
                if (gr.defined()) {
                    double n = gr.norm().item_double();
                    sq += n * n;
                }
            }
            double norm = Math.sqrt(sq);
            if (maxNorm > 0 && norm > maxNorm) {
                double scale = maxNorm / (norm + 1e-6);
                for (org.bytedeco.pytorch.Tensor p : params.all().values()) {
                    org.bytedeco.pytorch.Tensor gr = p.grad();
                    if (gr.defined()) {
                        gr.mul_(Ops.s(scale));
                    }
                }
            }
            return norm;
        }
    }

    /** One update with learning rate {@code lr}, then zeroes the gradients. */
    public void update(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        try (NoGradGuard _ = new NoGradGuard()) {
            for (Map.Entry<String, org.bytedeco.pytorch.Tensor> e : params.all().entrySet()) {
                org.bytedeco.pytorch.Tensor p = e.getValue();
                org.bytedeco.pytorch.Tensor gr = p.grad();
                if (!gr.defined()) {
                    continue;
                }
                if (weightDecay > 0 && p.dim() >= 2) {
                    p.mul_(Ops.s(1 - lr * weightDecay));
                }
                org.bytedeco.pytorch.Tensor mm = m.get(e.getKey());
                org.bytedeco.pytorch.Tensor vv = v.get(e.getKey());
                mm.mul_(Ops.s(beta1)).add_(gr, Ops.s(1 - beta1));
                vv.mul_(Ops.s(beta2)).addcmul_(gr, gr, Ops.s(1 - beta2));
                org.bytedeco.pytorch.Tensor denom = vv.sqrt().div(Ops.s(Math.sqrt(bc2))).add(Ops.s(eps));
                p.addcdiv_(mm, denom, Ops.s(-lr / bc1));
                gr.zero_();
            }
        }
    }

    /** The state as named float32 tensors ({@code adam.m.NAME}, {@code adam.v.NAME}). */
    public Map<String, Tensor> export() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, t) -> out.put("adam.m." + k, io.tessera.core.checkpoint.Tensor.ofFloats("adam.m." + k, t.shape(), Ops.toFloats(t), DType.F32)));
        v.forEach((k, t) -> out.put("adam.v." + k, io.tessera.core.checkpoint.Tensor.ofFloats("adam.v." + k, t.shape(), Ops.toFloats(t), DType.F32)));
        return out;
    }

    /** Restores the state written by {@link #export()} and the step count. */
    public void load(Checkpoint ckpt, long step) {
        try (NoGradGuard _ = new NoGradGuard()) {
            for (String k : m.keySet()) {
                org.bytedeco.pytorch.Tensor mm = m.get(k);
                org.bytedeco.pytorch.Tensor vv = v.get(k);
                mm.copy_(Ops.floats(params.device(), ckpt.get("adam.m." + k).requireShape(ckpt.path().toString(), mm.shape()).toFloatArray(), mm.shape()));
                vv.copy_(Ops.floats(params.device(), ckpt.get("adam.v." + k).requireShape(ckpt.path().toString(), vv.shape()).toFloatArray(), vv.shape()));
            }
        }
        this.step = step;
    }
}
