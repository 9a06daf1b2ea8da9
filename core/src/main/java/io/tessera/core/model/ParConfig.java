package io.tessera.core.model;

import io.tessera.core.ConfigException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * PAR (YuqingWang1029/PAR {@code autoregressive/models/gpt.py}): the LlamaGen GPT plus n − 1 learned
 * transition tokens ({@code spe_tok_embeddings}), trained on the region-interleaved order with n
 * regions. The official {@code ModelArgs} name n {@code ar_token_num} and n − 1 {@code spe_token_num}.
 *
 * <p>Presets (paper names): {@code par-l}, {@code par-xl}, {@code par-xxl}, {@code par-3b} = the LlamaGen
 * GPT-L/XL/XXL/3B shapes, each with an optional region suffix {@code -4x} or {@code -16x}
 * ({@code par-xxl-16x}); without a suffix the {@code regions} field (default 4) decides.
 *
 * @param gpt     the backbone, exactly a LlamaGen config ({@code grid} = token grid side, 24 at 384 px)
 * @param regions n = M² regions: a perfect square ≥ 4 whose side M divides the grid side
 */
public record ParConfig(LlamaGenConfig gpt, int regions) {
    /** Official default grid: PAR is trained and sampled at 384 px (24×24 tokens). */
    public static final int DEFAULT_GRID = 24;
    /** Region count of the official {@code generate()} defaults (4×). */
    public static final int DEFAULT_REGIONS = 4;

    private static final Map<String, String> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("par-l", "gpt-l");
        SHAPES.put("par-xl", "gpt-xl");
        SHAPES.put("par-xxl", "gpt-xxl");
        SHAPES.put("par-3b", "gpt-3b");
    }

    public ParConfig {
        int side = regionSide(regions);
        if (side < 2 || side * side != regions) {
            throw new ConfigException("model.regions: must be a perfect square ≥ 4 (4, 16, ...), got " + regions);
        }
        if (gpt.grid() % side != 0) {
            throw new ConfigException("model.regions: " + regions + " regions need a grid side divisible by " + side
                    + ", got grid " + gpt.grid());
        }
        if (gpt.grid() / side < 2) {
            throw new ConfigException("model.regions: " + regions + " regions leave one cell per region on a grid of side "
                    + gpt.grid() + "; PAR needs at least 2×2 cells per region");
        }
    }

    private static int regionSide(int n) {
        return n <= 0 ? 0 : (int) Math.round(Math.sqrt(n));
    }

    /** Regions per grid side M = √n. */
    public int regionSide() {
        return regionSide(regions);
    }

    /** Transition tokens n − 1 ({@code spe_token_num}). */
    public int transitionTokens() {
        return regions - 1;
    }

    /**
     * The named preset {@code name} ({@code par-xl}, {@code PAR-XXL-16x}, ...) on a grid of side {@code grid};
     * {@code regions} applies when the name has no {@code -4x}/{@code -16x} suffix.
     */
    public static ParConfig preset(String name, int grid, int regions) {
        String lower = name.toLowerCase(Locale.ROOT).replace('×', 'x');
        int n = regions;
        String base = lower;
        int dash = lower.lastIndexOf('-');
        if (dash > 0 && lower.endsWith("x") && SHAPES.containsKey(lower.substring(0, dash))) {
            base = lower.substring(0, dash);
            try {
                n = Integer.parseInt(lower.substring(dash + 1, lower.length() - 1));
            } catch (NumberFormatException e) {
                base = lower;
            }
        }
        String shape = SHAPES.get(base);
        if (shape == null) {
            throw new ConfigException("model.preset: unknown PAR preset '" + name + "' (valid: " + String.join(", ", presetNames())
                    + ", optionally with -4x or -16x)");
        }
        return new ParConfig(LlamaGenConfig.preset(shape, grid), n);
    }

    /** Preset names without region suffix. */
    public static Set<String> presetNames() {
        return SHAPES.keySet();
    }

    /** The paper's name of this config if it is a preset shape ({@code par-xl-4x}), else "custom". */
    public String presetName() {
        for (Map.Entry<String, String> e : SHAPES.entrySet()) {
            LlamaGenConfig p = LlamaGenConfig.preset(e.getValue(), gpt.grid());
            if (p.equals(gpt)) {
                return e.getKey() + "-" + regions + "x";
            }
        }
        return "custom";
    }

    /**
     * Position in PAR's reordered sequence of grid cell {@code cell} (gpt.py {@code precompute_freqs_cis_2d}:
     * reshape (M, G/M, M, G/M) then permute to (local row, local col, region row, region col)):
     * s = (lr·(G/M) + lc)·n + (rr·M + rc), where (rr, rc) is the cell's region and (lr, lc) its place in it.
     */
    public int reorderedIndex(int cell) {
        int g = gpt.grid();
        int m = regionSide();
        int rs = g / m;
        int row = cell / g;
        int col = cell % g;
        return ((row % rs) * rs + col % rs) * regions + (row / rs) * m + col / rs;
    }

    /** The grid cell at reordered index s (inverse of {@link #reorderedIndex}). */
    public int cellAt(int s) {
        int g = gpt.grid();
        int m = regionSide();
        int rs = g / m;
        int local = s / regions;
        int region = s % regions;
        return ((region / m) * rs + local / rs) * g + (region % m) * rs + local % rs;
    }
}
