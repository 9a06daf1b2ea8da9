package io.tessera.app;

import io.tessera.core.ErrorText;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.Detector;
import io.tessera.core.model.LlamaGenWeights;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tessera inspect}: a checkpoint's tensors and its recognised family and preset. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List a checkpoint's tensors (name, dtype, shape) and its detected family and preset.")
public final class InspectCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "CHECKPOINT", description = "A .safetensors or PyTorch .pt file.")
    Path file;

    @Option(names = "--summary", description = "Only the detection and totals, no tensor list.")
    boolean summary;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Checkpoint c = Checkpoints.open(file)) {
            long params = 0;
            long bytes = 0;
            if (!summary) {
                out.printf("%-60s %-5s %s%n", "tensor", "dtype", "shape");
            }
            int buffers = 0;
            for (Tensor t : c.tensors().values()) {
                boolean buffer = LlamaGenWeights.isRuntimeBufferName(t.name());
                if (buffer) {
                    buffers++;
                } else {
                    params += t.numel();
                }
                bytes += t.data().byteSize();
                if (!summary) {
                    // Names come from the file: printed escaped, so they cannot move the cursor or fake lines.
                    out.printf("%-60s %-5s %s%s%n", ErrorText.printable(t.name()), t.dtype(), Arrays.toString(t.shape()),
                            buffer ? "  (runtime buffer, ignored)" : "");
                }
            }
            Detector.Detection d = Detector.detect(c);
            out.printf("file: %s%n", file);
            c.metadata().forEach((k, v) -> out.printf("metadata: %s = %s%n", ErrorText.printable(k), ErrorText.printable(v)));
            out.printf("tensors: %d, parameters: %,d, bytes: %,d%n", c.tensors().size(), params, bytes);
            if (buffers > 0) {
                out.printf("runtime buffers: %d (KV cache, causal mask or RoPE table saved after sampling; ignored when loading)%n", buffers);
            }
            out.printf("family: %s, preset: %s%n", d.family(), d.preset());
            d.fields().forEach((k, v) -> out.printf("  %s: %s%n", k, v));
        }
        return 0;
    }
}
