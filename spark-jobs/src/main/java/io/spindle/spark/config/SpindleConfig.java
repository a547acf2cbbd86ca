package io.spindle.spark.config;

import io.spindle.layers.model.ModelConfig;
import io.spindle.parallel.comm.CommConfig;
import io.spindle.parallel.comm.WirePrecision;
import io.spindle.parallel.train.OptimizerConfig;
import io.spindle.parallel.train.TrainingConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The whole typed config of a Spindle command, read by {@link ConfigLoader}. {@code resolvedText}
 * is the fully resolved HOCON that produced it: written to {@code config.resolved.conf}, sent to
 * the ranks, and stored in every checkpoint's manifest.
 */
public record SpindleConfig(Run run, ModelConfig model, Data data, TrainingConfig train, OptimizerConfig optim,
                            Parallel parallel, Spark spark, Generate generate, String resolvedText) {

    /**
     * {@code run.*}: where the run's files go. {@code dir} is already resolved (never empty).
     * {@code initFrom}: a run directory or checkpoint whose model parameters a new run starts from
     * (an extracted, grown or converted model); empty for a fresh initialization.
     */
    public record Run(String name, String dir, String initFrom) {
        public Run(String name, String dir) {
            this(name, dir, "");
        }

        public String checkpointsDir() { return dir + "/checkpoints"; }
        public String metricsFile() { return dir + "/metrics.jsonl"; }
        public String resolvedConfigFile() { return dir + "/config.resolved.conf"; }
    }

    /** {@code data.*}: the source text and the prepared token shards. {@code prepared} is resolved. */
    public record Data(List<String> source, String format, String textField, String prepared,
                       double validationFraction, long seed, long shardTokens) {
        public Data {
            source = List.copyOf(source);
        }
    }

    /**
     * {@code parallel.*}: the DP × TP layout, how gradients are all-reduced, and how the driver
     * recovers a failed training stage.
     *
     * @param bucketMb            MiB per gradient all-reduce
     * @param gradPrecision       element format of the gradient all-reduce on the wire
     * @param timeoutSeconds      connect and I/O timeout between ranks
     * @param attempts            launches of the training stage in total (1 = never relaunch)
     * @param retryBackoffSeconds wait before the first relaunch, doubled for each further one
     */
    public record Parallel(int dp, int tp, int bucketMb, WirePrecision gradPrecision, int timeoutSeconds, int attempts,
                           int retryBackoffSeconds) {
        public int world() { return dp * tp; }

        public int bucketBytes() { return bucketMb << 20; }

        /** The TCP ring's settings: default chunking, both timeouts from {@code timeoutSeconds}. */
        public CommConfig comm() {
            Duration timeout = Duration.ofSeconds(timeoutSeconds);
            return CommConfig.defaults().withTimeouts(timeout, timeout);
        }

        /** The wait before relaunch number {@code relaunch} (1-based): the backoff doubled each time, at most 1 h. */
        public Duration backoff(int relaunch) {
            long seconds = (long) retryBackoffSeconds << Math.min(relaunch - 1, 20);
            return Duration.ofSeconds(Math.min(seconds, 3600));
        }
    }

    /** {@code spark.*}: master (empty = spark-submit's or embedded local[*]) and extra properties. */
    public record Spark(String master, Map<String, String> conf) {
        public Spark {
            conf = Map.copyOf(conf);
        }
    }

    /** {@code generate.*}: sampling settings for {@code spindle generate} and the end of {@code train}. */
    public record Generate(int tokens, double temperature, int topK, String prompt, long seed) {}
}
