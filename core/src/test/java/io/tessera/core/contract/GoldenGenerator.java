package io.tessera.core.contract;

import io.tessera.core.decode.Rng;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.VqConfig;
import io.tessera.core.spi.ForwardBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;

/**
 * The committed generator of the golden files in {@code core/src/test/resources/golden/}: outputs of the
 * double-precision oracle for fixed seeds and inputs, so that any drift of the oracle (or of the random
 * weights, the RNG or {@link Passes#standard}) fails {@link GoldenFilesTest}.
 * <ul>
 *   <li>{@value #GPT_FILE}: {@code LlamaGenConfig.of(64, 2, 4, 4)} with {@code RandomWeights.llamaGen(config, 1)},
 *       the passes of {@code Passes.standard(config, 207, 11)} (CFG prefill, raster step, causal multi-token
 *       pass, ZipAR pass with holes, group-bidirectional pass). The inputs are recorded; per entry the logits'
 *       argmax, max, sum and sum of squares over the whole vocabulary and the logits at {@link #SAMPLES}
 *       fixed indices (full rows would be 128 KB per pass).</li>
 *   <li>{@value #VQ_FILE}: {@code new VqConfig(64, 8, true, 32, 32, new int[]{1, 2}, 1, 3)} with
 *       {@code RandomWeights.vq(config, 2)} decoding a 2×4×4 token grid: every pixel.</li>
 * </ul>
 * Numbers are written with {@link Double#toString} (exact round trip). The oracle uses only
 * {@link StrictMath} and a fixed summation order, so it reproduces the files bit for bit on every machine.
 *
 * <p>To regenerate after a deliberate change of the oracle (review the diff of the JSON!), from the
 * repository root:
 * <pre>
 * mvn -o -q -pl core test-compile
 * $JAVA_HOME/bin/java -cp core/target/classes:core/target/test-classes io.tessera.core.contract.GoldenGenerator core/src/test/resources/golden
 * </pre>
 */
public final class GoldenGenerator {
    /** Resource folder (class-path root relative) of the golden files. */
    public static final String DIR = "golden";
    /** GPT golden file name. */
    public static final String GPT_FILE = "llamagen-tiny-seed1.json";
    /** VQ golden file name. */
    public static final String VQ_FILE = "vq-tiny-seed2.json";
    /** Logits kept per entry. */
    public static final int SAMPLES = 48;
    /** Class of the conditional row. */
    public static final int CLASS_ID = 207;
    /** Seed of the tokens fed in the passes. */
    public static final long TOKEN_SEED = 11;
    /** Seed of the VQ token grid. */
    public static final long VQ_TOKEN_SEED = 5;

