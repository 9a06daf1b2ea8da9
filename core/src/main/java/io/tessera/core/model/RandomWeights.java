package io.tessera.core.model;

import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.decode.Rng;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.model.ParConfig;
import io.tessera.core.model.ParWeights;
import io.tessera.core.model.RandarConfig;
import io.tessera.core.model.RandarWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The committed generator of random weights in the official layouts (LlamaGen GPT, PAR, LPD, LlamaGen
 * VQ decoder). Deterministic for a seed on every machine. Scales keep activations in a realistic range:
 * linear/embedding weights ~ N(0, 0.02) as LlamaGen initialises them (output head larger so logits are
 * not flat), convolutions ~ N(0, 1/fan_in), norm weights 1 ± 0.1, biases ~ N(0, 0.02).
 */
public final class RandomWeights {
    private RandomWeights() {
    }

    public static Map<String, Tensor> llamaGen(LlamaGenConfig c, long seed) {
        Rng rng = new Rng(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        LlamaGenWeights.layout(c).forEach((name, shape) -> {
            double std;
            double mean = 0;
            if (name.endsWith("norm.weight")) {
                mean = 1.0;
                std = 0.1;
            } else if (name.equals("output.weight")) {
                std = 1.0 / Math.sqrt(c.dim());
            } else if (name.contains("embedding")) {
                std = 1.0;
            } else {
                std = 0.02;
            }
            out.put(name, gaussian(rng, name, shape, mean, std));
        });
        return out;
    }

    /**
     * PAR: the LlamaGen tensors exactly as {@link #llamaGen} draws them for the backbone and seed, then the
     * transition tokens ~ N(0, 1) (embedding-scale, like the other tables) from a stream of their own.
     */
    public static Map<String, Tensor> par(ParConfig c, long seed) {
        Map<String, Tensor> out = llamaGen(c.gpt(), seed);
        long[] shape = ParWeights.layout(c).get(ParWeights.TRANSITION);
        out.put(ParWeights.TRANSITION, gaussian(new Rng(seed ^ 0x7A7A5EEDL), ParWeights.TRANSITION, shape, 0, 1.0));
        return out;
    }

    /**
     * RandAR: the LlamaGen tensors exactly as {@link #llamaGen} draws them for the backbone and seed, then the
     * position-instruction vector ~ N(0, 1) (embedding-scale) from a stream of its own.
     */
    public static Map<String, Tensor> randar(RandarConfig c, long seed) {
        Map<String, Tensor> out = llamaGen(c.gpt(), seed);
        long[] shape = RandarWeights.layout(c).get(RandarWeights.POS_INSTRUCT);
        out.put(RandarWeights.POS_INSTRUCT, gaussian(new Rng(seed ^ 0x4A4D5EEDL), RandarWeights.POS_INSTRUCT, shape, 0, 1.0));
        return out;
    }

    /**
     * LPD: embeddings, pos_embed, fake_latent and mask_token ~ N(0, 1) (so that z_proj_ln sees O(1)
     * inputs), linear weights ~ N(0, 1/fan_in) (unit gain), biases ~ N(0, 0.02), LayerNorm weights
     * 1 ± 0.1 and biases ~ N(0, 0.02), the head ~ N(0, 1/dim).
     */
    public static Map<String, Tensor> lpd(LpdConfig c, long seed) {
        Rng rng = new Rng(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        LpdWeights.layout(c).forEach((name, shape) -> {
            double mean = 0;
            double std;
            boolean norm = name.contains("norm") || name.startsWith("z_proj_ln");
            if (norm && name.endsWith(".weight")) {
                mean = 1.0;
                std = 0.1;
            } else if (name.endsWith(".bias")) {
                std = 0.02;
            } else if (shape.length == 2 && (name.startsWith("blocks.") || name.equals("head.weight"))) {
                std = 1.0 / Math.sqrt(shape[1]);
            } else {
                std = 1.0;
            }
            out.put(name, gaussian(rng, name, shape, mean, std));
        });
        return out;
    }

    public static Map<String, Tensor> vq(VqConfig c, long seed) {
        Rng rng = new Rng(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        VqWeights.layout(c).forEach((name, shape) -> {
            double mean = 0;
            double std;
            boolean isNorm = name.contains("norm") && !name.contains("conv");
            if (isNorm && name.endsWith(".weight")) {
                mean = 1.0;
                std = 0.1;
            } else if (name.endsWith(".bias")) {
                std = 0.02;
            } else if (shape.length == 4) {
                std = 1.0 / Math.sqrt(shape[1] * shape[2] * shape[3]);
            } else {
                std = 1.0;
            }
            out.put(name, gaussian(rng, name, shape, mean, std));
        });
        return out;
    }

    public static Tensor gaussian(Rng rng, String name, long[] shape, double mean, double std) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + std * rng.nextGaussian());
        }
        return Tensor.ofFloats(name, shape, v);
    }
}
