package io.tessera.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool that runs one range-parallel loop at a time. {@code [0, n)} is cut into a fixed
 * set of contiguous chunks (a few per thread); the caller and the workers take chunks from a shared
 * counter, so a descheduled worker (the CPU is shared) does not stall the loop. Work is split over
 * independent outputs only (never inside one reduction), and each output is computed by the same
 * code whichever thread runs it, so results do not depend on the thread count or on scheduling.
 * Workers are daemon threads owned by one session; {@link #close()} stops them.
 */
final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Chunks per thread: enough for load balance, few enough to keep the counter cheap. */
    private static final int CHUNKS_PER_THREAD = 4;
    /** Busy-wait iterations before yielding, and yields before parking. */
    private static final int SPINS = 2_000;
    private static final int YIELDS = 50;

    /** One loop: its chunks, the next chunk to take and how many are finished. */
    private static final class Task {
        final Range body;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final Thread caller;
        volatile Throwable failure;

        Task(Range body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
        }

        /** Takes and runs chunks until none is left. */
        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    int from = (int) ((long) n * c / chunks);
                    int to = (int) ((long) n * (c + 1) / chunks);
                    body.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                if (done.incrementAndGet() == chunks) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Task current;
    private volatile boolean closed;

    Parallel(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).unstarted(this::workerLoop);
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code r} over {@code [0, n)} split into contiguous chunks spread over the threads. */
    void range(int n, Range r) {
        if (closed) {
            throw new IllegalStateException("cpu-vector: session is closed");
        }
        if (threads == 1 || n <= 1) {
            r.run(0, n);
            return;
        }
        Task task = new Task(r, n, Math.min(n, threads * CHUNKS_PER_THREAD), Thread.currentThread());
        current = task;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        task.work();
        int spins = 0;
        while (task.done.get() != task.chunks) {
            spins = backOff(spins);
        }
        Throwable t = task.failure;
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    private void workerLoop() {
        Task seen = null;
        while (true) {
            int spins = 0;
            Task task;
            while ((task = current) == seen && !closed) {
                spins = backOff(spins);
            }
            if (closed) {
                return;
            }
            seen = task;
            task.work();
        }
    }

    /** One wait step: spin, then yield, then park (woken by unpark). */
    private int backOff(int spins) {
        if (spins < SPINS) {
            Thread.onSpinWait();
        } else if (spins < SPINS + YIELDS) {
            Thread.yield();
        } else {
            LockSupport.park(this);
        }
        return spins + 1;
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        for (Thread w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
