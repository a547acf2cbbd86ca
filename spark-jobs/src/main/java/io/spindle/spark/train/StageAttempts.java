package io.spindle.spark.train;

import io.spindle.parallel.train.MetricsSink;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.spark.config.SpindleConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The driver's relaunch loop. Spark aborts a failed barrier result stage instead of retrying it, so
 * the driver launches it again itself: up to {@code parallel.attempts} launches in total, waiting
 * {@code parallel.retryBackoffSeconds} (doubled each time) in between. Every launch's ranks resume
 * from the newest complete checkpoint, so a relaunch repeats at most the steps since that
 * checkpoint. Bad input reported by a rank is not retried: the same input would fail again.
 */
final class StageAttempts {
    /** One launch of the training stage; throws when it did not complete. */
    interface Launch {
        TrainOutcome[] run(int attempt) throws LaunchFailedException, IOException, InterruptedException;
    }

    /** The newest complete checkpoint's step, or -1 when there is none. */
    interface NewestCheckpoint {
        long step() throws IOException;
    }

    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final SpindleConfig.Parallel parallel;
    private final NewestCheckpoint checkpoints;
    private final MetricsSink events;
    private final PrintStream console;
    private final Sleeper sleeper;

    /** @param events where a {@code relaunch} event row goes (metrics.jsonl) */
    StageAttempts(SpindleConfig.Parallel parallel, NewestCheckpoint checkpoints, MetricsSink events,
                  PrintStream console, Sleeper sleeper) {
        this.parallel = parallel;
        this.checkpoints = checkpoints;
        this.events = events;
        this.console = console;
        this.sleeper = sleeper;
    }

    TrainOutcome[] run(Launch launch) throws IOException, InterruptedException {
        int attempts = parallel.attempts();
        for (int attempt = 1; ; attempt++) {
            try {
                return launch.run(attempt);
            } catch (LaunchFailedException failure) {
                if (failure.inputError().isPresent()) {
                    throw new TrainingStageException("a rank rejected its input: " + failure.getMessage(),
                            failure.inputError().get());
                }
                long step = checkpoints.step();
                String resume = step < 0 ? "step 0 (no complete checkpoint yet)" : "the checkpoint of step " + step;
                console.printf("Attempt %d/%d of the training stage failed: %s%n", attempt, attempts,
                        failure.getMessage());
                if (attempt == attempts) {
                    throw new TrainingStageException("the training stage failed in all " + attempts + " launch(es)"
                            + " (parallel.attempts=" + attempts + "); the last failure: " + failure.getMessage()
                            + ". A rerun with --resume continues from " + resume, failure);
                }
                Duration wait = parallel.backoff(attempt);
                console.printf("Relaunching in %d s as attempt %d/%d, resuming from %s%n", wait.toSeconds(),
                        attempt + 1, attempts, resume);
                events.emit(relaunchEvent(Math.max(step, 0), attempt + 1, attempts, failure.getMessage()));
                sleeper.sleep(wait);
            }
        }
    }

    private static Map<String, Object> relaunchEvent(long step, int attempt, int attempts, String cause) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("event", "relaunch");
        row.put("step", step);
        row.put("attempt", attempt);
        row.put("attempts", attempts);
        row.put("cause", cause);
        return row;
    }
}
