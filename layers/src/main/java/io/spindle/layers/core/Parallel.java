package io.spindle.layers.core;

import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a loop of independent iterations into contiguous chunks run on a small fixed set of
 * threads (the caller runs the last chunk). BLAS parallelizes large products itself, but the
 * fused Java kernels and the many small per-head products run single-threaded unless split here.
 *
 * <p>The thread count is the system property {@code spindle.layers.threads}, else
 * {@code OMP_NUM_THREADS} (what a rank gives its BLAS), else the available processors.
 */
public final class Parallel {
    /** One chunk of a loop: iterations [from, to), run as chunk number {@code chunk}. */
    @FunctionalInterface
    public interface Chunk {
        void run(int chunk, int from, int to);
    }

    private static final int THREADS = threadCount();
    private static final ExecutorService WORKERS = THREADS > 1 ? Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(r, "spindle-layers-worker");
        t.setDaemon(true);
        return t;
    }) : null;

    private Parallel() {}

    /** Number of chunks {@link #forRange} may use; size per-chunk scratch buffers with it. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()} chunks, each at least
     * {@code minPerChunk} iterations, and returns when all are done. An exception in any chunk is
     * rethrown here.
     */
    public static void forRange(int n, int minPerChunk, Chunk body) {
        int chunks = Math.max(1, Math.min(THREADS, n / Math.max(1, minPerChunk)));
        if (chunks == 1) {
            body.run(0, 0, n);
            return;
        }
        Future<?>[] pending = new Future<?>[chunks - 1];
        for (int c = 0; c < chunks - 1; c++) {
            int chunk = c;
            pending[c] = WORKERS.submit(() -> body.run(chunk, bound(n, chunks, chunk), bound(n, chunks, chunk + 1)));
        }
        RuntimeException failure = null;
        try {
            body.run(chunks - 1, bound(n, chunks, chunks - 1), n);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted while waiting for a worker", e);
            }
        }
        if (failure != null) throw failure;
    }

    private static int bound(int n, int chunks, int chunk) {
        return (int) ((long) n * chunk / chunks);
    }

    private static int threadCount() {
        String configured = System.getProperty("spindle.layers.threads");
        if (configured == null) configured = System.getenv("OMP_NUM_THREADS");
        if (configured != null) {
            try {
                return Math.max(1, Integer.parseInt(configured.trim()));
            } catch (NumberFormatException e) {
                LoggerFactory.getLogger(Parallel.class).warn("ignoring thread count '{}' (spindle.layers.threads or"
                        + " OMP_NUM_THREADS): not an integer; using the available processors", configured);
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }
}
