package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tessera.app.DefaultPipeline;
import io.tessera.app.Tessera;
import io.tessera.core.decode.Generator;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image's tokens depend only on (pipeline, class, seed, order, sampling), never on what shares its passes:
 * 32 concurrent clients with mixed orders, seeds, classes and sampling overrides on a server with fewer
 * cache rows than images (so images join and leave running batches on reused rows) get exactly the tokens
 * that {@code tessera generate} computes for the same request.
 */
class ServeDeterminismTest {
    private static final String[] ORDERS = {"raster", "zipar:window=4", "zipar:window=8", "zipar-adaptive"};
    private static final int CLIENTS = 32;

    @TempDir
    Path tmp;

    /** Client i's request. */
    private record Client(int[] labels, int n, long seed, String order, Integer topK) {
        String body() {
            StringBuilder b = new StringBuilder("{\"class_labels\":[");
            for (int k = 0; k < labels.length; k++) {
                b.append(k == 0 ? "" : ",").append(labels[k]);
            }
            b.append("],\"n\":").append(n).append(",\"seed\":").append(seed).append(",\"order\":\"").append(order)
                    .append("\",\"format\":\"tokens\"");
            if (topK != null) {
                b.append(",\"sampling\":{\"top_k\":").append(topK).append('}');
            }
            return b.append('}').toString();
        }
    }

    private static Client client(int i) {
        int[] labels = i % 3 == 0 ? new int[] {i % 10, (i + 3) % 10} : new int[] {i % 10};
        return new Client(labels, i % 4 == 1 ? 2 : 1, 1000L + 7 * i, ORDERS[i % ORDERS.length], i % 5 == 0 ? 5 : null);
    }

    /** What {@code tessera generate --class ... --n n --seed s --order o} computes (GenerateCommand's image layout). */
    private static int[][] generate(Client c) {
        return generate(DefaultPipeline.load(), c);
    }

    private static int[][] generate(PipelineSpec ps, Client c) {
        String[] parts = c.order().split(":", 2);
        ps.replaceSection("order", parts[0]);
        if (parts.length > 1) {
            for (String kv : parts[1].split(",")) {
                ps.set("order." + kv);
            }
        }
        ps.set("sampling.seed=" + c.seed());
        if (c.topK() != null) {
            ps.set("sampling.top_k=" + c.topK());
        }
        int[] all = new int[c.labels().length * c.n()];
        for (int j = 0; j < c.n(); j++) {
            for (int k = 0; k < c.labels().length; k++) {
                all[j * c.labels().length + k] = c.labels()[k];
            }
        }
        try (PluginRegistry r = PluginRegistry.load(List.of()); Pipeline p = Pipeline.open(ps, r)) {
            Generator.Result res = p.generate(all, 16, null);
            return res.tokens();
        }
    }

