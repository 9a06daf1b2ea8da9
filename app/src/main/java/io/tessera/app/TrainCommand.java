package io.tessera.app;

import io.tessera.train.Progress;
import io.tessera.train.TrainResult;
import io.tessera.train.Trainers;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tessera train CONFIG.yaml}: trains the model the YAML describes ({@code kind: vq | gpt | lpd |
 * classifier}) with libtorch autograd (CUDA when the YAML's device allows), resuming from its work
 * directory after an interruption, and writes the model in its official layout atomically.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a tokenizer, GPT, LPD model or classifier from a training YAML (training/*.yaml); resumes after interruption.")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "CONFIG", description = "Training YAML, e.g. training/fmnist-gpt.yaml.")
    Path config;

    @Override
    public Integer call() {
        TrainResult r = Trainers.train(config, Progress.lines(System.err));
        spec.commandLine().getOut().println("trained " + r);
        return 0;
    }
}
