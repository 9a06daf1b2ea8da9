/**
 * The libtorch backend ({@code backend: {name: torch}}) through JavaCPP's PyTorch presets: the LlamaGen
 * GPT ({@link io.tessera.torch.TorchLlamaGen}) and the LlamaGen VQ decoder
 * ({@link io.tessera.torch.TorchVqDecoder}) on CUDA or the CPU.
 *
 * <p>Memory: weights and KV caches are uploaded once per session and owned by it (freed in
 * {@code close()}); every forward/decode call runs inside its own {@code PointerScope}, so its
 * temporaries are freed when the call returns, not when the garbage collector runs (which never sees
 * GPU memory). The CPU natives come from {@code pytorch:linux-x86_64}; the root profile {@code gpu}
 * swaps in {@code linux-x86_64-gpu}. {@link io.tessera.torch.TorchInfo} reports what libtorch sees.
 */
package io.tessera.torch;