    private GoldenGenerator() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "core/src/test/resources/" + DIR);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(GPT_FILE), gptJson(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(VQ_FILE), vqJson(), StandardCharsets.UTF_8);
        System.out.println("wrote " + dir.resolve(GPT_FILE) + " and " + dir.resolve(VQ_FILE));
    }

    /** Vocabulary indices whose logits are stored: (13 + 977·i) mod vocab, distinct because 977 is odd. */
    public static int[] sampleIndices(int vocab) {
        int[] idx = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            idx[i] = (int) ((13L + 977L * i) % vocab);
        }
        return idx;
    }

    /** The GPT golden file's text, computed now by the oracle. */
    public static String gptJson() {
        LlamaGenConfig c = ContractModels.tiny();
        LlamaGenModel model = ContractModels.llamaGenAsGenerated(c, ContractModels.GPT_SEED);
        int vocab = c.vocabSize();
        int[] samples = sampleIndices(vocab);
        ReferenceLlamaGen ref = new ReferenceLlamaGen(model);
        ref.reset(2, model.cacheCapacity());
        StringBuilder sb = new StringBuilder();
        sb.append("{\n");
        sb.append("  \"generator\": \"io.tessera.core.contract.GoldenGenerator\",\n");
        sb.append("  \"model\": \"LlamaGenConfig.of(64, 2, 4, 4), RandomWeights.llamaGen(config, 1), F32\",\n");
        sb.append("  \"passes_from\": \"Passes.standard(config, ").append(CLASS_ID).append(", ").append(TOKEN_SEED).append(")\",\n");
        sb.append("  \"sample_indices\": ").append(ints(samples)).append(",\n");
        sb.append("  \"passes\": [\n");
        List<Passes.Pass> passes = Passes.standard(c, CLASS_ID, TOKEN_SEED);
        for (int p = 0; p < passes.size(); p++) {
            ForwardBatch b = passes.get(p).batch();
            double[] logits = ref.forwardExact(b);
            sb.append("    {\"name\": \"").append(passes.get(p).name()).append("\", \"rows\": ").append(b.rows())
                    .append(", \"length\": ").append(b.length()).append(",\n");
            StringJoiner kinds = new StringJoiner(", ", "[", "]");
            for (var k : b.kinds()) {
                kinds.add("\"" + k + "\"");
            }
            sb.append("     \"kinds\": ").append(kinds).append(", \"ids\": ").append(ints(b.ids()))
                    .append(", \"positions\": ").append(ints(b.positions())).append(", \"slots\": ").append(ints(b.slots())).append(",\n");
            StringJoiner visible = new StringJoiner(", ", "[", "]");
            for (int i = 0; i < b.rows() * b.length(); i++) {
                StringJoiner slots = new StringJoiner(", ", "[", "]");
                for (int s = 0; s < b.capacity(); s++) {
                    if (b.visible()[i * b.capacity() + s]) {
                        slots.add(Integer.toString(s));
                    }
                }
                visible.add(slots.toString());
            }
            sb.append("     \"visible_slots\": ").append(visible).append(",\n");
            sb.append("     \"entries\": [\n");
            for (int i = 0; i < b.rows() * b.length(); i++) {
                int argmax = 0;
                double sum = 0;
                double squares = 0;
                double[] kept = new double[samples.length];
                for (int v = 0; v < vocab; v++) {
                    double x = logits[i * vocab + v];
                    sum += x;
                    squares += x * x;
                    if (x > logits[i * vocab + argmax]) {
                        argmax = v;
                    }
                }
                for (int j = 0; j < samples.length; j++) {
                    kept[j] = logits[i * vocab + samples[j]];
                }
                sb.append("       {\"argmax\": ").append(argmax).append(", \"max\": ").append(num(logits[i * vocab + argmax]))
                        .append(", \"sum\": ").append(num(sum)).append(", \"sum_squares\": ").append(num(squares))
                        .append(",\n        \"samples\": ").append(nums(kept)).append("}")
                        .append(i + 1 < b.rows() * b.length() ? ",\n" : "\n");
            }
            sb.append("     ]}").append(p + 1 < passes.size() ? ",\n" : "\n");
        }
        sb.append("  ]\n}\n");
        return sb.toString();
    }

    /** The VQ golden file's text, computed now by the oracle. */
    public static String vqJson() {
        VqConfig c = ContractModels.tinyVq();
        int n = 2;
        int h = 4;
        int w = 4;
        int[] tokens = new int[n * h * w];
        Rng rng = new Rng(VQ_TOKEN_SEED);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(c.codebookSize());
        }
        double[] img = new ReferenceVqDecoder(ContractModels.vq(c, ContractModels.VQ_SEED)).decodeExact(tokens, n, h, w);
        int ds = c.downsample();
        return "{\n"
                + "  \"generator\": \"io.tessera.core.contract.GoldenGenerator\",\n"
                + "  \"model\": \"new VqConfig(64, 8, true, 32, 32, new int[]{1, 2}, 1, 3), RandomWeights.vq(config, 2)\",\n"
                + "  \"tokens_shape\": [" + n + ", " + h + ", " + w + "],\n"
                + "  \"tokens\": " + ints(tokens) + ",\n"
                + "  \"image_shape\": [" + n + ", " + c.outChannels() + ", " + h * ds + ", " + w * ds + "],\n"
                + "  \"image\": " + nums(img) + "\n"
                + "}\n";
    }

    private static String ints(int[] a) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int v : a) {
            j.add(Integer.toString(v));
        }
        return j.toString();
    }

    private static String nums(double[] a) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (double v : a) {
            j.add(num(v));
        }
        return j.toString();
    }

    /** Double.toString, with an explicit exponent sign ("1.0E+10") so YAML 1.1 readers also see a float. */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("golden values must be finite, got " + v);
        }
        String s = Double.toString(v);
        int e = s.indexOf('E');
        return e >= 0 && s.charAt(e + 1) != '-' ? s.substring(0, e + 1) + "+" + s.substring(e + 1) : s;
    }
}
