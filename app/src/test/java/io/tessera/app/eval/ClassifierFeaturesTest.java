package io.tessera.app.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import org.junit.jupiter.api.Test;

/** The classifier adapter: argmax of the logits, features passed through, size checked, net closed. */
class ClassifierFeaturesTest {
    @Test
    void predictsTheArgmaxAndPassesFeaturesThrough() {
        boolean[] closed = {false};
        ClassifierFeatures.Net net = new ClassifierFeatures.Net() {
            @Override
            public ClassifierFeatures.Output forward(float[] images, int n) {
                float[] logits = new float[n * 10];
                float[] features = new float[n * 3];
                for (int i = 0; i < n; i++) {
                    logits[i * 10 + (i * 3 + 1) % 10] = 5f;   // image i predicts class (3i + 1) mod 10
                    features[i * 3] = images[i * 3 * 32 * 32];
                }
                return new ClassifierFeatures.Output(logits, features, 3);
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        float[] images = new float[4 * 3 * 32 * 32];
        images[2 * 3 * 32 * 32] = 0.25f;
        try (ClassifierFeatures c = new ClassifierFeatures(net, "fake")) {
            assertEquals(3, c.dim());
            FeatureExtractor.Features f = c.extract(images, 4, 32);
            assertArrayEquals(new int[] {1, 4, 7, 0}, f.predicted());
            assertEquals(0.25f, f.features()[2 * 3]);
            ConfigException e = assertThrows(ConfigException.class, () -> c.extract(new float[3 * 64 * 64], 1, 64));
            assertTrue(e.getMessage().startsWith("--classifier: the Fashion-MNIST classifier takes 32×32"), e.getMessage());
        }
        assertTrue(closed[0]);
    }

    @Test
    void nonFiniteOutputsAreAClearError() {
        ClassifierFeatures.Net net = new ClassifierFeatures.Net() {
            @Override
            public ClassifierFeatures.Output forward(float[] images, int n) {
                float[] features = new float[n * 2];
                features[1] = Float.NaN;
                return new ClassifierFeatures.Output(new float[n * 10], features, 2);
            }

            @Override
            public void close() {
            }
        };
        try (ClassifierFeatures c = new ClassifierFeatures(net, "classifier c.safetensors (cpu)")) {
            io.tessera.core.BackendException e = assertThrows(io.tessera.core.BackendException.class,
                    () -> c.extract(new float[3 * 32 * 32], 1, 32));
            assertTrue(e.getMessage().startsWith("classifier c.safetensors (cpu): non-finite output (NaN)"), e.getMessage());
        }
    }
}
