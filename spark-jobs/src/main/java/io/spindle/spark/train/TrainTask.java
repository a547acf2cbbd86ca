package io.spindle.spark.train;

import io.spindle.parallel.train.TrainOutcome;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The body of one barrier task: one training rank. Everything it needs travels in this closure as
 * plain values (resolved config text, the driver's metrics address, the job secret); the rank
 * rebuilds its model, data and optimizer from them and resumes from the newest valid checkpoint
 * if one exists, which is what makes a retried stage continue instead of starting over.
 */
final class TrainTask extends AbstractFunction1<Iterator<Integer>, Iterator<TrainOutcome>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int CONNECT_TIMEOUT_MS = 30_000;

    private final String resolvedConfig;
    private final String driverHost;
    private final int metricsPort;
    private final byte[] secret;

    TrainTask(String resolvedConfig, String driverHost, int metricsPort, byte[] secret) {
        this.resolvedConfig = resolvedConfig;
        this.driverHost = driverHost;
        this.metricsPort = metricsPort;
        this.secret = secret.clone();
    }

    @Override
    public Iterator<TrainOutcome> apply(Iterator<Integer> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        int rank = context.partitionId();
        SpindleConfig config = ConfigLoader.fromText(resolvedConfig);
        Configuration hadoopConf = new Configuration();
        TrainOutcome outcome;
        try (MetricsClient metrics = new MetricsClient(driverHost, metricsPort, secret, CONNECT_TIMEOUT_MS)) {
            outcome = RankRun.train(config, rank, hadoopConf, metrics);
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + " failed: " + e.getMessage(), e);
        }
        return JavaConverters.asScalaIterator(List.of(outcome).iterator());
    }
}
