package io.tessera.app.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.tessera.core.TesseraException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.plugin.PluginRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code tessera serve}: the HTTP API over one {@link Scheduler}. Javalin 7 (Jetty 12) with virtual
 * threads: every request handler may block (a {@code response: b64} request waits for its images) without
 * tying up a platform thread; JSON with Jackson; metrics with Micrometer's Prometheus registry.
 *
 * <pre>
 *   POST   /v1/images             {class_labels, n, seed, order, sampling, format, response, deadline_ms}
 *   GET    /v1/images/{id}        status and, when done, the images
 *   DELETE /v1/images/{id}        cancel
 *   GET    /v1/images/{id}/events SSE: pass (cells + tokens of the pass), image, done
 *   GET    /v1/info               model, grid, classes, orders (for the gallery)
 *   GET    /healthz, /readyz, /metrics, /  (gallery)
 * </pre>
 * Errors are one JSON object {@code {"error": ..., "field": ...}}; no stack trace ever reaches a client.
 * A {@code response: b64} request answers 200 at once with {@code X-Image-Id}, keeps the connection
 * alive with JSON whitespace while its images decode, and cancels them when the client goes away.
 */
public final class ImageServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HEARTBEAT_MS = 100;
    private static final int KEEP_FINISHED = 4096;

    private final Pipeline pipeline;
    private final ServeOptions options;
    private final ServeMetrics metrics = new ServeMetrics();
    private final Scheduler scheduler;
    private final ImageRequest.Defaults defaults;
    private final Map<String, ImageJob> jobs = new LinkedHashMap<>();
    private final Javalin app;
    private final byte[] gallery;

    public ImageServer(Pipeline pipeline, PluginRegistry registry, ServeOptions options) {
        this.pipeline = pipeline;
        this.options = options;
        ConfigNode orderNode = pipeline.orderOptions();
        this.defaults = new ImageRequest.Defaults(pipeline.adapter(), registry, pipeline.order(), orderNode,
                orderLabel(orderNode), pipeline.sampling(), options);
        this.gallery = resource("gallery.html");
        this.scheduler = new Scheduler(pipeline, options, metrics);
        this.app = Javalin.create(config -> {
            config.jetty.host = options.host();
            config.jetty.port = options.port();
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.routes.post("/v1/images", this::create);
            config.routes.get("/v1/images/{id}", this::get);
            config.routes.delete("/v1/images/{id}", this::cancel);
            config.routes.sse("/v1/images/{id}/events", this::events);
            config.routes.get("/v1/info", this::info);
            config.routes.get("/healthz", ctx -> json(ctx, 200, obj().put("status", "ok")));
            config.routes.get("/readyz", ctx -> json(ctx, scheduler.ready() ? 200 : 503,
                    obj().put("status", scheduler.ready() ? "ready" : "not ready")));
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
            config.routes.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(gallery));
            config.routes.exception(Exception.class, (e, ctx) -> json(ctx, 500, obj().put("error", "internal error")));
            config.routes.error(404, ctx -> {
                if (!ctx.res().isCommitted() && (ctx.result() == null || !ctx.result().startsWith("{"))) {
                    json(ctx, 404, obj().put("error", "no such resource: " + ctx.method() + " " + ctx.path()));
                }
            });
            config.routes.error(405, ctx -> json(ctx, 405, obj().put("error", "method not allowed: " + ctx.method() + " " + ctx.path())));
        });
    }

    /** Starts listening; returns this. */
    public ImageServer start() {
        app.start();
        return this;
    }

    /** The port it listens on (the ephemeral one when started with port 0). */
    public int port() {
        return app.port();
    }

    ServeMetrics metrics() {
        return metrics;
    }

    /** The request with this id, or null (tests). */
    ImageJob job(String id) {
        synchronized (jobs) {
            return jobs.get(id);
        }
    }

    private static String orderLabel(ConfigNode n) {
        StringBuilder b = new StringBuilder(n.string("name", "raster"));
        String sep = ":";
        for (var e : n.raw().entrySet()) {
            if (!e.getKey().equals("name")) {
                b.append(sep).append(e.getKey()).append('=').append(e.getValue());
                sep = ",";
            }
        }
        return b.toString();
    }

    // ---- handlers ----

    private void create(Context ctx) throws IOException {
        ImageRequest req;
        try {
            JsonNode body;
            try {
                body = JSON.readTree(ctx.bodyAsBytes());
            } catch (JsonProcessingException e) {
                throw new BadRequest("body", "is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            req = ImageRequest.parse(body, defaults);
        } catch (BadRequest e) {
            metrics.badRequest();
            json(ctx, 400, obj().put("error", e.getMessage()).put("field", e.field()));
            return;
        }
        ImageJob job = new ImageJob(UUID.randomUUID().toString(), req, System.nanoTime());
        if (!scheduler.ready()) {
            json(ctx, 503, obj().put("error", "the server is shutting down"));
            return;
        }
        synchronized (jobs) {
            jobs.put(job.id, job);
        }
        if (!scheduler.submit(job)) {
            synchronized (jobs) {
                jobs.remove(job.id);
            }
            metrics.rejected();
            long retry = scheduler.retryAfterSeconds();
            ctx.header("Retry-After", Long.toString(retry));
            json(ctx, 429, obj().put("error", "queue full: " + scheduler.queuedImages() + " images waiting (max-queue "
                    + options.maxQueue() + "); retry after " + retry + " s"));
            return;
        }
        evictFinished();
        ctx.header("X-Image-Id", job.id);
        ctx.header("Location", "/v1/images/" + job.id);
        if (!req.inline()) {
            json(ctx, 202, describe(job, false));
            return;
        }
        // response: b64 — commit 200 now, keep the connection alive with whitespace, cancel if the client leaves
        ctx.status(200);
        ctx.contentType("application/json");
        OutputStream out = ctx.res().getOutputStream();
        try {
            out.write(' ');
            out.flush();
            while (true) {
                try {
                    job.done.get(HEARTBEAT_MS, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    out.write(' ');
                    out.flush();
                }
            }
            out.write(JSON.writeValueAsBytes(describe(job, true)));
            out.flush();
        } catch (IOException e) {
            cancelJob(job, "client disconnected");
        } catch (InterruptedException e) {
            cancelJob(job, "server interrupted");
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            cancelJob(job, "internal error");
        }
    }

    private void get(Context ctx) {
        ImageJob job = job(ctx);
        if (job != null) {
            json(ctx, 200, describe(job, true));
        }
    }

    private void cancel(Context ctx) {
        ImageJob job = job(ctx);
        if (job != null) {
            cancelJob(job, "cancelled by the client");
            json(ctx, 200, describe(job, false));
        }
    }

    private void cancelJob(ImageJob job, String why) {
        if (job.finish(ImageJob.Status.CANCELLED, why)) {
            metrics.finished(job);
        }
        scheduler.poke();
    }

    private void events(SseClient client) {
        String id = client.ctx().pathParam("id");
        ImageJob job;
        synchronized (jobs) {
            job = jobs.get(id);
        }
        if (job == null) {
            client.sendEvent("error", "{\"error\":\"no image request with id " + id.replaceAll("[^A-Za-z0-9-]", "?") + "\"}");
            return;
        }
        boolean cancelOnClose = "true".equals(client.ctx().queryParam("cancel_on_close"));
        int from = 0;
        try {
            while (true) {
                List<ImageJob.Event> evs = job.eventsFrom(from, 250);
                for (ImageJob.Event e : evs) {
                    client.sendEvent(e.type(), e.json());
                }
                from += evs.size();
                if (evs.isEmpty()) {
                    if (job.status().terminal()) {
                        ObjectNode done = obj().put("type", "done").put("status", job.status().json());
                        if (job.error() != null) {
                            done.put("error", job.error());
                        }
                        client.sendEvent("done", JSON.writeValueAsString(done));
                        return;
                    }
                    client.sendComment("keep-alive");
                }
                if (client.terminated()) {
                    if (cancelOnClose) {
                        cancelJob(job, "event stream closed");
                    }
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void info(Context ctx) {
        ObjectNode o = obj();
        o.put("family", pipeline.model().family());
        o.put("grid", pipeline.adapter().grid().height());
        o.put("classes", pipeline.model().numClasses());
        o.put("image_size", pipeline.imageSize());
        o.put("default_order", defaults.orderLabel());
        o.put("max_batch", options.maxBatch());
        ArrayNode orders = o.putArray("orders");
        defaults.registry().orders().values().stream()
                .filter(ord -> {
                    try {
                        pipeline.adapter().checkOrder(ord, ord.plan(pipeline.adapter().grid(), ConfigNode.empty("order"), 0));
                        return true;
                    } catch (TesseraException e) {
                        return false;
                    }
                })
                .map(ord -> ord.name()).sorted().forEach(orders::add);
        json(ctx, 200, o);
    }

    // ---- helpers ----

    private ImageJob job(Context ctx) {
        String id = ctx.pathParam("id");
        ImageJob job;
        synchronized (jobs) {
            job = jobs.get(id);
        }
        if (job == null) {
            json(ctx, 404, obj().put("error", "no image request with id " + id.replaceAll("[^A-Za-z0-9-]", "?")).put("field", "id"));
        }
        return job;
    }

    private ObjectNode describe(ImageJob job, boolean withImages) {
        ImageRequest r = job.request;
        ObjectNode o = obj();
        o.put("id", job.id);
        ImageJob.Status st = job.status();
        o.put("status", st.json());
        if (job.error() != null) {
            o.put("error", job.error());
        }
        o.put("order", r.orderLabel());
        o.put("seed", r.seed());
        o.put("n", r.n());
        ArrayNode labels = o.putArray("class_labels");
        for (int c : r.labels()) {
            labels.add(c);
        }
        o.put("images_total", r.images());
        o.put("images_done", job.imagesDone());
        if (withImages && st == ImageJob.Status.DONE) {
            ArrayNode images = o.putArray("images");
            int h = pipeline.adapter().grid().height();
            int w = pipeline.adapter().grid().width();
            for (int k = 0; k < r.images(); k++) {
                ObjectNode im = images.addObject();
                im.put("index", k);
                im.put("class", r.classes()[k]);
                im.put("passes", job.passes(k));
                if (r.format().png()) {
                    im.put("png", Base64.getEncoder().encodeToString(job.png(k)));
                }
                if (r.format().tokens()) {
                    int[] t = job.tokens(k);
                    ArrayNode rows = im.putArray("tokens");
                    for (int y = 0; y < h; y++) {
                        ArrayNode row = rows.addArray();
                        for (int x = 0; x < w; x++) {
                            row.add(t[y * w + x]);
                        }
                    }
                }
            }
        }
        return o;
    }

    private void evictFinished() {
        synchronized (jobs) {
            if (jobs.size() <= KEEP_FINISHED) {
                return;
            }
            var it = jobs.values().iterator();
            while (jobs.size() > KEEP_FINISHED && it.hasNext()) {
                if (it.next().status().terminal()) {
                    it.remove();
                }
            }
        }
    }

    private static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = ImageServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new TesseraException("serve: resource " + name + " missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new TesseraException("serve: cannot read resource " + name + ": " + e.getMessage(), e);
        }
    }

    /** Graceful stop: refuse new requests (readyz 503), finish every accepted image, then close the listener. */
    @Override
    public void close() {
        try {
            scheduler.drain(120_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler.close();
        app.stop();
    }

}
