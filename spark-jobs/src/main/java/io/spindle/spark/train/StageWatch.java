package io.spindle.spark.train;

import org.apache.spark.ExceptionFailure;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.Success$;
import org.apache.spark.TaskEndReason;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.TaskKilled;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import scala.jdk.javaapi.CollectionConverters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows one launch of the training stage on Spark's listener bus. The exception a failed barrier
 * job throws carries only a message, so this is where the driver learns which rank failed, on which
 * host, and with which exception, and when the last task of a failed launch has really stopped (the
 * other ranks of a failed barrier stage are killed but keep running until they notice).
 */
final class StageWatch extends SparkListener {
    /** One task that did not succeed. {@code exception} is the rank's own exception when Spark could ship it. */
    record TaskFailure(int rank, String host, String executorId, String reason, boolean killed,
                       Optional<Throwable> exception, String exceptionClass) {
        String describe() {
            return "rank " + rank + " on " + host + " (executor " + executorId + "): " + reason;
        }
    }

    private final String jobGroup;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final Map<Long, Integer> running = new ConcurrentHashMap<>();
    private final List<TaskFailure> failures = new ArrayList<>();
    private volatile int jobId = -1;
    private volatile boolean jobEnded;

    /** @param jobGroup the job group (spark.jobGroup.id) the launch runs under */
    StageWatch(String jobGroup) {
        this.jobGroup = jobGroup;
    }

    @Override
    public void onJobStart(SparkListenerJobStart start) {
        Properties props = start.properties();
        if (props == null || !jobGroup.equals(props.getProperty("spark.jobGroup.id"))) return;
        jobId = start.jobId();
        for (Object stage : CollectionConverters.asJava(start.stageIds())) stages.add((Integer) stage);
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        if (stages.contains(start.stageId())) running.put(start.taskInfo().taskId(), start.taskInfo().index());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!stages.contains(end.stageId())) return;
        TaskInfo info = end.taskInfo();
        running.remove(info.taskId());
        TaskEndReason reason = end.reason();
        if (reason != Success$.MODULE$) {
            synchronized (failures) {
                failures.add(failure(info, reason));
            }
        }
        synchronized (this) {
            notifyAll();
        }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd end) {
        if (end.jobId() != jobId) return;
        jobEnded = true;
        synchronized (this) {
            notifyAll();
        }
    }

    static TaskFailure failure(TaskInfo info, TaskEndReason reason) {
        if (reason instanceof ExceptionFailure ef) {
            Optional<Throwable> exception = ef.exception().isDefined() ? Optional.of(ef.exception().get())
                    : Optional.empty();
            return new TaskFailure(info.index(), info.host(), info.executorId(), ef.className() + ": "
                    + ef.description(), false, exception, ef.className());
        }
        if (reason instanceof ExecutorLostFailure lost) {
            String why = lost.reason().isDefined() ? lost.reason().get() : "no reason given";
            return new TaskFailure(info.index(), info.host(), info.executorId(), "executor lost: " + why, false,
                    Optional.empty(), "");
        }
        String text = reason instanceof TaskFailedReason failed ? failed.toErrorString() : reason.toString();
        return new TaskFailure(info.index(), info.host(), info.executorId(), firstLine(text),
                reason instanceof TaskKilled, Optional.empty(), "");
    }

    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The failures seen so far, in the order their tasks ended. */
    List<TaskFailure> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /**
     * Waits until the job has ended on the listener bus (its events, delivered in order, are then all
     * here) and no task of it is still running, or {@code timeoutMs} has passed.
     *
     * @return whether every task had ended in time
     */
    synchronized boolean awaitAllTasksEnded(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!(jobEnded && running.isEmpty())) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) return false;
            wait(Math.min(left, 500));
        }
        return true;
    }

    /** Ranks whose tasks have not ended yet. */
    List<Integer> stillRunning() {
        return List.copyOf(running.values());
    }
}
