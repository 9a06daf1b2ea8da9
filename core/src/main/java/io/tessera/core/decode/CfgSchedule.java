package io.tessera.core.decode;

import io.tessera.core.config.ConfigNode;

/** How the classifier-free guidance scale varies over a generation ({@code sampling.cfg_schedule}). */
public enum CfgSchedule {
    /** LlamaGen: one scale for every token (switched off once the order's official clock, {@code Plan.cfgClock}, exceeds {@code cfg_interval} when set). */
    CONSTANT("constant"),
    /**
     * LPD ({@code lpd.py sample_tokens}): token t of N (its generation index) uses 1 + (cfg − 1)·t/N, and the
     * guided logits are always combined, even where the scale is 1.
     */
    LINEAR("linear"),
    /**
     * RandAR ({@code randar_gpt.py generate}): one scale per pass, 1 + (cfg − 1)·t/N with t the tokens generated
     * before the pass; the guided logits are always combined.
     */
    LINEAR_PASS("linear-pass");

    private final String yamlName;

    CfgSchedule(String yamlName) {
        this.yamlName = yamlName;
    }

    /** The name used in YAML and JSON. */
    public String yamlName() {
        return yamlName;
    }

    /** The schedule named {@code name}, or null. */
    public static CfgSchedule byName(String name) {
        for (CfgSchedule s : values()) {
            if (s.yamlName.equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** Reads {@code key} of {@code node}; an unknown name fails naming the YAML path. */
    static CfgSchedule from(ConfigNode node, String key) {
        String name = node.string(key, CONSTANT.yamlName);
        CfgSchedule s = byName(name);
        if (s == null) {
            throw node.error(key, "must be constant, linear or linear-pass, got '" + name + "'");
        }
        return s;
    }

    /** Whether the guided logits are combined even where the scale is 1 (the linear schedules). */
    public boolean alwaysCombines() {
        return this != CONSTANT;
    }

    @Override
    public String toString() {
        return yamlName;
    }
}
