package io.tessera.torch.nn;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.TensorVector;

/**
 * A model's trainable parameters by their official state-dict names, in module order. Every
 * parameter is a leaf libtorch tensor that requires grad and lives outside any {@code PointerScope}.
 */
public final class ParamStore implements Params {
    private final Device device;
    private final Map<String, org.bytedeco.pytorch.Tensor> params = new LinkedHashMap<>();

    public ParamStore(Device device) {
        this.device = device;
    }

    @Override
    public Device device() {
        return device;
    }

    /** The leaf parameter of {@code t}'s name (a module resolves core's weight map over {@link #asCheckpoint}). */
    @Override
    public org.bytedeco.pytorch.Tensor get(Tensor t) {
        return get(t.name());
    }

    /** Parameters live outside any scope already: returns {@code t}. */
    @Override
    public org.bytedeco.pytorch.Tensor keep(org.bytedeco.pytorch.Tensor t) {
        return t;
    }

    /**
     * A host snapshot of every parameter by name (float32), for core's weight maps ({@code new
     * LlamaGenWeights(c, store.asCheckpoint())}) to resolve and check names and shapes against; a module
     * built over it then reads the live parameters through {@link #get(Tensor)}.
     */
    public Checkpoint asCheckpoint() {
        return new io.tessera.core.checkpoint.MemoryCheckpoint("parameters", export("", DType.F32));
    }

    /** Registers {@code init} (already on the device) as parameter {@code name}. */
    public org.bytedeco.pytorch.Tensor add(String name, org.bytedeco.pytorch.Tensor init) {
        if (params.containsKey(name)) {
            throw new IllegalStateException("duplicate parameter " + name);
        }
        org.bytedeco.pytorch.Tensor p = init.detach().requires_grad_(true);
        params.put(name, p);
        return p;
    }

    public boolean has(String name) {
        return params.containsKey(name);
    }

    public org.bytedeco.pytorch.Tensor get(String name) {
        org.bytedeco.pytorch.Tensor p = params.get(name);
        if (p == null) {
            throw new IllegalStateException("no parameter " + name);
        }
        return p;
    }

    public Map<String, org.bytedeco.pytorch.Tensor> all() {
        return Collections.unmodifiableMap(params);
    }

    public TensorVector vector() {
        return new TensorVector(params.values().toArray(new org.bytedeco.pytorch.Tensor[0]));
    }

    public long count() {
        long n = 0;
        for (org.bytedeco.pytorch.Tensor p : params.values()) {
            n += p.numel();
        }
        return n;
    }

    /** Host copies of every parameter as core tensors of {@code dtype} (F32 or BF16), name → tensor. */
    public Map<String, Tensor> export(String prefix, DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, org.bytedeco.pytorch.Tensor> e : params.entrySet()) {
            org.bytedeco.pytorch.Tensor p = e.getValue();
            out.put(prefix + e.getKey(), io.tessera.core.checkpoint.Tensor.ofFloats(prefix + e.getKey(), p.shape(), Ops.toFloats(p), dtype));
        }
        return out;
    }

    /** Copies every parameter from {@code ckpt} ({@code prefix + name}, exact shape required). */
    public void load(Checkpoint ckpt, String prefix) {
        try (NoGradGuard _ = new NoGradGuard()) {
            for (Map.Entry<String, org.bytedeco.pytorch.Tensor> e : params.entrySet()) {
                org.bytedeco.pytorch.Tensor p = e.getValue();
                Tensor t = ckpt.get(prefix + e.getKey()).requireShape(ckpt.path().toString(), p.shape());
                p.copy_(Ops.floats(device, t.toFloatArray(), p.shape()));
            }
        }
    }

    /** Rounds every parameter to bfloat16 and back (to measure what a bf16 file loses). */
    public void roundToBf16() {
        try (NoGradGuard _ = new NoGradGuard()) {
            for (org.bytedeco.pytorch.Tensor p : params.values()) {
                p.copy_(p.to(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16).to(org.bytedeco.pytorch.global.torch.ScalarType.Float));
            }
        }
    }

    /** Shapes by name (for checks against the official layouts). */
    public Map<String, long[]> shapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }
}
