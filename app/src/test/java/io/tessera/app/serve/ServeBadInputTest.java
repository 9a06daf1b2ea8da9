package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed request is a 400 with one JSON error naming the field; nothing is queued; no stack trace. */
class ServeBadInputTest {
    private static Served served;

    @BeforeAll
    static void start() {
        served = new Served(Served.options(2, 8));
    }

    @AfterAll
    static void stop() {
        served.close();
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of("not json at all", "body"),
                Arguments.of("[1, 2]", "body"),
                Arguments.of("{}", "class_labels"),
                Arguments.of("{\"class_labels\": 3}", "class_labels"),
                Arguments.of("{\"class_labels\": []}", "class_labels"),
                Arguments.of("{\"class_labels\": [1, \"two\"]}", "class_labels[1]"),
                Arguments.of("{\"class_labels\": [1.5]}", "class_labels[0]"),
                Arguments.of("{\"class_labels\": [10]}", "class_labels[0]"),
                Arguments.of("{\"class_labels\": [-1]}", "class_labels[0]"),
                Arguments.of("{\"class_labels\": [1], \"n\": 0}", "n"),
                Arguments.of("{\"class_labels\": [1], \"n\": \"3\"}", "n"),
                Arguments.of("{\"class_labels\": [1], \"n\": 65}", "n"),
                Arguments.of("{\"class_labels\": [1, 2, 3], \"n\": 3}", "n"), // 9 images > this server's queue of 8
                Arguments.of("{\"class_labels\": [1], \"seed\": \"abc\"}", "seed"),
                Arguments.of("{\"class_labels\": [1], \"seed\": 1.5}", "seed"),
                Arguments.of("{\"class_labels\": [1], \"colour\": \"red\"}", "colour"),
                Arguments.of("{\"class_labels\": [1], \"order\": 4}", "order"),
                Arguments.of("{\"class_labels\": [1], \"order\": \"spiral\"}", "order"),
                Arguments.of("{\"class_labels\": [1], \"order\": \"zipar:window=1\"}", "order.window"),
                Arguments.of("{\"class_labels\": [1], \"order\": \"zipar:window\"}", "order"),
                Arguments.of("{\"class_labels\": [1], \"order\": \"lpd\"}", "order.name"),
                Arguments.of("{\"class_labels\": [1], \"order\": \"zipar:colour=3\"}", "order.colour"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": 2}", "sampling"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"temperature\": -1}}", "sampling.temperature"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"temperature\": \"hot\"}}", "sampling.temperature"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"top_k\": -2}}", "sampling.top_k"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"top_k\": 2.5}}", "sampling.top_k"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"top_p\": 0}}", "sampling.top_p"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"top_p\": 1.5}}", "sampling.top_p"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"cfg_scale\": -3}}", "sampling.cfg_scale"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"cfg_schedule\": \"cosine\"}}", "sampling.cfg_schedule"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"cfg_interval\": -5}}", "sampling.cfg_interval"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"greedy\": \"yes\"}}", "sampling.greedy"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"seed\": 3}}", "sampling.seed"),
                Arguments.of("{\"class_labels\": [1], \"sampling\": {\"warmth\": 3}}", "sampling.warmth"),
                Arguments.of("{\"class_labels\": [1], \"format\": \"jpeg\"}", "format"),
                Arguments.of("{\"class_labels\": [1], \"response\": \"email\"}", "response"),
                Arguments.of("{\"class_labels\": [1], \"deadline_ms\": 0}", "deadline_ms"),
                Arguments.of("{\"class_labels\": [1], \"deadline_ms\": \"soon\"}", "deadline_ms"));
    }

    @ParameterizedTest(name = "{1}: {0}")
    @MethodSource("badRequests")
    void isA400NamingTheField(String body, String field) throws Exception {
        HttpResponse<String> r = served.post(body);
        assertEquals(400, r.statusCode(), body + " → " + r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode j = Served.json(r);
        assertEquals(field, j.path("field").asText(), body + " → " + r.body());
        String error = j.path("error").asText();
        assertTrue(error.startsWith(field + ": "), "the message names the field first: " + error);
        assertFalse(error.contains("\n") || error.contains("Exception") || error.contains("\tat "), "one line, no stack trace: " + error);
        int keys = 0;
        for (Iterator<String> it = j.fieldNames(); it.hasNext(); it.next()) {
            keys++;
        }
        assertEquals(2, keys, "exactly {error, field}: " + r.body());
    }

    @Test
    void nothingWasQueuedAndUnknownRoutesAreJson404s() throws Exception {
        String m = served.get("/metrics").body();
        assertEquals(0.0, Double.parseDouble(ServeMetricsTest.value(m, "tessera_passes_total")));
        HttpResponse<String> r = served.get("/v1/nothing");
        assertEquals(404, r.statusCode());
        assertTrue(Served.json(r).path("error").asText().contains("/v1/nothing"), r.body());
        HttpResponse<String> g = served.get("/v1/images/missing");
        assertEquals(404, g.statusCode());
        assertEquals("id", Served.json(g).path("field").asText());
    }
}
