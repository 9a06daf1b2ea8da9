package io.tessera.spark;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.Json;
import io.tessera.core.pipeline.OrderSpec;
import io.tessera.core.pipeline.PipelineSpec;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What every executor needs to generate its shards: the pipeline as configuration (YAML text, the
 * directory its relative checkpoint paths resolve against, the command-line overrides), never weights.
 * Broadcast once per job. Image i has class {@code classes[i % classes.length]} and the seeds of index i
 * in a run of {@code sampling.seed}, so its pixels depend only on (seed, i).
 *
 * @param yaml       the pipeline file's text
 * @param source     the pipeline file's name, for messages
 * @param baseDir    absolute directory the YAML's relative paths resolve against (must be visible to executors)
 * @param overrides  {@code path=value} assignments applied in order after {@code order}/{@code backend} replacement
 * @param order      order section name replacing the pipeline's, or null
 * @param backend    backend section name replacing the pipeline's, or null
 * @param classes    the class cycle
 * @param images     total images
 * @param shardSize  images per shard (the last shard may hold fewer)
 * @param batch      images per forward pass
 * @param pluginDirs plugin directories (absolute)
 * @param out        the output directory (absolute)
 */
record JobConfig(String yaml, String source, String baseDir, List<String> overrides, String order, String backend,
                 int[] classes, long images, int shardSize, int batch, List<String> pluginDirs, String out)
        implements Serializable {

    /** The pipeline spec this job runs (parsed anew on each call: specs are mutable). */
    PipelineSpec spec() {
        PipelineSpec ps = PipelineSpec.parse(yaml, source, Path.of(baseDir));
        if (order != null) {
            OrderSpec os = OrderSpec.parse(order);
            ps.replaceSection("order", os.name());
            for (var e : os.options().entrySet()) {
                ps.set("order." + e.getKey() + "=" + e.getValue());
            }
        }
        if (backend != null) {
            ps.replaceSection("backend", backend);
        }
        for (String s : overrides) {
            ps.set(s);
        }
        return ps;
    }

    long shards() {
        return (images + shardSize - 1) / shardSize;
    }

    long firstImage(long shard) {
        return shard * shardSize;
    }

    int shardImages(long shard) {
        return (int) Math.min(shardSize, images - firstImage(shard));
    }

    int classOf(long image) {
        return classes[(int) (image % classes.length)];
    }

    /** Key of the loaded pipeline an executor may reuse: everything that decides the model, order and sampling. */
    String pipelineKey() {
        return sha256(yaml + '\0' + baseDir + '\0' + order + '\0' + backend + '\0' + String.join("\0", overrides) + '\0'
                + String.join("\0", pluginDirs));
    }

    /**
     * The job's identity as JSON (written to {@code job.json}): everything that decides which bytes the
     * shards hold. Batch size is left out on purpose (a seeded run gives the same tokens for any batching).
     */
    String identityJson() {
        List<String> cls = new ArrayList<>();
        for (int c : classes) {
            cls.add(Integer.toString(c));
        }
        List<String> ov = overrides.stream().map(Json::quote).toList();
        return "{\n"
                + "  \"pipeline\": " + Json.quote(source) + ",\n"
                + "  \"pipeline_sha256\": " + Json.quote(sha256(yaml)) + ",\n"
                + "  \"base_dir\": " + Json.quote(baseDir) + ",\n"
                + "  \"order\": " + (order == null ? "null" : Json.quote(order)) + ",\n"
                + "  \"backend\": " + (backend == null ? "null" : Json.quote(backend)) + ",\n"
                + "  \"overrides\": [" + String.join(", ", ov) + "],\n"
                + "  \"classes\": [" + String.join(", ", cls) + "],\n"
                + "  \"images\": " + images + ",\n"
                + "  \"shard_size\": " + shardSize + "\n"
                + "}\n";
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checks the numbers a job needs; names the flag. */
    void validate() {
        if (images <= 0) {
            throw new ConfigException("--images must be ≥ 1, got " + images);
        }
        if (shardSize <= 0) {
            throw new ConfigException("--shard-size must be ≥ 1, got " + shardSize);
        }
        if (batch <= 0) {
            throw new ConfigException("--batch must be ≥ 1, got " + batch);
        }
        if (classes.length == 0) {
            throw new ConfigException("--classes: no class given");
        }
    }
}
