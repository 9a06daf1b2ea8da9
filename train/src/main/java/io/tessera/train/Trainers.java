package io.tessera.train;

import io.tessera.core.ConfigException;
import java.nio.file.Path;

/**
 * Entry point of {@code tessera train CONFIG.yaml}: {@code Trainers.load(path).run(Progress.lines(System.err))}.
 */
public final class Trainers {
    private Trainers() {
    }

    /** Reads {@code yaml} and builds the trainer of its {@code kind}; config errors name the file and YAML path. */
    public static Trainer load(Path yaml) {
        return create(TrainConfig.load(yaml));
    }

    public static Trainer create(TrainConfig cfg) {
        try {
            return switch (cfg.kind()) {
                case VQ -> new VqTrainer(cfg);
                case GPT -> new GptTrainer(cfg);
                case LPD -> new LpdTrainer(cfg);
                case CLASSIFIER -> new ClassifierTrainer(cfg);
            };
        } catch (ConfigException e) {
            String msg = e.getMessage();
            throw msg.startsWith(cfg.source() + ":") ? e : new ConfigException(cfg.source() + ": " + msg, e);
        }
    }

    /** Loads, trains (resuming when a checkpoint exists) and exports; returns what was done. */
    public static TrainResult train(Path yaml, Progress progress) {
        return load(yaml).run(progress);
    }
}
