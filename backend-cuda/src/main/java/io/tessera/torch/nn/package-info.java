/**
 * libtorch building blocks shared by the training nets and the classifier: a named parameter store
 * ({@link io.tessera.torch.nn.ParamStore}: registration order, export to official-layout tensors, load)
 * and small functional ops and host copies ({@link io.tessera.torch.nn.Ops}).
 */
package io.tessera.torch.nn;
