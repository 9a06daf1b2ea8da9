package io.tessera.core.spi;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.TokenizerModel;
import java.nio.file.Path;
import org.pf4j.ExtensionPoint;

/**
 * Maps token grids to pixels. A tokenizer resolves the pipeline's {@code tokenizer:} node (preset or
 * explicit fields, checkpoint) into decoder weights in the LlamaGen VQ layout; a backend runs them.
 *
 * <p>Contract: {@link #load} validates every key (errors name the YAML path), opens the checkpoint
 * relative to {@code baseDir}, and fails with one line on a missing, unexpected or wrong-shaped tensor.
 */
public interface ImageTokenizer extends ExtensionPoint {
    /** Unique name used in YAML ({@code tokenizer.name}). */
    String name();

    TokenizerModel load(ConfigNode node, Path baseDir);
}
