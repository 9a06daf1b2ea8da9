package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A set of named tensors read from one file (safetensors or a PyTorch {@code .pt} zip). The state
 * dict is already unwrapped (a {@code .pt}'s {@code model} or {@code ema} entry). Tensors stay valid
 * until {@link #close()}.
 */
public interface Checkpoint extends AutoCloseable {
    /** The file this checkpoint was read from (used in every error message). */
    Path path();

    /** Tensors in file order. */
    Map<String, Tensor> tensors();

    /**
     * Free-form string metadata: a safetensors file's {@code __metadata__}; for a {@code .pt} file the
     * reader's {@code pt.*} keys ({@code pt.state_dict_key}, {@code pt.archive}, top-level scalars such
     * as {@code pt.steps}, {@code pt.args.<name>}; see {@link PtReader}).
     */
    Map<String, String> metadata();

    default boolean has(String name) {
        return tensors().containsKey(name);
    }

    /** The tensor {@code name}, or a one-line error naming the file and the tensor. */
    default Tensor get(String name) {
        Tensor t = tensors().get(name);
        if (t == null) {
            throw new CheckpointException(path() + ": missing tensor '" + name + "'");
        }
        return t;
    }

    @Override
    void close();
}
