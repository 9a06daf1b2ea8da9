package io.tessera.torch;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Tensor operations shared by the families' forwards. */
final class TorchOps {
    private TorchOps() {
    }

    /** Below this many rows per linear layer the CPU path uses matrix–vector products. */
    private static final int GEMV_ROWS = 4;

    /**
     * {@code x · wᵀ (+ bias)} for x [.., in], w [out, in], bias [out] or null. On the CPU a decode step has
     * only a few rows, where libtorch's gemm (OpenBLAS) is several times slower than one gemv per row (it
     * packs the whole weight first); the result is the same product, summed in a different order.
     */
    static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        long rowsIn = x.numel() / x.size(-1);
        if (x.is_cuda() || rowsIn > GEMV_ROWS) {
            return bias == null ? torch.linear(x, w, new TensorOptional()) : torch.linear(x, w, new TensorOptional(bias));
        }
        Tensor flat = x.reshape(rowsIn, x.size(-1));
        TensorVector out = new TensorVector();
        for (long r = 0; r < rowsIn; r++) {
            out.push_back(torch.mv(w, flat.select(0, r)));
        }
        long[] shape = x.shape();
        shape[shape.length - 1] = w.size(0);
        Tensor y = torch.stack(out, 0).view(shape);
        return bias == null ? y : y.add(bias);
    }
}
