package io.tessera.torch;

import io.tessera.core.contract.RequiresCuda;
import static io.tessera.torch.Fixtures.Entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.core.model.RandomWeights;
import org.junit.jupiter.api.Test;

/** CUDA against the CPU; skipped, with core's one named reason ({@link RequiresCuda}), where libtorch sees no GPU. */
@RequiresCuda
class TorchCudaTest implements RequiresCuda.Probe {
    private static final TorchBackend BACKEND = new TorchBackend();
    private static final int CAP = 17;

    private static float[] run(LlamaGenModel m, BackendOptions o, ForwardBatch... passes) {
        try (GptSession s = BACKEND.openModel(m, o)) {
            s.reset(passes[0].rows(), CAP);
            float[] last = null;
            for (ForwardBatch b : passes) {
                last = s.forward(b);
            }
            return last;
        }
    }

    @Test
    void autoPicksCuda() {
        assertTrue(TorchOptions.read(Fixtures.options()).cuda());
        assertTrue(TorchInfo.query().cuda());
    }

    @Test
    void gptOnCudaMatchesCpu() {
        LlamaGenModel m = Fixtures.model(Fixtures.TINY_GQA, 21);
        ForwardBatch first = Fixtures.batch(new Entry[][] {
            {Entry.cls(5, CAP), Entry.token(10, 0, CAP)}, {Entry.cls(1000, CAP), Entry.token(10, 0, CAP)}});
        ForwardBatch second = Fixtures.batch(new Entry[][] {{Entry.token(11, 1, CAP)}, {Entry.token(11, 1, CAP)}});
        float[] cpu = run(m, Fixtures.cpu(), first, second);
        float[] f32 = run(m, Fixtures.options("device", "cuda"), first, second);
        float[] bf16 = run(m, Fixtures.options("device", "cuda", "dtype", "bfloat16"), first, second);
        // TF32 is off by default for float32 matmuls in libtorch
        assertTrue(Fixtures.relErr(f32, cpu) < 1e-4, "float32 relative error " + Fixtures.relErr(f32, cpu));
        assertTrue(Fixtures.relErr(bf16, cpu) < 5e-2, "bfloat16 relative error " + Fixtures.relErr(bf16, cpu));
    }

    @Test
    void vqOnCudaMatchesCpu() {
        VqWeights w = Fixtures.vq(Fixtures.TINY_VQ, RandomWeights.vq(Fixtures.TINY_VQ, 8));
        int[] tokens = new int[16];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i * 3 % 64;
        }
        float[] cpu;
        float[] gpu;
        try (VqDecoderSession s = BACKEND.openDecoder(w, Fixtures.cpu())) {
            cpu = s.decode(tokens, 1, 4, 4);
        }
        try (VqDecoderSession s = BACKEND.openDecoder(w, Fixtures.options("device", "cuda"))) {
            gpu = s.decode(tokens, 1, 4, 4);
        }
        assertEquals(cpu.length, gpu.length);
        assertTrue(Fixtures.relErr(gpu, cpu) < 1e-4, "relative error " + Fixtures.relErr(gpu, cpu));
    }

    @Override
    public boolean cudaAvailable() {
        return TorchInfo.cudaAvailable();
    }
}
