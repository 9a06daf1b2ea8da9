package io.tessera.torch;

import static io.tessera.torch.Fixtures.Entry;
import static io.tessera.torch.Fixtures.batch;
import static io.tessera.torch.Fixtures.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.model.RandomWeights;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.torch.nn.LlamaGenModule;
import io.tessera.torch.nn.LpdModule;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.torch.nn.VqModule;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * One module per family serves both paths: the training forward of a module over a trainer's parameter
 * store computes what the decode session computes from the same weights through its KV cache.
 */
class FamilyModuleTest {
    private static final TorchBackend BACKEND = new TorchBackend();

    /** A trainer's parameter store holding {@code tensors} (as GptNet/LpdNet/VqNet register them, then load). */
    private static ParamStore store(Map<String, Tensor> tensors) {
        ParamStore p = new ParamStore(new Device(torch.DeviceType.CPU));
        tensors.forEach((name, t) -> p.add(name, Ops.floats(p.device(), t.toFloatArray(), t.shape())));
        return p;
    }

    /** Teacher-forced full sequence (training, causal SDPA) = one cached causal pass of the session. */
    @Test
    void gptTrainingForwardEqualsCachedDecodePass() {
        LlamaGenConfig c = Fixtures.TINY;
        Map<String, Tensor> w = RandomWeights.llamaGen(c, 21);
        int n = c.grid() * c.grid();
        int cap = 1 + n;
        int[] classes = {3, c.nullClass()};
        long[] tokens = new long[2 * n];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7919L + 13) % c.vocabSize();
        }
        float[] train;
        ParamStore p = store(w);
        LlamaGenModule module = new LlamaGenModule(new LlamaGenWeights(c, p.asCheckpoint()), p, torch.ScalarType.Float, null, false);
        try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
            train = Ops.toFloats(module.forward(Ops.longs(p.device(), tokens, 2, n),
                    Ops.longs(p.device(), new long[] {classes[0], classes[1]}, 2)));                 // [2, N, V]
        }
        Entry[][] seq = new Entry[2][n];
        for (int r = 0; r < 2; r++) {
            seq[r][0] = Entry.cls(classes[r], cap);
            for (int i = 0; i < n - 1; i++) {
                seq[r][1 + i] = Entry.token((int) tokens[r * n + i], i, cap);
            }
        }
        LlamaGenModel m = Fixtures.model(c, w);
        try (GptSession s = BACKEND.openModel(m, Fixtures.cpu())) {
            s.reset(2, cap);
            float[] decode = s.forward(batch(seq));
            assertEquals(train.length, decode.length);
            double err = relErr(train, decode);
            assertTrue(err < 1e-5, "training vs decode logits: relative error " + err);
        }
    }

    /**
     * LPD: one full pass under a group mask (training's attention) = one session pass whose entries take
     * slots 0 … L−1 and see exactly the slots the mask allows (the session's cache attention).
     */
    @Test
    void lpdMaskedForwardEqualsCachedPass() {
        LpdConfig c = new LpdConfig(32, 2, 4, 4.0, 16, 10, 1e-6f, 4);
        Map<String, Tensor> w = RandomWeights.lpd(c, 8);
        // [class, 3 context tokens, 4 queries]: queries see class + context, context sees class + earlier context
        int[] kinds = {0, 1, 1, 1, 2, 2, 2, 2};          // 0 class, 1 token, 2 query
        int[] ids = {4, 7, 0, 15, 0, 0, 0, 0};
        int[] cells = {-1, 5, 0, 9, 2, 11, 3, 14};
        int l = kinds.length;
        boolean[] mask = new boolean[l * l];
        for (int q = 0; q < l; q++) {
            for (int k = 0; k < l; k++) {
                mask[q * l + k] = kinds[q] == 2 ? kinds[k] != 2 || k == q : kinds[k] != 2 && k <= q;
            }
        }
        ParamStore p = store(w);
        LpdModule module = new LpdModule(new LpdWeights(c, p.asCheckpoint()), p, torch.ScalarType.Float, false);
        long[] rows = new long[l];
        long[] pos = new long[l];
        long[] maskBits = new long[l * l];
        for (int i = 0; i < l; i++) {
            rows[i] = kinds[i] == 0 ? module.classRow(ids[i]) : kinds[i] == 1 ? module.tokenRow(ids[i]) : module.queryRow();
            pos[i] = cells[i] + 1;
        }
        for (int i = 0; i < maskBits.length; i++) {
            maskBits[i] = mask[i] ? 1 : 0;
        }
        float[] train;
        try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
            train = Ops.toFloats(module.forward(Ops.longs(p.device(), rows, 1, l), Ops.longs(p.device(), pos, 1, l),
                    module.masked(Ops.longs(p.device(), maskBits, l, l).to(torch.ScalarType.Bool)), l));   // [1, L, V]
        }
        Entry[][] pass = new Entry[1][l];
        for (int i = 0; i < l; i++) {
            EntryKind kind = kinds[i] == 0 ? EntryKind.CLASS : kinds[i] == 1 ? EntryKind.TOKEN : EntryKind.QUERY;
            pass[0][i] = new Entry(kind, ids[i], cells[i] + 1, i, java.util.Arrays.copyOfRange(mask, i * l, (i + 1) * l));
        }
        try (GptSession s = BACKEND.openModel(new LpdModel(c, new LpdWeights(c, new MemoryCheckpoint("random-lpd", w))), Fixtures.cpu())) {
            s.reset(1, l);
            double err = relErr(train, s.forward(batch(pass)));
            assertTrue(err < 1e-5, "masked full pass vs cached pass: relative error " + err);
        }
    }

    /** The VQ trainer's decode (codebook lookup of its parameters, then the module) = the decode session. */
    @Test
    void vqTrainingDecodeEqualsDecodeSession() {
        Map<String, Tensor> w = RandomWeights.vq(Fixtures.TINY_VQ, 4);
        int[] codes = {0, 5, 63, 17, 17, 2, 40, 9};
        long[] idx = new long[codes.length];
        for (int i = 0; i < codes.length; i++) {
            idx[i] = codes[i];
        }
        ParamStore p = store(w);
        VqModule module = new VqModule(new VqWeights(Fixtures.TINY_VQ, p.asCheckpoint()), p, false);
        float[] train;
        try (PointerScope _ = new PointerScope(); NoGradGuard _ = new NoGradGuard()) {
            train = Ops.toFloats(module.decode(module.lookup(Ops.longs(p.device(), idx, 2, 2, 2))));
        }
        try (VqDecoderSession s = BACKEND.openDecoder(Fixtures.vq(Fixtures.TINY_VQ, w), Fixtures.cpu())) {
            float[] decode = s.decode(codes, 2, 2, 2);
            double err = relErr(train, decode);
            assertTrue(err < 1e-6, "training vs session decode: relative error " + err);
        }
    }
}
