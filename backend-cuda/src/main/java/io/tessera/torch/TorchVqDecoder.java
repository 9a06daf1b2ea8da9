package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.torch.nn.VqModule;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The LlamaGen VQ decoder ({@code tokenizer/tokenizer_image/vq_model.py}: codebook lookup,
 * post_quant_conv, Decoder) as a decode session: the family's one libtorch module ({@link VqModule},
 * which the VQ trainer runs too), always in float32 as the official scripts run it.
 */
final class TorchVqDecoder implements VqDecoderSession {
    private final VqConfig config;
    private final Device device;
    private final TorchTensors owned = new TorchTensors();
    private final VqModule vq;

    TorchVqDecoder(VqWeights w, TorchOptions options) {
        this.config = w.config();
        this.device = options.device();
        options.applyThreads();
        try (PointerScope _ = new PointerScope()) {
            vq = new VqModule(w, owned.uploads(device, ScalarType.Float), true);
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    @Override
    public float[] decode(int[] tokens, int n, int h, int w) {
        if (n <= 0 || h <= 0 || w <= 0 || tokens.length != (long) n * h * w) {
            throw new BackendException("torch: decode needs n·h·w = " + ((long) n * h * w) + " tokens, got " + tokens.length);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.codebookSize()) {
                throw new BackendException("torch: token " + tokens[i] + " at " + i + " is outside the codebook [0, " + config.codebookSize() + ")");
            }
        }
        try (PointerScope _ = new PointerScope()) {
            // codebook rows (n, h, w, e) → NCHW [n, e, h, w], then the decoder → [n, 3, H, W]
            return TorchTensors.toFloats(vq.decode(vq.lookup(TorchTensors.longs(tokens, device, n, h, w))));
        }
    }

    @Override
    public void close() {
        owned.close();
    }
}
