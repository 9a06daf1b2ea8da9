package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Overload, cancellation, deadlines, events and graceful shutdown of a real server on a loopback port. */
class ServeApiTest {

    @Test
    void overloadAnswers429WithRetryAfterAndLosesNoAcceptedRequest() throws Exception {
        int clients = 24;
        try (Served s = new Served(Served.options(2, 4)); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int c = i % 10;
                fs.add(pool.submit(() -> s.post("{\"class_labels\":[" + c + "],\"seed\":" + c + ",\"response\":\"id\"}")));
            }
            List<String> accepted = new ArrayList<>();
            int refused = 0;
            for (Future<HttpResponse<String>> f : fs) {
                HttpResponse<String> r = f.get(Served.LIMIT.toSeconds(), TimeUnit.SECONDS);
                if (r.statusCode() == 429) {
                    refused++;
                    long retry = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow(() -> new AssertionError("429 without Retry-After")));
                    assertTrue(retry >= 1, "Retry-After " + retry);
                    assertTrue(Served.json(r).path("error").asText().contains("queue full"), r.body());
                } else {
                    assertEquals(202, r.statusCode(), r.body());
                    accepted.add(Served.json(r).path("id").asText());
                }
            }
            assertTrue(refused > 0, "a queue of 4 images must refuse some of " + clients + " simultaneous requests");
            assertTrue(accepted.size() >= 4, "at least the queue's worth is accepted, got " + accepted.size());
            for (String id : accepted) {
                JsonNode done = s.await(id);
                assertEquals("done", done.path("status").asText(), "accepted request " + id + " must complete: " + done);
                assertTrue(done.path("images").path(0).path("png").asText().length() > 100);
            }
            String m = s.get("/metrics").body();
            assertEquals((double) refused, Double.parseDouble(ServeMetricsTest.value(m, "tessera_requests_rejected_total")));
            assertEquals((double) accepted.size(), Double.parseDouble(ServeMetricsTest.value(m, "tessera_images_total")));
        }
    }

    @Test
    void deleteCancelsARunningRequestAndFreesItsRows() throws Exception {
        try (Served s = new Served(Served.options(2, 64))) {
            String id = Served.json(s.post("{\"class_labels\":[1,2],\"n\":8,\"response\":\"id\"}")).path("id").asText();
            waitFor(s, id, "running");
            JsonNode c = Served.json(s.delete("/v1/images/" + id));
            assertEquals("cancelled", c.path("status").asText(), c.toString());
            JsonNode end = s.await(id);
            assertEquals("cancelled", end.path("status").asText());
            assertTrue(end.path("images_done").asInt() < 16, "cancelled before all 16 images: " + end);
            // its rows are free again: a new request completes
            HttpResponse<String> next = s.post("{\"class_labels\":[3],\"order\":\"zipar:window=8\"}");
            assertEquals("done", Served.json(next).path("status").asText(), next.body());
            assertEquals(404, s.delete("/v1/images/no-such-id").statusCode());
        }
    }

    @Test
    void aClientThatDisconnectsCancelsItsImages() throws Exception {
        try (Served s = new Served(Served.options(2, 64))) {
            String body = "{\"class_labels\":[0,1,2,3],\"n\":4,\"response\":\"b64\"}";
            String id;
            try (Socket sock = new Socket(InetAddress.getLoopbackAddress(), s.server.port())) {
                sock.setSoTimeout(30_000);
                OutputStream o = sock.getOutputStream();
                o.write(("POST /v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                o.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.US_ASCII));
                String status = in.readLine();
                assertTrue(status.startsWith("HTTP/1.1 200"), status);
                id = null;
                for (int i = 0; i < 50; i++) {
                    String h = in.readLine();
                    if (h == null || h.isEmpty()) {
                        break;
                    }
                    if (h.toLowerCase(java.util.Locale.ROOT).startsWith("x-image-id:")) {
                        id = h.substring(h.indexOf(':') + 1).trim();
                    }
                }
                assertTrue(id != null, "the 200 carries X-Image-Id");
                waitFor(s, id, "running");
            } // the client goes away mid-generation
            JsonNode end = s.await(id);
            assertEquals("cancelled", end.path("status").asText(), end.toString());
            assertEquals("client disconnected", end.path("error").asText());
            assertTrue(end.path("images_done").asInt() < 16, end.toString());
            String m = s.get("/metrics").body();
            assertTrue(m.contains("tessera_requests_total{status=\"cancelled\"} 1.0"), Served.abbreviate(m));
        }
    }

    @Test
    void aRequestPastItsDeadlineExpires() throws Exception {
        try (Served s = new Served(Served.options(1, 64))) {
            JsonNode r = Served.json(s.post("{\"class_labels\":[5],\"n\":6,\"deadline_ms\":50}"));
            assertEquals("expired", r.path("status").asText(), r.toString());
            assertTrue(r.path("error").asText().contains("deadline"), r.toString());
        }
    }

    @Test
    void eventsStreamEveryPassThenTheImageThenDone() throws Exception {
        try (Served s = new Served(Served.options(2, 16))) {
            String id = Served.json(s.post("{\"class_labels\":[8],\"order\":\"zipar:window=4\",\"response\":\"id\"}")).path("id").asText();
            HttpResponse<java.util.stream.Stream<String>> r = s.http.send(HttpRequest.newBuilder(s.uri("/v1/images/" + id + "/events"))
                    .header("Accept", "text/event-stream").timeout(Served.LIMIT).GET().build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, r.statusCode());
            List<String> data = r.body().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).limit(200).toList();
            int passes = 0;
            boolean[] seen = new boolean[256];
            for (String d : data) {
                JsonNode e = Served.JSON.readTree(d);
                if (e.path("type").asText().equals("pass")) {
                    passes++;
                    assertEquals(passes, e.path("pass").asInt());
                    for (JsonNode c : e.path("cells")) {
                        assertFalse(seen[c.asInt()], "cell " + c + " sent twice");
                        seen[c.asInt()] = true;
                    }
                }
            }
            assertEquals(88, passes, "zipar w=4: 88 passes, one event each");
            for (int c = 0; c < 256; c++) {
                assertTrue(seen[c], "cell " + c + " never streamed");
            }
            assertEquals("image", Served.JSON.readTree(data.get(data.size() - 2)).path("type").asText());
            JsonNode done = Served.JSON.readTree(data.get(data.size() - 1));
            assertEquals("done", done.path("type").asText());
            assertEquals("done", done.path("status").asText());
        }
    }

    @Test
    void shutdownFinishesAcceptedImagesAndThenRefuses() throws Exception {
        Served s = new Served(Served.options(2, 64));
        String running;
        String queued;
        java.net.URI health = s.uri("/healthz");
        try {
            running = Served.json(s.post("{\"class_labels\":[4,6],\"response\":\"id\"}")).path("id").asText();
            queued = Served.json(s.post("{\"class_labels\":[1,2],\"n\":2,\"response\":\"id\"}")).path("id").asText();
            waitFor(s, running, "running");
        } finally {
            s.close(); // graceful: drains, then closes the listener
        }
        for (String id : new String[] {running, queued}) {
            ImageJob job = s.server.job(id);
            assertEquals(ImageJob.Status.DONE, job.status(), "accepted request " + id + " finished during shutdown: " + job.error());
            assertEquals(job.request.images(), job.imagesDone());
        }
        try {
            s.http.send(HttpRequest.newBuilder(health).timeout(Served.LIMIT).GET().build(), HttpResponse.BodyHandlers.ofString());
            throw new AssertionError("the server still answers after close");
        } catch (java.io.IOException expected) {
            // connection refused: the listener is closed
        }
    }

    private static void waitFor(Served s, String id, String status) throws Exception {
        long end = System.nanoTime() + Served.LIMIT.toNanos();
        for (int i = 0; i < 100_000 && System.nanoTime() < end; i++) {
            String st = Served.json(s.get("/v1/images/" + id)).path("status").asText();
            if (st.equals(status)) {
                return;
            }
            assertFalse(st.equals("done") || st.equals("failed"), "request " + id + " became " + st + " before " + status);
            Thread.sleep(5);
        }
        throw new AssertionError("request " + id + " never became " + status);
    }
}
