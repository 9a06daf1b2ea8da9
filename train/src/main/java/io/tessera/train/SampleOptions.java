package io.tessera.train;

import io.tessera.core.config.ConfigNode;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The fields a GPT or LPD run's {@code sample} section shares: sanity samples after the export.
 *
 * @param perClass    images of every class (0: no samples)
 * @param cfgScale    classifier-free guidance scale
 * @param topK        top-k (0: off)
 * @param temperature sampling temperature
 * @param seed        seed of the samples' RNG streams
 * @param classifier  optional classifier file that scores the samples (null: none)
 */
record SampleOptions(int perClass, double cfgScale, int topK, double temperature, long seed, Path classifier) {
    /**
     * Reads the shared fields of {@code s} (per_class, cfg_scale, top_k, temperature, seed, classifier); the
     * caller reads its own and then rejects unknown keys.
     */
    static SampleOptions read(TrainConfig cfg, ConfigNode s) {
        return new SampleOptions(s.intIn("per_class", 4, 0, 64), s.number("cfg_scale", 3.0), s.intAtLeast("top_k", 0, 0),
                s.number("temperature", 1.0), s.integer("seed", 0), s.has("classifier") ? cfg.resolve(s, "classifier") : null);
    }

    /** "cfg 3.00, top_k 0, T 1.00": the settings as the sample message names them. */
    String describe() {
        return String.format(Locale.ROOT, "cfg %.2f, top_k %d, T %.2f", cfgScale, topK, temperature);
    }
}
