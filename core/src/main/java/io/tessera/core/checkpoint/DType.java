package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Element types a checkpoint tensor may hold, with their safetensors names and byte sizes. */
public enum DType {
    F32("F32", 4), F16("F16", 2), BF16("BF16", 2), F64("F64", 8),
    I64("I64", 8), I32("I32", 4), I16("I16", 2), I8("I8", 1), U8("U8", 1), BOOL("BOOL", 1);

    private final String safetensorsName;
    private final int byteSize;

    DType(String safetensorsName, int byteSize) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** The dtype of a safetensors header name, or a one-line error naming the file and tensor. */
    public static DType fromSafetensors(String name, String file, String tensor) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        throw new CheckpointException(file + ": tensor '" + tensor + "' has unsupported dtype '" + name
                + "' (supported: " + Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", ")) + ")");
    }
}
