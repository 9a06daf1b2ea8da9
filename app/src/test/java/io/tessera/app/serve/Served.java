package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tessera.app.DefaultPipeline;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** A real server on an ephemeral loopback port, with the embedded default pipeline, and a small HTTP client. */
final class Served implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Bound on any single wait in these tests. */
    static final Duration LIMIT = Duration.ofSeconds(120);

    final PluginRegistry registry;
    final Pipeline pipeline;
    final ImageServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    Served(ServeOptions options) {
        this(DefaultPipeline.load(), options);
    }

    Served(PipelineSpec spec, ServeOptions options) {
        registry = PluginRegistry.load(List.of());
        pipeline = Pipeline.open(spec, registry);
        server = new ImageServer(pipeline, registry, options.withPort(0)).start();
    }

    static ServeOptions options(int maxBatch, int maxQueue) {
        return ServeOptions.defaults().withMaxBatch(maxBatch).withMaxQueue(maxQueue).withPort(0);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri("/v1/images")).timeout(LIMIT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(LIMIT).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(LIMIT).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** Polls GET /v1/images/{id} until its status is terminal (at most {@link #LIMIT}). */
    JsonNode await(String id) throws IOException, InterruptedException {
        long end = System.nanoTime() + LIMIT.toNanos();
        for (int i = 0; i < 100_000 && System.nanoTime() < end; i++) {
            JsonNode j = json(get("/v1/images/" + id));
            String st = j.path("status").asText();
            if (!st.equals("queued") && !st.equals("running")) {
                return j;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("request " + id + " did not finish within " + LIMIT);
    }

    /** Image k's token grid, flattened, from a response with format tokens or both. */
    static int[] tokens(JsonNode response, int k) {
        JsonNode rows = response.path("images").path(k).path("tokens");
        assertTrue(rows.isArray() && !rows.isEmpty(), "image " + k + " has no tokens in " + abbreviate(response.toString()));
        int h = rows.size();
        int w = rows.get(0).size();
        int[] t = new int[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                t[y * w + x] = rows.get(y).get(x).asInt();
            }
        }
        return t;
    }

    static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    @Override
    public void close() {
        server.close();
        pipeline.close();
        registry.close();
    }
}
