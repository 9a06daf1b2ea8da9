package io.tessera.tokenizers;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.TokenizerModel;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.pipeline.CheckpointRef;
import io.tessera.core.spi.ImageTokenizer;
import io.tessera.core.model.RandomWeights;
import java.nio.file.Path;
import java.util.List;
import org.pf4j.Extension;

/**
 * LlamaGen's VQ tokenizer ({@code vq_model.py}): a preset ({@code vq-16}, {@code vq-8}) or explicit
 * fields named as the official ModelArgs ({@code codebook_size}, {@code codebook_embed_dim},
 * {@code codebook_l2_norm}, {@code z_channels}, {@code decoder_ch_mult}) plus the decoder's
 * {@code ch} and {@code num_res_blocks}; {@code checkpoint} is a path or {@code random:SEED}. The
 * in-house Fashion-MNIST tokenizer is this architecture at a small configuration.
 */
@Extension
public final class LlamaGenVqTokenizer implements ImageTokenizer {
    @Override
    public String name() {
        return "llamagen-vq";
    }

    @Override
    public TokenizerModel load(ConfigNode n, Path baseDir) {
        n.string("name", name());
        VqConfig base = n.has("preset") ? VqConfig.preset(n.string("preset")) : null;
        if (base == null && !n.has("decoder_ch_mult")) {
            throw n.error("preset", "give a preset (" + String.join(", ", VqConfig.presetNames())
                    + ") or explicit fields (codebook_size, codebook_embed_dim, z_channels, ch, decoder_ch_mult, ...)");
        }
        int[] mult = base == null ? toInts(n.intList("decoder_ch_mult")) : (n.has("decoder_ch_mult") ? toInts(n.intList("decoder_ch_mult")) : base.decoderChMult());
        VqConfig c = new VqConfig(
                n.intAtLeast("codebook_size", base == null ? 16384 : base.codebookSize(), 1),
                n.intAtLeast("codebook_embed_dim", base == null ? 8 : base.codebookEmbedDim(), 1),
                n.bool("codebook_l2_norm", base == null || base.codebookL2Norm()),
                n.intAtLeast("z_channels", base == null ? 256 : base.zChannels(), 1),
                n.intAtLeast("ch", base == null ? 128 : base.ch(), 1),
                mult,
                n.intAtLeast("num_res_blocks", base == null ? 2 : base.numResBlocks(), 0),
                n.intAtLeast("out_channels", 3, 1));
        Checkpoint ckpt = CheckpointRef.open(n, "checkpoint", baseDir, seed -> RandomWeights.vq(c, seed));
        try {
            VqWeights w = new VqWeights(c, ckpt);
            n.rejectUnknown();
            return new TokenizerModel(w, ckpt);
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    private static int[] toInts(List<Long> l) {
        return l.stream().mapToInt(Long::intValue).toArray();
    }
}
