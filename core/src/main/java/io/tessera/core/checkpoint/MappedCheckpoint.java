package io.tessera.core.checkpoint;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint whose tensors are slices of a memory-mapped file (or, for the few non-contiguous
 * {@code .pt} views, heap copies). Owns the shared {@link Arena} of the mapping: {@link #close()}
 * unmaps the file, after which every tensor's {@code data()} throws on access. Closing twice is a no-op.
 */
final class MappedCheckpoint implements Checkpoint {
    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private boolean closed;

    MappedCheckpoint(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
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
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return path + " (" + tensors.size() + " tensors, mapped)";
    }
}
