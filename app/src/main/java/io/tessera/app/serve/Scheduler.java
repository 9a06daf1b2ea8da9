package io.tessera.app.serve;

import io.tessera.core.decode.FamilyAdapter;
import io.tessera.core.decode.ImageDecode;
import io.tessera.core.decode.PassBuilder;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.Group;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Iteration-level (continuous) batching: ONE thread owns the backend session, whose cache has
 * {@code 2·maxBatch} rows (image slot j uses row j for its conditional and row maxBatch + j for its
 * unconditional sequence). Between two forward passes it
 * <ol>
 *   <li>retires images whose request was cancelled or ran past its deadline (their slots become free);</li>
 *   <li>admits waiting images into free slots (clearing the slot's rows), each with its own plan, order,
 *       sampling and RNG stream ({@link ImageDecode}, seeded as {@code tessera generate} seeds image k);</li>
 *   <li>plans every active image; the finished ones are retired at once and handed to the finisher thread,
 *       which VQ-decodes them, encodes the PNGs and completes their requests while the scheduler goes on with
 *       the next pass. It completes each image as soon as its own PNG is ready, not after the whole group: when
 *       many clients' images finish at the same pass, the first client can send its next request after one
 *       decode instead of all of them, so the scheduler is not left idle meanwhile;</li>
 *   <li>runs one forward over the entries of every active image ({@link PassBuilder}) and lets each image
 *       guide, sample and commit its own cells.</li>
 * </ol>
 * An image's tokens therefore depend only on its own request, never on its neighbours.
 */
final class Scheduler implements AutoCloseable {
    /** One image of a job while it waits or runs. */
    private static final class Task {
        final ImageJob job;
        final int index;
        ImageDecode decode;
        int slot = -1;

        Task(ImageJob job, int index) {
            this.job = job;
            this.index = index;
        }
    }

    private final Pipeline pipeline;
    private final FamilyAdapter adapter;
    private final GptSession session;
    private final PassBuilder builder;
    private final ServeOptions options;
    private final ServeMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Task> queue = new ArrayDeque<>();
    private final Task[] slots;
    private final Thread thread;
    /** VQ decode, PNG encoding and completion of finished images, in the order they finished; only it uses the decoder. */
    private final ExecutorService finisher = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("tessera-finisher").daemon(true).unstarted(r));
    /** PNG encoding of finished images; used on the finisher thread only. */
    private final PngEncoder pngEncoder = new PngEncoder();
    private volatile boolean draining;
    private volatile boolean stopped;
    private volatile String fatal;
    private int queuedImages;   // guarded by lock
    private volatile int running;

    Scheduler(Pipeline pipeline, ServeOptions options, ServeMetrics metrics) {
        this.pipeline = pipeline;
        this.adapter = pipeline.adapter();
        this.session = pipeline.session();
        this.builder = new PassBuilder(adapter);
        this.options = options;
        this.metrics = metrics;
        this.slots = new Task[options.maxBatch()];
        session.reset(2 * options.maxBatch(), builder.capacity());
        metrics.bind(this);
        this.thread = Thread.ofPlatform().name("tessera-scheduler").daemon(true).unstarted(this::loop);
        thread.start();
    }

    /** Queues every image of {@code job}; false (nothing queued) when the queue cannot take them all or the server drains. */
    boolean submit(ImageJob job) {
        lock.lock();
        try {
            if (draining || stopped || queuedImages + job.request.images() > options.maxQueue()) {
                return false;
            }
            for (int k = 0; k < job.request.images(); k++) {
                queue.add(new Task(job, k));
            }
            queuedImages += job.request.images();
            work.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Drops the waiting images of ended jobs and wakes the scheduler, so a cancelled job leaves its rows at the next pass. */
    void poke() {
        lock.lock();
        try {
            int before = queue.size();
            queue.removeIf(t -> t.job.status().terminal());
            queuedImages -= before - queue.size();
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int queuedImages() {
        lock.lock();
        try {
            return queuedImages;
        } finally {
            lock.unlock();
        }
    }

    int runningImages() {
        return running;
    }

    boolean ready() {
        return !draining && !stopped && fatal == null && thread.isAlive();
    }

    /** Seconds a client should wait before retrying a refused request: the queue ahead drained at the measured rate. */
    long retryAfterSeconds() {
        double perImage = metrics.meanImageSeconds();
        double est = perImage <= 0 ? 1 : queuedImages() * perImage / Math.max(1, options.maxBatch());
        return Math.max(1, (long) Math.ceil(est));
    }

    private void loop() {
        try {
            while (true) {
                List<Task> admitted = new ArrayList<>();
                lock.lock();
                try {
                    while (queue.isEmpty() && activeCount() == 0) {
                        if (draining) {
                            return;
                        }
                        work.await(100, TimeUnit.MILLISECONDS);
                    }
                    if (activeCount() == 0 && options.maxWaitMs() > 0 && queue.size() < slots.length) {
                        // idle → first pass: give concurrent arrivals a moment to share it
                        long until = System.nanoTime() + options.maxWaitMs() * 1_000_000L;
                        long left;
                        while (queue.size() < slots.length && (left = until - System.nanoTime()) > 0) {
                            work.awaitNanos(left);
                        }
                    }
                    for (int j = 0; j < slots.length && !queue.isEmpty(); j++) {
                        if (slots[j] != null) {
                            continue;
                        }
                        Task t = queue.poll();
                        queuedImages--;
                        if (t.job.status().terminal()) {
                            j--; // its job ended while it waited: the slot stays free for the next one
                            continue;
                        }
                        t.slot = j;
                        slots[j] = t;
                        admitted.add(t);
                    }
                } finally {
                    lock.unlock();
                }
                step(admitted);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            fatal = e.toString();
            failAll("internal error in the scheduler");
            throw e;
        } finally {
            // every image handed to the finisher completes before the server reports itself stopped
            finisher.shutdown();
            try {
                if (!finisher.awaitTermination(10, TimeUnit.MINUTES)) {
                    finisher.shutdownNow();
                }
            } catch (InterruptedException e) {
                finisher.shutdownNow();
                Thread.currentThread().interrupt();
            }
            if (finisher.isTerminated()) {
                pngEncoder.close();
            }
            stopped = true;
            failAll("server stopped");
        }
    }

    /** One iteration: admit, retire, plan, decode finished images, one forward pass, guide/sample/commit. */
    private void step(List<Task> admitted) {
        for (Task t : admitted) {
            session.clearRow(t.slot);
            session.clearRow(slots.length + t.slot);
            ImageRequest r = t.job.request;
            t.decode = new ImageDecode(adapter, r.order(), r.orderOptions(), r.sampling(), r.classes()[t.index], t.index);
            t.job.running();
        }
        long now = System.nanoTime();
        List<Task> finished = new ArrayList<>();
        List<PassBuilder.Member> members = new ArrayList<>();
        List<Task> memberTasks = new ArrayList<>();
        for (int j = 0; j < slots.length; j++) {
            Task t = slots[j];
            if (t == null) {
                continue;
            }
            if (now > t.job.deadlineNanos && t.job.finish(ImageJob.Status.EXPIRED, "deadline of " + t.job.request.deadlineMs() + " ms passed")) {
                metrics.finished(t.job);
            }
            if (t.job.status().terminal()) {
                slots[j] = null;
                continue;
            }
            try {
                if (!t.decode.plan()) {
                    finished.add(t);
                    slots[j] = null;
                    continue;
                }
                members.add(new PassBuilder.Member(t.decode.inputs(), j, t.decode.usesCfg() ? slots.length + j : -1));
                memberTasks.add(t);
            } catch (RuntimeException e) {
                slots[j] = null;
                if (t.job.finish(ImageJob.Status.FAILED, e.getMessage())) {
                    metrics.finished(t.job);
                }
            }
        }
        running = memberTasks.size();
        if (!finished.isEmpty()) {
            finisher.execute(() -> complete(finished));
        }
        PassBuilder.Pass pass = builder.build(members);
        if (pass == null) {
            return;
        }
        long t0 = System.nanoTime();
        float[] logits = session.forward(pass.batch());
        metrics.pass(pass.batch().rows(), System.nanoTime() - t0);
        for (int k = 0; k < memberTasks.size(); k++) {
            Task t = memberTasks.get(k);
            Group g = t.decode.group();
            try {
                t.decode.finishPass(logits, pass.length(), pass.condRow()[k], pass.uncondRow()[k], null);
            } catch (RuntimeException e) {
                slots[t.slot] = null;
                if (t.job.finish(ImageJob.Status.FAILED, e.getMessage())) {
                    metrics.finished(t.job);
                }
                continue;
            }
            int[] tokens = t.decode.tokens();
            StringBuilder b = new StringBuilder(64 + 12 * g.size());
            b.append("{\"type\":\"pass\",\"image\":").append(t.index).append(",\"pass\":").append(t.decode.passes())
                    .append(",\"tokens_done\":").append(t.decode.generated()).append(",\"tokens_total\":").append(tokens.length)
                    .append(",\"cells\":[");
            for (int i = 0; i < g.size(); i++) {
                b.append(i == 0 ? "" : ",").append(g.cell(i));
            }
            b.append("],\"tokens\":[");
            for (int i = 0; i < g.size(); i++) {
                b.append(i == 0 ? "" : ",").append(tokens[g.cell(i)]);
            }
            t.job.event("pass", b.append("]}").toString());
        }
    }

    /**
     * On the finisher thread: completes the images that finished at one pass, each as soon as its own result
     * is ready (tokens-only images first, then one VQ decode and PNG per picture), so that a client whose
     * image is done gets it, and can send its next request, while its neighbours are still being decoded;
     * a failure fails that image's request, naming it.
     */
    private void complete(List<Task> finished) {
        for (Task t : finished) {
            if (!t.job.request.format().png()) {
                completeOne(t);
            }
        }
        for (Task t : finished) {
            if (t.job.request.format().png()) {
                completeOne(t);
            }
        }
    }

    private void completeOne(Task t) {
        try {
            byte[] png = null;
            if (t.job.request.format().png()) {
                if (t.job.status().terminal()) {
                    return; // cancelled or expired while it waited for the decoder
                }
                float[] image = pipeline.decode(new int[][] {t.decode.tokens()});
                png = pngEncoder.encode(io.tessera.core.io.Images.grid(image, 1, 3, pipeline.imageSize(), 1, 1, 0xffffff));
            }
            metrics.image(t.job);
            t.job.event("image", "{\"type\":\"image\",\"image\":" + t.index + ",\"passes\":" + t.decode.passes() + "}");
            if (t.job.imageDone(t.index, t.decode.tokens(), png, t.decode.passes())) {
                metrics.finished(t.job);
            }
        } catch (RuntimeException | Error e) {
            if (t.job.finish(ImageJob.Status.FAILED, "internal error while decoding the image: " + e)) {
                metrics.finished(t.job);
            }
        }
    }

    private int activeCount() {
        int n = 0;
        for (Task t : slots) {
            if (t != null) {
                n++;
            }
        }
        return n;
    }

    private void failAll(String why) {
        lock.lock();
        try {
            for (Task t : queue) {
                if (t.job.finish(ImageJob.Status.FAILED, why)) {
                    metrics.finished(t.job);
                }
            }
            queue.clear();
            queuedImages = 0;
            for (int j = 0; j < slots.length; j++) {
                if (slots[j] != null && slots[j].job.finish(ImageJob.Status.FAILED, why)) {
                    metrics.finished(slots[j].job);
                }
                slots[j] = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops admitting new requests, finishes every accepted image (queued or running), then stops. */
    void drain(long timeoutMs) throws InterruptedException {
        draining = true;
        poke();
        thread.join(timeoutMs);
    }

    @Override
    public void close() {
        draining = true;
        poke();
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
    }

    String fatal() {
        return fatal;
    }
}
