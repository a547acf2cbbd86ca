package io.spindle.spark.doctor;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.FlatMapFunction;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;

/** The host checks as a Spark task: each task reports where it ran and what it found. */
final class ExecutorProbe implements FlatMapFunction<Iterator<Integer>, Check> {
    private static final long serialVersionUID = 1L;
    private final String runDir;

    ExecutorProbe(String runDir) {
        this.runDir = runDir;
    }

    @Override
    public Iterator<Check> call(Iterator<Integer> partition) throws Exception {
        String where = "executor " + SparkEnv.get().executorId() + " (" + InetAddress.getLocalHost().getHostName() + ")";
        List<Check> checks = HostChecks.run(where, runDir);
        return checks.iterator();
    }
}