    @Test
    void thirtyTwoConcurrentClientsWithMixedOrdersGetTheTokensOfGenerate() throws Exception {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(client(i));
        }
        List<JsonNode> answers = new ArrayList<>();
        try (Served s = new Served(Served.options(8, 256)); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (Client c : clients) {
                futures.add(pool.submit(() -> s.post(c.body())));
            }
            for (int i = 0; i < CLIENTS; i++) {
                HttpResponse<String> r = futures.get(i).get(Served.LIMIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), "client " + i + ": " + Served.abbreviate(r.body()));
                JsonNode j = Served.JSON.readTree(r.body());
                assertEquals("done", j.path("status").asText(), "client " + i + ": " + Served.abbreviate(r.body()));
                answers.add(j);
            }
            String metrics = s.get("/metrics").body();
            double rows = Double.parseDouble(ServeMetricsTest.value(metrics, "tessera_pass_rows_max"));
            assertTrue(rows > 2, "some passes must have shared several images (max rows per pass " + rows + ")");
        }
        for (int i = 0; i < CLIENTS; i++) {
            Client c = clients.get(i);
            int[][] expected = generate(c);
            assertEquals(expected.length, answers.get(i).path("images").size(), "client " + i + " image count");
            for (int k = 0; k < expected.length; k++) {
                assertArrayEquals(expected[k], Served.tokens(answers.get(i), k), "client " + i + " (" + c.body() + ") image " + k);
            }
        }
    }

    /** The flexible LPD-family model (ViT, position queries, linear CFG) under every order it runs, 8 clients at once. */
    @Test
    void lpdFamilyClientsWithMixedOrdersGetTheTokensOfGenerate() throws Exception {
        Path yaml = Path.of("..", "pipelines", "fmnist-lpd.yaml");
        String[] orders = {"lpd:steps=20", "random:steps=20", "raster", "zipar:window=4", "par:regions=4", "lpd:steps=32"};
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            clients.add(new Client(new int[] {(3 * i) % 10}, 1 + i % 2, 50L + i, orders[i % orders.length], null));
        }
        List<JsonNode> answers = new ArrayList<>();
        try (Served s = new Served(PipelineSpec.load(yaml), Served.options(4, 64));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (Client c : clients) {
                futures.add(pool.submit(() -> s.post(c.body())));
            }
            for (int i = 0; i < clients.size(); i++) {
                HttpResponse<String> r = futures.get(i).get(Served.LIMIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), "client " + i + ": " + Served.abbreviate(r.body()));
                JsonNode j = Served.JSON.readTree(r.body());
                assertEquals("done", j.path("status").asText(), "client " + i + ": " + Served.abbreviate(r.body()));
                answers.add(j);
            }
        }
        for (int i = 0; i < clients.size(); i++) {
            int[][] expected = generate(PipelineSpec.load(yaml), clients.get(i));
            for (int k = 0; k < expected.length; k++) {
                assertArrayEquals(expected[k], Served.tokens(answers.get(i), k), "lpd client " + i + " (" + clients.get(i).body()
                        + ") image " + k);
            }
        }
    }

    /** The same on the libtorch backend (CPU here): 6 concurrent clients, mixed orders, = generate --backend torch. */
    @Test
    void torchBackendClientsGetTheTokensOfGenerate() throws Exception {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            clients.add(new Client(new int[] {(7 * i) % 10}, 1, 300L + i, ORDERS[1 + i % (ORDERS.length - 1)], null)); // the parallel ones
        }
        PipelineSpec torch = DefaultPipeline.load();
        torch.replaceSection("backend", "torch");
        List<JsonNode> answers = new ArrayList<>();
        try (Served s = new Served(torch, Served.options(4, 64)); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (Client c : clients) {
                futures.add(pool.submit(() -> s.post(c.body())));
            }
            for (int i = 0; i < clients.size(); i++) {
                HttpResponse<String> r = futures.get(i).get(Served.LIMIT.toSeconds(), TimeUnit.SECONDS);
                JsonNode j = Served.JSON.readTree(r.body());
                assertEquals("done", j.path("status").asText(), "client " + i + ": " + Served.abbreviate(r.body()));
                answers.add(j);
            }
        }
        for (int i = 0; i < clients.size(); i++) {
            PipelineSpec ps = DefaultPipeline.load();
            ps.replaceSection("backend", "torch");
            assertArrayEquals(generate(ps, clients.get(i))[0], Served.tokens(answers.get(i), 0), "torch client " + i + " ("
                    + clients.get(i).body() + ")");
        }
    }

    @Test
    void aServedRequestEqualsTheGenerateCommandsTokensFile() throws Exception {
        Path npy = tmp.resolve("t.npy");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Tessera.run(new String[] {"generate", "--class", "1", "--class", "4", "--n", "2", "--seed", "9", "--order", "zipar",
                "--set", "order.window=4", "--out", tmp.resolve("g.png").toString(), "--tokens-out", npy.toString()},
                new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, rc, err.toString());
        byte[] all = Files.readAllBytes(npy);
        int header = (all[8] & 0xff) | (all[9] & 0xff) << 8;
        ByteBuffer body = ByteBuffer.wrap(all, 10 + header, all.length - 10 - header).order(ByteOrder.LITTLE_ENDIAN);
        try (Served s = new Served(Served.options(3, 64))) {
            // a neighbour with another order shares the passes
            s.post("{\"class_labels\":[7],\"n\":3,\"seed\":1,\"order\":\"raster\",\"response\":\"id\"}");
            HttpResponse<String> r = s.post("{\"class_labels\":[1,4],\"n\":2,\"seed\":9,\"order\":\"zipar:window=4\",\"format\":\"both\"}");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode j = Served.JSON.readTree(r.body());
            assertEquals(4, j.path("images").size());
            for (int k = 0; k < 4; k++) {
                int[] expected = new int[256];
                for (int c = 0; c < 256; c++) {
                    expected[c] = body.getInt();
                }
                assertArrayEquals(expected, Served.tokens(j, k), "image " + k + " vs tessera generate --tokens-out");
                assertTrue(j.path("images").path(k).path("png").asText().startsWith("iVBOR"), "image " + k + " carries a PNG");
            }
        }
    }
}
