package io.tessera.cpu;

import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.RandarModel;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;

/**
 * RandAR ({@code RandAR/model/randar_gpt.py}) on the CPU: the LlamaGen GPT of {@link LlamaGenForward} whose
 * QUERY entries embed the position instruction of their target cell.
 *
 * <p>{@code get_position_instruction_tokens}: the one vector {@code pos_instruct_embeddings} [1, dim], viewed
 * as [n_head, head_dim], rotated by the 2-D RoPE row of the target (adjacent pairs, float32). This is done once
 * for every position into a table [1 + grid², dim]; a QUERY entry at position p embeds row p. The block's
 * attention then rotates that entry's q and k by the same row again: the official code rotates the
 * instruction twice (RandAR issue #7), and so does Tessera, since the released weights were trained so.
 */
final class RandarForward implements GptSession {
    private final RandarModel model;
    private final LlamaGenForward gpt;

    RandarForward(RandarModel model, CpuOptions options) {
        this.model = model;
        this.gpt = new LlamaGenForward(model, model.weights().gpt(), Matrix.of(instructionTable(model)), options);
    }

    /** Row p = pos_instruct_embeddings rotated per head by RoPE row p (row 0, the class row, rotates to zeros). */
    static Tensor instructionTable(RandarModel model) {
        LlamaGenConfig c = model.config().gpt();
        int dim = c.dim();
        RopeTable rope = new RopeTable(c.grid(), c.headDim(), c.ropeBase());
        float[] vector = model.weights().posInstruct().toFloatArray();   // [1, dim] = [n_head, head_dim]
        float[] table = new float[rope.positions * dim];                  // [1 + grid², dim]
        for (int p = 0; p < rope.positions; p++) {
            System.arraycopy(vector, 0, table, p * dim, dim);
            Kernels.rope(table, p * dim, c.nHead(), c.headDim(), rope.cos, rope.sin, rope.offset(p));
        }
        return Tensor.ofFloats("pos_instruct_embeddings (rotated per position)", new long[] {rope.positions, dim}, table);
    }

    @Override
    public ModelSpec model() {
        return model;
    }

    @Override
    public void reset(int rows, int capacity) {
        gpt.reset(rows, capacity);
    }

    @Override
    public void clearRow(int row) {
        gpt.clearRow(row);
    }

    /** QUERY (id 0) at position p reads instruction row p; everything else is the LlamaGen forward. */
    @Override
    public float[] forward(ForwardBatch batch) {
        return gpt.forward(RandarModel.instructionRows(batch, "cpu-vector"));
    }

    @Override
    public void close() {
        gpt.close();
    }
}
