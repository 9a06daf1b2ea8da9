package io.tessera.torch.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * The attention step of one layer of a family module, supplied by the caller: the inference session
 * attends over its KV cache, training over the whole sequence (causal, or under a group mask).
 */
@FunctionalInterface
public interface Attention {
    /**
     * @param q [B, T, H, hd] queries (rotated where the family uses RoPE)
     * @param k [B, T, KVH, hd] keys
     * @param v [B, T, KVH, hd] values
     * @return the heads concatenated: [B, T, H·hd]
     */
    Tensor attend(int layer, Tensor q, Tensor k, Tensor v);
}
