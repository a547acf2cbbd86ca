package io.spindle.spark.train;

import io.spindle.parallel.comm.CommunicatorException;
import io.spindle.parallel.comm.InProcessGroup;
import io.spindle.parallel.comm.TcpRingCommunicator;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.parallel.train.MetricsSink;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
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
    private static final String SPARK_HADOOP = "spark.hadoop.";

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
        Configuration hadoopConf = hadoopConfiguration(SparkEnv.get().conf());
        TrainOutcome outcome;
        try (DataParallel dataParallel = joinDataParallelGroup(context, rank, host, config);
             MetricsClient metrics = rank == 0
                     ? new MetricsClient(driverHost, metricsPort, secret, CONNECT_TIMEOUT_MS) : null) {
            // only rank 0 reports (RankTrainer emits nothing elsewhere), so the others need no connection
            MetricsSink sink = metrics != null ? metrics : row -> { };
            outcome = RankRun.train(config, dataParallel, hadoopConf, sink);
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

    /**
     * What the driver's {@code sc.hadoopConfiguration()} holds: the cluster's Hadoop defaults plus
     * every {@code spark.hadoop.*} property (file system implementations, credentials, HDFS
     * settings), so a rank reads and writes run.dir exactly as the driver does.
     */
    static Configuration hadoopConfiguration(SparkConf sparkConf) {
        Configuration conf = new Configuration();
        for (scala.Tuple2<String, String> kv : sparkConf.getAll()) {
            if (kv._1().startsWith(SPARK_HADOOP)) conf.set(kv._1().substring(SPARK_HADOOP.length()), kv._2());
        }
        return conf;
    }

    /**
     * The DP ring (DESIGN.md, "Spark integration"): every rank opens its listener first, then
     * publishes host:port through the barrier's allGather, so no rank connects to a peer that is not
     * listening yet; the ring authenticates every link with the job secret. A lone rank needs no ring.
     */
    private DataParallel joinDataParallelGroup(BarrierTaskContext context, int rank, String host, SpindleConfig config)
            throws IOException {
        SpindleConfig.Parallel parallel = config.parallel();
        if (parallel.dp() == 1) {
            return new DataParallel(InProcessGroup.create(1).get(0), parallel.bucketBytes(), parallel.gradPrecision());
        }
        ServerSocketChannel listener = TcpRingCommunicator.listen(host);
        try {
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            String[] published = context.allGather(host + ":" + port);
            List<InetSocketAddress> peers = new ArrayList<>(published.length);
            for (String address : published) {
                int colon = address.lastIndexOf(':');
                peers.add(new InetSocketAddress(address.substring(0, colon),
                        Integer.parseInt(address.substring(colon + 1))));
            }
            return new DataParallel(TcpRingCommunicator.connect(rank, peers, listener, secret, parallel.comm()),
                    parallel.bucketBytes(), parallel.gradPrecision());
        } catch (IOException | RuntimeException e) {
            listener.close(); // a failed rendezvous or ring setup must not leave the port open; closing twice is harmless
            throw e;
        }
    }
}
