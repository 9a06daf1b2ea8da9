package io.tessera.torch;

import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.RandarModel;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.torch.nn.LlamaGenModule;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * RandAR ({@code RandAR/model/randar_gpt.py}) on libtorch: the LlamaGen GPT session of {@link TorchLlamaGen}
 * whose QUERY entries embed the position instruction of their target cell.
 *
 * <p>{@code get_position_instruction_tokens} is computed once with the official float32 ops: the vector
 * {@code pos_instruct_embeddings} [1, dim] viewed as [n_head, head_dim], rotated by every row of
 * {@code precompute_freqs_cis_2d} ({@link LlamaGenModule#freqsCis2d}) into a table [1 + grid², dim], uploaded
 * in the compute dtype (the official {@code type_as}). A QUERY entry at position p embeds row p; the block's
 * attention rotates its q and k by row p again: the official double rotation (RandAR issue #7), reproduced
 * on purpose because the released weights were trained with it.
 */
final class TorchRandar extends TorchLlamaGen {
    TorchRandar(RandarModel model, TorchOptions options) {
        options.device(); // loads the natives and runs the once-per-process CPU kernel check before any tensor is made
        super(model, model.weights().gpt(), instructionTable(model), options);
    }

    /** Row p = pos_instruct_embeddings rotated per head by RoPE row p (row 0, the class row, rotates to zeros). */
    static io.tessera.core.checkpoint.Tensor instructionTable(RandarModel model) {
        LlamaGenConfig c = model.config().gpt();
        int nh = c.nHead();
        int hd = c.headDim();
        long positions = 1L + c.blockSize();
        try (PointerScope _ = new PointerScope()) {
            Tensor freqs = LlamaGenModule.freqsCis2d(c.grid(), hd, c.ropeBase());                 // [P, hd/2, 2]
            Tensor cos = freqs.select(-1, 0).view(1, positions, 1, hd / 2);
            Tensor sin = freqs.select(-1, 1).view(1, positions, 1, hd / 2);
            Tensor vector = TorchTensors.upload(model.weights().posInstruct(), new Device(DeviceType.CPU), ScalarType.Float)
                    .view(1, 1, nh, hd).expand(1, positions, nh, hd);                              // [1, P, H, hd]
            Tensor table = LlamaGenModule.rotateFloat(vector, cos, sin).reshape(positions, (long) c.dim());
            return io.tessera.core.checkpoint.Tensor.ofFloats("pos_instruct_embeddings (rotated per position)",
                    new long[] {positions, c.dim()}, TorchTensors.toFloats(table));
        }
    }

    /** QUERY (id 0) at position p reads instruction row p; everything else is the LlamaGen forward. */
    @Override
    public float[] forward(ForwardBatch batch) {
        return super.forward(RandarModel.instructionRows(batch, "torch"));
    }

    @Override
    public String toString() {
        return "TorchRandar[" + super.toString() + "]";
    }
}
