package io.spindle.spark.train;

import io.spindle.parallel.comm.CommunicatorException;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.parallel.mesh.DeviceMesh;
import io.spindle.parallel.mesh.MeshCommunicators;
import io.spindle.parallel.tp.TensorParallel;
import io.spindle.parallel.tp.TensorParallelPlan;
import io.spindle.parallel.train.MetricsSink;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.spark.SparkSessions;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
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
        // the block manager's host is the address this executor advertises to its peers
        String host = SparkEnv.get().blockManager().blockManagerId().host();
        Configuration hadoopConf = SparkSessions.hadoopConfiguration(SparkEnv.get().conf());
        TrainOutcome outcome;
        SpindleConfig.Parallel parallel = config.parallel();
        try {
            MeshCommunicators groups = MeshRendezvous.join(context, new DeviceMesh(parallel.dp(), parallel.tp()), rank,
                    host, secret, parallel.comm());
            try (groups;
                 DataParallel dataParallel = new DataParallel(groups.dp(), parallel.bucketBytes(), parallel.gradPrecision());
                 TensorParallel tensorParallel = new TensorParallel(groups.tp(), TensorParallelPlan.forModel(config.model()));
                 MetricsClient metrics = rank == 0
                         ? new MetricsClient(driverHost, metricsPort, secret, CONNECT_TIMEOUT_MS) : null) {
                // only rank 0 reports (RankTrainer emits nothing elsewhere), so the others need no connection
                MetricsSink sink = metrics != null ? metrics : row -> { };
                outcome = RankRun.train(config, dataParallel, tensorParallel, hadoopConf, sink);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + " on " + host + " failed: " + e.getMessage(), e);
        } catch (CommunicatorException e) {
            // the ring's message names the peer; the driver's log also needs to know which rank saw it
            throw new CommunicatorException("rank " + rank + " on " + host + ": " + e.getMessage()
                    + " (parallel.timeoutSeconds=" + config.parallel().timeoutSeconds() + "; a peer that is alive but"
                    + " busier than that, e.g. rank 0 validating or writing a checkpoint, needs a larger value)", e);
        }
        return JavaConverters.asScalaIterator(List.of(outcome).iterator());
    }
}
