package io.tessera.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.VqConfig;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.core.model.RandomWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

class TorchVqDecoderTest {
    private static final TorchBackend BACKEND = new TorchBackend();

    private static int[] tokens(int count, int codebook) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) {
            t[i] = (i * 37 + 11) % codebook;
        }
        return t;
    }

    /** (c) Output is [n, 3, h·ds, w·ds], finite, and not constant; rows of different tokens differ. */
    @Test
    void decodeShapeAndValues() {
        VqConfig c = Fixtures.TINY_VQ;
        try (VqDecoderSession s = BACKEND.openDecoder(Fixtures.vq(c, RandomWeights.vq(c, 3)), Fixtures.cpu())) {
            int n = 2;
            int h = 4;
            int w = 3;
            float[] img = s.decode(tokens(n * h * w, c.codebookSize()), n, h, w);
            int ds = c.downsample();
            assertEquals(2, ds);
            assertEquals(n * 3 * (h * ds) * (w * ds), img.length);
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : img) {
                assertTrue(Float.isFinite(v));
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            assertTrue(max - min > 1e-3, "output is constant");
        }
    }

    /** With codebook_l2_norm the lookup uses unit rows: scaling codebook rows must not change the image. */
    @Test
    void codebookRowsAreL2Normalised() {
        VqConfig c = Fixtures.TINY_VQ;
        Map<String, Tensor> weights = RandomWeights.vq(c, 4);
        Map<String, Tensor> scaled = new LinkedHashMap<>(weights);
        Tensor cb = weights.get("quantize.embedding.weight");
        float[] v = cb.toFloatArray();
        int d = c.codebookEmbedDim();
        for (int i = 0; i < v.length; i++) {
            v[i] *= 0.25f + (i / d) % 7; // a different positive factor per row
        }
        scaled.put(cb.name(), Tensor.ofFloats(cb.name(), cb.shape(), v));
        int[] t = tokens(9, c.codebookSize());
        float[] a;
        float[] b;
        try (VqDecoderSession s = BACKEND.openDecoder(Fixtures.vq(c, weights), Fixtures.cpu())) {
            a = s.decode(t, 1, 3, 3);
        }
        try (VqDecoderSession s = BACKEND.openDecoder(Fixtures.vq(c, scaled), Fixtures.cpu())) {
            b = s.decode(t, 1, 3, 3);
        }
        assertTrue(Fixtures.relErr(b, a) < 1e-5, "relative error " + Fixtures.relErr(b, a));
    }

    /**
     * (c) The 3×3 "same" convolution, checked by hand: input 1..9, out channel 0 = plus-shaped kernel
     * (centre 2, edges 1, zero padding) + bias 0.5, out channel 1 = −identity.
     */
    @Test
    void convolutionByHand() {
        try (PointerScope _ = new PointerScope()) {
            org.bytedeco.pytorch.Tensor x = org.bytedeco.pytorch.Tensor.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
            org.bytedeco.pytorch.Tensor w = org.bytedeco.pytorch.Tensor.create(new float[] {
                0, 1, 0, 1, 2, 1, 0, 1, 0,
                0, 0, 0, 0, -1, 0, 0, 0, 0}, 2, 1, 3, 3);
            org.bytedeco.pytorch.Tensor bias = org.bytedeco.pytorch.Tensor.create(new float[] {0.5f, 0f}, 2);
            float[] out = TorchTensors.toFloats(io.tessera.torch.nn.VqModule.conv(x, new io.tessera.torch.nn.VqModule.Conv(w, bias)));
            float[] want = {
                8.5f, 13.5f, 14.5f, 21.5f, 30.5f, 29.5f, 26.5f, 37.5f, 32.5f,
                -1, -2, -3, -4, -5, -6, -7, -8, -9};
            assertArrayEquals(want, out, 1e-6f);
        }
    }
}
