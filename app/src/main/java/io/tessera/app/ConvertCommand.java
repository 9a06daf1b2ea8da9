package io.tessera.app;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.model.Detector;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tessera convert}: a PyTorch {@code .pt} checkpoint to safetensors (same names, dtypes, shapes, bytes). */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a PyTorch .pt checkpoint (its state dict) to .safetensors; written atomically.")
public final class ConvertCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Input checkpoint (.pt, or .safetensors to rewrite).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output .safetensors file.")
    Path out;

    @Override
    public Integer call() {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !java.nio.file.Files.isDirectory(parent)) {
            try {
                java.nio.file.Files.createDirectories(parent);
            } catch (java.io.IOException e) {
                throw new io.tessera.core.TesseraException(parent + ": cannot create output directory (" + e.getMessage() + ")");
            }
        }
        Checkpoints.convertToSafetensors(in, out);
        try (Checkpoint c = Checkpoints.open(out)) {
            Detector.Detection d = Detector.detect(c);
            spec.commandLine().getOut().printf("wrote %s: %d tensors (family: %s, preset: %s)%n", out, c.tensors().size(), d.family(), d.preset());
        }
        return 0;
    }
}
