package io.tessera.core.decode;

import io.tessera.core.config.ConfigNode;

/**
 * The pipeline's {@code sampling:} node, named as LlamaGen's sampling scripts name them.
 *
 * @param temperature logits are divided by max(temperature, 1e-5)
 * @param topK        keep the k largest logits (0 = all; 1 = greedy)
 * @param topP        nucleus threshold (1 = off)
 * @param cfgScale    classifier-free guidance scale (1 = off: no unconditional rows)
 * @param cfgInterval LlamaGen's cfg_interval: guidance only while the order's official clock ({@code Plan.cfgClock}: the decode step for raster, ZipAR/PAR count their own way) ≤ this (−1 = always)
 * @param cfgSchedule {@code constant} (LlamaGen), {@code linear} (LPD: 1 + (cfg−1)·t/N per token, t = the token's
 *                    generation index, i.e. the tokens generated before its pass plus its index in the pass's group)
 *                    or {@code linear-pass} (RandAR {@code generate}: 1 + (cfg−1)·t/N with t = the tokens generated
 *                    before the pass, one scale for the whole pass)
 * @param greedy      argmax instead of a draw (LlamaGen's sample_logits=False)
 * @param seed        base seed; image i uses its own stream {@link Rng#stream(long, long)}
 */
public record SamplingConfig(double temperature, int topK, double topP, double cfgScale, int cfgInterval,
                             CfgSchedule cfgSchedule, boolean greedy, long seed) {

    public SamplingConfig {
        if (cfgSchedule == null) {
            throw new IllegalArgumentException("cfgSchedule must not be null");
        }
    }

    /** The schedule by its YAML name ({@code constant}, {@code linear} or {@code linear-pass}). */
    public SamplingConfig(double temperature, int topK, double topP, double cfgScale, int cfgInterval, String cfgSchedule,
                          boolean greedy, long seed) {
        this(temperature, topK, topP, cfgScale, cfgInterval, scheduleNamed(cfgSchedule), greedy, seed);
    }

    private static CfgSchedule scheduleNamed(String name) {
        CfgSchedule s = CfgSchedule.byName(name);
        if (s == null) {
            throw new IllegalArgumentException("cfg_schedule must be constant, linear or linear-pass, got '" + name + "'");
        }
        return s;
    }

    public static SamplingConfig defaults() {
        return new SamplingConfig(1.0, 0, 1.0, 1.0, -1, CfgSchedule.CONSTANT, false, 0);
    }

    public static SamplingConfig from(ConfigNode n) {
        double t = n.number("temperature", 1.0);
        if (!(t >= 0)) {
            throw n.error("temperature", "must be ≥ 0, got " + t);
        }
        int k = n.intAtLeast("top_k", 0, 0);
        double p = n.number("top_p", 1.0);
        if (!(p > 0 && p <= 1)) {
            throw n.error("top_p", "must be in (0, 1], got " + p);
        }
        double cfg = n.number("cfg_scale", 1.0);
        if (!(cfg >= 0)) {
            throw n.error("cfg_scale", "must be ≥ 0, got " + cfg);
        }
        int interval = n.intAtLeast("cfg_interval", -1, -1);
        CfgSchedule schedule = CfgSchedule.from(n, "cfg_schedule");
        boolean greedy = n.bool("greedy", false);
        long seed = n.integer("seed", 0);
        n.rejectUnknown();
        return new SamplingConfig(t, k, p, cfg, interval, schedule, greedy, seed);
    }

    public boolean usesCfg() {
        return cfgScale != 1.0;
    }

    public SamplingConfig withSeed(long s) {
        return new SamplingConfig(temperature, topK, topP, cfgScale, cfgInterval, cfgSchedule, greedy, s);
    }
}
