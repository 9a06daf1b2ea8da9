package io.tessera.torch;

import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.VqConfig;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.core.model.RandomWeights;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Timings on random weights (not a correctness test; min and median, since the build machine is shared): a GPT-B forward pass of 2 rows × 1 token over a
 * 128-entry context, and a VQ-16 decode of one 16×16 grid (256×256 px). Run with
 * {@code mvn -o -pl backend-cuda -am test -Dtest=TorchBench -Dsurefire.failIfNoSpecifiedTests=false
 * -Dtessera.bench=true [-Dtessera.bench.backend=device=cuda,dtype=bfloat16]}.
 */
@EnabledIfSystemProperty(named = "tessera.bench", matches = "true")
class TorchBench {
    private static final TorchBackend BACKEND = new TorchBackend();

    private static io.tessera.core.spi.BackendOptions options() {
        String spec = System.getProperty("tessera.bench.backend", "device=cpu");
        Object[] kv = Arrays.stream(spec.split(",")).flatMap(p -> Arrays.stream(p.split("=", 2))).toArray();
        return Fixtures.options(kv);
    }

    @Test
    void gptB() {
        LlamaGenConfig c = LlamaGenConfig.preset("gpt-b", 16);
        int rows = 2;
        int context = 128;
        int cap = 1 + c.blockSize();
        try (GptSession s = BACKEND.openModel(Fixtures.model(c, 1), options())) {
            s.reset(rows, cap);
            s.forward(pass(rows, 0, context, cap)); // prefill: class + 127 tokens → 128 slots written
            int passes = 20;
            int warm = 3;
            double[] ms = new double[passes];
            for (int i = 0; i < warm + passes; i++) {
                long t0 = System.nanoTime();
                s.forward(pass(rows, context + i, 1, cap));
                if (i >= warm) {
                    ms[i - warm] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            System.out.printf("BENCH torch %s GPT-B forward (rows=%d, 1 token, context %d..%d): min %.1f ms, median %.1f ms/pass%n",
                    s, rows, context, context + warm + passes, ms[0], ms[passes / 2]);
        }
    }

    private static ForwardBatch pass(int rows, int first, int length, int cap) {
        return io.tessera.core.spi.SyntheticPasses.raster(rows, first, length, cap);
    }

    @Test
    void vq16() {
        VqConfig c = VqConfig.preset("vq-16");
        try (VqDecoderSession s = BACKEND.openDecoder(Fixtures.vq(c, RandomWeights.vq(c, 1)), options())) {
            int[] tokens = new int[256];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (i * 7919) % 16384;
            }
            s.decode(tokens, 1, 16, 16);
            int runs = 3;
            double[] ms = new double[runs];
            float[] img = null;
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                img = s.decode(tokens, 1, 16, 16);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf("BENCH torch %s VQ-16 decode 1×16×16 → %d floats (1×3×256×256): min %.0f ms, median %.0f ms/image%n",
                    TorchOptions.read(options()).describe(), img.length, ms[0], ms[runs / 2]);
        }
    }
}
