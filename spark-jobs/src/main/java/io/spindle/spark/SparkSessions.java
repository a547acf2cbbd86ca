package io.spindle.spark;

import io.spindle.spark.config.SpindleConfig;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Starts the Spark session for a command. With no master from the config or from spark-submit,
 * Spark runs embedded as {@code local[*]}, so {@code bin/spindle train} needs no cluster.
 */
public final class SparkSessions {
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
}
