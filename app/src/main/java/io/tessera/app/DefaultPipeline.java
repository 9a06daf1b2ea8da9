package io.tessera.app;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.pipeline.PipelineSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The pipeline embedded in the jar ({@code /tessera/default/}): {@code pipelines/default.yaml} and the files
 * listed in {@code files.txt} (the embedded model weights). The files are copied once into a cache
 * directory named by their content hash ({@code $XDG_CACHE_HOME/tessera} or {@code ~/.cache/tessera})
 * so checkpoints can be memory-mapped; copies are atomic.
 */
public final class DefaultPipeline {
    private static final String ROOT = "/tessera/default/";

    private DefaultPipeline() {
    }

    public static PipelineSpec load() {
        String yaml = resourceText("pipelines/default.yaml");
        List<String> files = new ArrayList<>();
        String index = resourceTextOrEmpty("files.txt");
        index.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(files::add);
        Path dir = files.isEmpty() ? Path.of(".").toAbsolutePath() : extract(yaml, files);
        // the YAML sits in pipelines/ as in the repository, so its relative paths (../models/...) resolve the same way
        return PipelineSpec.parse(yaml, "<embedded default pipeline>", dir.resolve("pipelines"));
    }

    private static Path extract(String yaml, List<String> files) {
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(yaml.getBytes(StandardCharsets.UTF_8));
            for (String f : files) {
                md.update(f.getBytes(StandardCharsets.UTF_8));
                md.update(resourceBytes(f));
            }
            String hash = HexFormat.of().formatHex(md.digest()).substring(0, 16);
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            Path dir = base.resolve("tessera").resolve("default-" + hash);
            Files.createDirectories(dir);
            for (String f : files) {
                Path target = dir.resolve(f);
                if (Files.exists(target)) {
                    continue;
                }
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
                try (InputStream in = stream(f)) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return dir;
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new TesseraException("cannot unpack the embedded default model into the cache: " + e.getMessage(), e);
        }
    }

    private static InputStream stream(String name) {
        InputStream in = DefaultPipeline.class.getResourceAsStream(ROOT + name);
        if (in == null) {
            throw new ConfigException("the embedded default pipeline lacks " + name + " (broken build)");
        }
        return in;
    }

    private static byte[] resourceBytes(String name) throws IOException {
        try (InputStream in = stream(name)) {
            return in.readAllBytes();
        }
    }

    private static String resourceText(String name) {
        try {
            return new String(resourceBytes(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TesseraException("cannot read embedded " + name + ": " + e.getMessage(), e);
        }
    }

    private static String resourceTextOrEmpty(String name) {
        return DefaultPipeline.class.getResource(ROOT + name) == null ? "" : resourceText(name);
    }
}
