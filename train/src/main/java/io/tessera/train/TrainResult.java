package io.tessera.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a training invocation did.
 *
 * @param kind         vq, gpt, lpd or classifier
 * @param out          the exported model file (null when the run stopped before its last step)
 * @param step         steps done in total (over all resumed invocations)
 * @param totalSteps   steps of the whole run
 * @param trainSeconds wall-clock seconds spent in training steps, over all invocations
 * @param finalLoss    mean total loss of the last logged window
 * @param metrics      evaluation results (e.g. test_accuracy, test_mse, and their _bf16 variants)
 */
public record TrainResult(String kind, Path out, long step, long totalSteps, double trainSeconds, double finalLoss,
                          Map<String, Double> metrics) {
    public boolean finished() {
        return step >= totalSteps;
    }
}
