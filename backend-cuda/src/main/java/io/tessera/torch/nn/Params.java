package io.tessera.torch.nn;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * Where a family module's tensors live: the libtorch tensor behind each resolved checkpoint tensor
 * (an upload of it for inference, the trainer's leaf parameter of the same name for training), and
 * the owner of the constant tensors a module makes itself (RoPE tables, joined embedding tables).
 */
public interface Params {
    /** The device every tensor of the module lives on. */
    Device device();

    /**
     * The libtorch tensor for checkpoint tensor {@code t} (resolved and shape-checked by core's weight map):
     * a fresh upload in the caller's {@code PointerScope} (the module {@link #keep}s what it holds), or the
     * live leaf parameter of that name.
     */
    Tensor get(io.tessera.core.checkpoint.Tensor t);

    /** Keeps {@code t} alive as long as the module (outside the caller's {@code PointerScope}); returns it. */
    Tensor keep(Tensor t);
}
