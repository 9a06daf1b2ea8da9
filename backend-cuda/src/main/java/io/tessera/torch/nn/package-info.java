/**
 * The libtorch module of each family, written once and run by both inference (the decode sessions of
 * {@code io.tessera.torch}, over a KV cache) and training (the {@code train} module, over full sequences):
 * {@link io.tessera.torch.nn.LlamaGenModule} (LlamaGen GPT, also PAR and RandAR), {@link io.tessera.torch.nn.LpdModule}
 * (LPD's ViT) and {@link io.tessera.torch.nn.VqModule} (the VQ decode path and the blocks of its encoder). Their
 * parameters come through {@link io.tessera.torch.nn.Params} (uploads of checkpoint tensors, or a trainer's
 * {@link io.tessera.torch.nn.ParamStore}); the caller supplies the attention step ({@link io.tessera.torch.nn.Attention}).
 * Also small functional ops and host copies ({@link io.tessera.torch.nn.Ops}).
 */
package io.tessera.torch.nn;
