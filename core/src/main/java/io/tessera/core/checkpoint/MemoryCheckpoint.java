package io.tessera.core.checkpoint;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A checkpoint held in memory: built by generators and tests, or returned by a reader that copied. */
public final class MemoryCheckpoint implements Checkpoint {
    private final Path path;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    public MemoryCheckpoint(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.metadata = Map.copyOf(metadata);
    }

    public MemoryCheckpoint(String label, Map<String, Tensor> tensors) {
        this(Path.of(label), tensors, Map.of());
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        // nothing to release
    }
}
