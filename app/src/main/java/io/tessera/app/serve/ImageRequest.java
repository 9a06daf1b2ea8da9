package io.tessera.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.FamilyAdapter;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.pipeline.OrderSpec;
import io.tessera.core.plugin.PluginRegistry;
import io.tessera.core.spi.OrderScheduler;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validated {@code POST /v1/images} body. Image k of a request is class {@code class_labels[k mod L]}
 * (L labels, k = j·L + c for the j-th of n per class), seeded as image k of {@code tessera generate
 * --class ... --n n --seed seed}: same classes, seed, order and sampling give the same tokens.
 *
 * @param classes      class of each image, in image order
 * @param labels       class_labels as given
 * @param n            images per label
 * @param seed         base seed
 * @param orderLabel   the order as a spec string
 * @param order        the order plugin
 * @param orderOptions its options (validated)
 * @param sampling     pipeline sampling with the request's overrides and seed
 * @param format       what a finished image carries
 * @param inline       {@code response: b64}: the POST answers with the images; else {@code id}: 202 and an id
 * @param deadlineMs   the request's deadline from acceptance
 */
record ImageRequest(int[] classes, int[] labels, int n, long seed, String orderLabel, OrderScheduler order,
                    ConfigNode orderOptions, SamplingConfig sampling, Format format, boolean inline, long deadlineMs) {

    /** What a finished image carries. */
    enum Format {
        PNG, TOKENS, BOTH;

        boolean png() {
            return this != TOKENS;
        }

        boolean tokens() {
            return this != PNG;
        }
    }

    static final Set<String> FIELDS = Set.of("class_labels", "n", "seed", "order", "sampling", "format", "response", "deadline_ms");
    static final Set<String> SAMPLING_FIELDS = Set.of("temperature", "top_k", "top_p", "cfg_scale", "cfg_interval", "cfg_schedule", "greedy");
    static final int MAX_N = 64;
    static final int MAX_LABELS = 64;
    private static final Pattern PATH = Pattern.compile("^([a-z_][a-z0-9_]*(?:\\.[a-z_][a-z0-9_]*)*): ");

    /** The server's defaults: pipeline order and sampling. */
    record Defaults(FamilyAdapter adapter, PluginRegistry registry, OrderScheduler order, ConfigNode orderOptions, String orderLabel,
                    SamplingConfig sampling, ServeOptions options) {
    }

    static ImageRequest parse(JsonNode body, Defaults d) {
        if (body == null || !body.isObject()) {
            throw new BadRequest("body", "must be a JSON object");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new BadRequest(f, "unknown field (expected one of " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
            }
        }
        int numClasses = d.adapter().model().numClasses();
        JsonNode labelsNode = body.get("class_labels");
        if (labelsNode == null || labelsNode.isNull()) {
            throw new BadRequest("class_labels", "is required (an array of class ids in [0, " + numClasses + "))");
        }
        if (!labelsNode.isArray()) {
            throw new BadRequest("class_labels", "must be an array of class ids, got " + kind(labelsNode));
        }
        if (labelsNode.isEmpty() || labelsNode.size() > MAX_LABELS) {
            throw new BadRequest("class_labels", "must hold 1 to " + MAX_LABELS + " class ids, got " + labelsNode.size());
        }
        int[] labels = new int[labelsNode.size()];
        for (int i = 0; i < labels.length; i++) {
            JsonNode v = labelsNode.get(i);
            String f = "class_labels[" + i + "]";
            if (!v.isIntegralNumber()) {
                throw new BadRequest(f, "must be an integer class id, got " + kind(v));
            }
            long c = v.asLong();
            if (c < 0 || c >= numClasses || !v.canConvertToInt()) {
                throw new BadRequest(f, "class " + v.asText() + " is out of range [0, " + numClasses + ")");
            }
            labels[i] = (int) c;
        }
        int n = (int) integer(body, "n", 1, 1, MAX_N);
        long seed = body.has("seed") ? longValue(body, "seed") : d.sampling().seed();
        int total = n * labels.length;
        int maxTotal = Math.min(d.options().maxPerRequest(), d.options().maxQueue());
        if (total > maxTotal) {
            throw new BadRequest("n", "|class_labels| · n = " + total + " images, more than this server takes in one request (" + maxTotal + ")");
        }
        int[] classes = new int[total];
        for (int j = 0; j < n; j++) {
            for (int c = 0; c < labels.length; c++) {
                classes[j * labels.length + c] = labels[c];
            }
        }

        OrderScheduler order = d.order();
        ConfigNode orderOptions = d.orderOptions();
        String orderLabel = d.orderLabel();
        JsonNode orderNode = body.get("order");
        if (orderNode != null && !orderNode.isNull()) {
            if (!orderNode.isTextual()) {
                throw new BadRequest("order", "must be an order spec string such as \"zipar:window=4\", got " + kind(orderNode));
            }
            try {
                OrderSpec spec = OrderSpec.parse(orderNode.asText());
                if (!d.registry().orders().containsKey(spec.name())) {
                    throw new BadRequest("order", "unknown order '" + spec.name() + "' (known: "
                            + String.join(", ", d.registry().orders().keySet().stream().sorted().toList()) + ")");
                }
                order = d.registry().order(spec.name());
                orderOptions = spec.node();
                orderLabel = spec.label();
                // validates the options (errors name order.KEY) and the family pairing, as a pipeline load does
                d.adapter().checkOrder(order, order.plan(d.adapter().grid(), orderOptions, seed));
            } catch (BadRequest e) {
                throw e;
            } catch (TesseraException e) {
                throw fromConfig("order", e);
            }
        }

        SamplingConfig sampling = sampling(body.get("sampling"), d.sampling(), seed);
        Format format = switch (text(body, "format", "png")) {
            case "png" -> Format.PNG;
            case "tokens" -> Format.TOKENS;
            case "both" -> Format.BOTH;
            default -> throw new BadRequest("format", "must be png, tokens or both, got '" + body.get("format").asText() + "'");
        };
        boolean inline = switch (text(body, "response", "b64")) {
            case "b64" -> true;
            case "id" -> false;
            default -> throw new BadRequest("response", "must be b64 (the images in the answer) or id (202 and an id), got '"
                    + body.get("response").asText() + "'");
        };
        long deadline = integer(body, "deadline_ms", d.options().defaultDeadlineMs(), 1, 24L * 3600 * 1000);
        return new ImageRequest(classes, labels, n, seed, orderLabel, order, orderOptions, sampling, format, inline, deadline);
    }

    private static SamplingConfig sampling(JsonNode node, SamplingConfig base, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", base.temperature());
        m.put("top_k", base.topK());
        m.put("top_p", base.topP());
        m.put("cfg_scale", base.cfgScale());
        m.put("cfg_interval", base.cfgInterval());
        m.put("cfg_schedule", base.cfgSchedule().yamlName());
        m.put("greedy", base.greedy());
        m.put("seed", seed);
        if (node != null && !node.isNull()) {
            if (!node.isObject()) {
                throw new BadRequest("sampling", "must be an object of overrides, got " + kind(node));
            }
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String f = "sampling." + e.getKey();
                JsonNode v = e.getValue();
                switch (e.getKey()) {
                    case "temperature", "top_p", "cfg_scale" -> {
                        if (!v.isNumber()) {
                            throw new BadRequest(f, "must be a number, got " + kind(v));
                        }
                        m.put(e.getKey(), v.asDouble());
                    }
                    case "top_k", "cfg_interval" -> {
                        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                            throw new BadRequest(f, "must be an integer, got " + kind(v));
                        }
                        m.put(e.getKey(), v.asInt());
                    }
                    case "cfg_schedule" -> {
                        if (!v.isTextual()) {
                            throw new BadRequest(f, "must be a string (constant, linear or linear-pass), got " + kind(v));
                        }
                        m.put(e.getKey(), v.asText());
                    }
                    case "greedy" -> {
                        if (!v.isBoolean()) {
                            throw new BadRequest(f, "must be true or false, got " + kind(v));
                        }
                        m.put(e.getKey(), v.asBoolean());
                    }
                    case "seed" -> throw new BadRequest(f, "set the seed at the top level (\"seed\"), not in sampling");
                    default -> throw new BadRequest(f, "unknown sampling field (expected one of "
                            + String.join(", ", SAMPLING_FIELDS.stream().sorted().toList()) + ")");
                }
            }
        }
        try {
            return SamplingConfig.from(new ConfigNode("sampling", m));
        } catch (ConfigException e) {
            throw fromConfig("sampling", e);
        }
    }

    /** A core validation error as a 400: its YAML path (e.g. {@code sampling.top_p}, {@code order.window}) is the field. */
    private static BadRequest fromConfig(String fallbackField, TesseraException e) {
        String msg = e.getMessage();
        Matcher mt = PATH.matcher(msg);
        if (mt.find()) {
            return new BadRequest(mt.group(1), msg.substring(mt.end()));
        }
        return new BadRequest(fallbackField, msg);
    }

    private static long integer(JsonNode body, String field, long def, long min, long max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new BadRequest(field, "must be an integer, got " + kind(v));
        }
        long x = v.asLong();
        if (x < min || x > max) {
            throw new BadRequest(field, "must be in [" + min + ", " + max + "], got " + x);
        }
        return x;
    }

    private static long longValue(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new BadRequest(field, "must be a 64-bit integer, got " + kind(v));
        }
        return v.asLong();
    }

    private static String text(JsonNode body, String field, String def) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isTextual()) {
            throw new BadRequest(field, "must be a string, got " + kind(v));
        }
        return v.asText();
    }

    private static String kind(JsonNode v) {
        if (v.isTextual()) {
            return "the string \"" + (v.asText().length() > 40 ? v.asText().substring(0, 40) + "…" : v.asText()) + "\"";
        }
        if (v.isNumber() || v.isBoolean() || v.isNull()) {
            return v.asText();
        }
        return v.isArray() ? "an array" : "an object";
    }

    int images() {
        return classes.length;
    }
}
