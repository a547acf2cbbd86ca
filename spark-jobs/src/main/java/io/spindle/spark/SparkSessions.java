package io.spindle.spark;

import io.spindle.spark.config.SpindleConfig;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Starts the Spark session for a command. With no master from the config or from spark-submit,
 * Spark runs embedded as {@code local[*]}, so {@code bin/spindle train} needs no cluster. Tasks
 * rebuild the driver's Hadoop configuration with {@link #hadoopConfiguration}.
 */
public final class SparkSessions {
    private static final String SPARK_HADOOP = "spark.hadoop.";

    private SparkSessions() {}

    public static SparkSession start(SpindleConfig config, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (!config.spark().master().isBlank()) {
            conf.setMaster(config.spark().master());
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
            // The embedded session is a single process: its web UI would only slow start-up.
            conf.setIfMissing("spark.ui.enabled", "false");
        }
        config.spark().conf().forEach(conf::set);
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * What the driver's {@code sc.hadoopConfiguration()} holds: the cluster's Hadoop defaults plus
     * every {@code spark.hadoop.*} property (file system implementations, credentials, HDFS
     * settings), so a rank reads and writes run.dir exactly as the driver does.
     */
    public static Configuration hadoopConfiguration(SparkConf sparkConf) {
        Configuration conf = new Configuration();
        for (scala.Tuple2<String, String> kv : sparkConf.getAll()) {
            if (kv._1().startsWith(SPARK_HADOOP)) conf.set(kv._1().substring(SPARK_HADOOP.length()), kv._2());
        }
        return conf;
    }
}
