package io.spindle.optim.state;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Runs an optimizer's element-wise update over one parameter's {@link SlotChunks} on the rank's
 * threads: the element range is cut into contiguous, chunk-aligned parts, one per thread, each with
 * a cursor of its own ({@link SlotChunks#another()}). Why: COAT's fused update is bound by its
 * codec's arithmetic, not by memory as dense AdamW is, so it scales with cores; the parts touch
 * disjoint elements, groups and codes, so the result does not depend on how many threads ran.
 *
 * <p>Threads: the rank's cores as ND4J counts them ({@code OMP_NUM_THREADS}, else the machine's
 * processors), at most the common fork-join pool's workers plus the caller, unless the system
 * property {@value #THREADS_PROPERTY} sets the number; and no more than keeps
 * {@link #MIN_CHUNKS_PER_THREAD} chunks per thread (small tensors run on the caller alone).
 */
public final class ChunkedUpdate {
    /** Below this many chunks per thread, forking costs more than it saves. */
    static final int MIN_CHUNKS_PER_THREAD = 16;
    /** System property that sets the number of threads ({@code -Dspindle.optim.threads=1}: the caller alone). */
    public static final String THREADS_PROPERTY = "spindle.optim.threads";
    private static final int DEFAULT_THREADS = threadsFromEnvironment();

    /** The update of elements [from, to) (chunk-aligned) through {@code cursor}, on one thread. */
    public interface Part {
        void run(SlotChunks cursor, int from, int to);
    }

    private ChunkedUpdate() {}

    /** Runs {@code part} over [0, n) of the parameter {@code cursor} walks, on up to {@link #threads()} threads. */
    public static void run(int n, SlotChunks cursor, Part part) {
        int chunk = Math.max(1, cursor.chunkLength());
        int chunks = (n + chunk - 1) / chunk;
        int parts = Math.max(1, Math.min(threads(), chunks / MIN_CHUNKS_PER_THREAD));
        if (parts == 1) {
            part.run(cursor, 0, n);
            return;
        }
        List<SlotChunks> cursors = new ArrayList<>(parts);
        cursors.add(cursor);
        for (int p = 1; p < parts; p++) cursors.add(cursor.another());
        IntStream.range(0, parts).parallel().forEach(p -> {
            int from = (int) ((long) chunks * p / parts) * chunk;
            int to = (int) Math.min(n, (long) chunks * (p + 1) / parts * chunk);
            part.run(cursors.get(p), from, to);
        });
    }

    /** Threads an update may use: {@value #THREADS_PROPERTY} if set, else the rank's cores. */
    public static int threads() {
        String set = System.getProperty(THREADS_PROPERTY);
        if (set == null) return DEFAULT_THREADS;
        try {
            int threads = Integer.parseInt(set.trim());
            if (threads >= 1) return threads;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + THREADS_PROPERTY + "=" + set + " must be a whole number >= 1"
                + " (the threads an optimizer update may use; leave it unset for the rank's cores)");
    }

    private static int threadsFromEnvironment() {
        int cores = Runtime.getRuntime().availableProcessors();
        String omp = System.getenv("OMP_NUM_THREADS");
        if (omp != null) {
            try {
                cores = Math.max(1, Integer.parseInt(omp.trim()));
            } catch (NumberFormatException e) {
                // ND4J ignores an unreadable value too; keep the processor count
            }
        }
        return Math.max(1, Math.min(cores, ForkJoinPool.getCommonPoolParallelism() + 1));
    }
}
