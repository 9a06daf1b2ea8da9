package io.tessera.cpu;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.BackendOptions;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Small helpers shared by the tests: tensors in other dtypes, random data, backend options. */
final class TestTensors {
    private TestTensors() {
    }

    /** {@code t} re-encoded as F32, BF16 (round to nearest even) or F16. */
    static Tensor convert(Tensor t, DType dt) {
        float[] v = t.toFloatArray();
        if (dt == DType.F32) {
            return Tensor.ofFloats(t.name(), t.shape(), v);
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 2]);
        for (int i = 0; i < v.length; i++) {
            seg.setAtIndex(Kernels.I16_LE, i, dt == DType.BF16 ? toBf16(v[i]) : Float.floatToFloat16(v[i]));
        }
        return new Tensor(t.name(), dt, t.shape(), seg);
    }

    static Map<String, Tensor> convertAll(Map<String, Tensor> tensors, DType dt) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, convert(v, dt)));
        return out;
    }

    static MemoryCheckpoint checkpoint(Map<String, Tensor> tensors) {
        return new MemoryCheckpoint("random", tensors);
    }

    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    static float[] gaussian(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            // Irwin–Hall approximation of N(0, 1): enough for test data
            double s = 0;
            for (int k = 0; k < 12; k++) {
                s += r.nextDouble();
            }
            v[i] = (float) (s - 6);
        }
        return v;
    }

    static BackendOptions options(int threads, String kernels) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "cpu-vector");
        m.put("threads", threads);
        m.put("kernels", kernels);
        return new BackendOptions(new ConfigNode("backend", m));
    }
}
