package io.spindle.spark.train;

import io.spindle.parallel.comm.CommunicatorException;
import io.spindle.parallel.comm.WirePrecision;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.spark.InputErrors;
import io.spindle.spark.config.ConfigException;
import io.spindle.spark.config.SpindleConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver's relaunch policy, with launches that fail the way a barrier stage does. */
class StageAttemptsTest {
    private final List<Map<String, Object>> events = new ArrayList<>();
    private final List<Duration> sleeps = new ArrayList<>();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private long newestCheckpoint = -1;

    private StageAttempts attempts(int attempts, int backoffSeconds) {
        SpindleConfig.Parallel parallel = new SpindleConfig.Parallel(2, 1, 4, WirePrecision.FLOAT32, 60, attempts,
                backoffSeconds);
        return new StageAttempts(parallel, () -> newestCheckpoint, events::add,
                new PrintStream(console, true, StandardCharsets.UTF_8), sleeps::add);
    }

    private static StageWatch.TaskFailure failure(int rank, String reason, boolean killed, Throwable exception) {
        return new StageWatch.TaskFailure(rank, "10.0.0." + rank, String.valueOf(rank + 1), reason, killed,
                Optional.ofNullable(exception), exception == null ? "" : exception.getClass().getName());
    }

    private static LaunchFailedException executorLost(int rank) {
        return LaunchFailedException.from(List.of(
                failure(rank, "executor lost: Command exited with code 137", false, null),
                failure(1 - rank, "io.spindle.parallel.comm.CommunicatorException: rank " + (1 - rank) + " closed", false,
                        new CommunicatorException("closed"))), List.of(), new RuntimeException("Job aborted"));
    }

    private static final TrainOutcome[] DONE = {new TrainOutcome(true, 8, 8, 1.5, 0, "completed")};

    @Test
    void aFailedLaunchIsRelaunchedFromTheNewestCheckpointWithADoublingBackoff() throws Exception {
        List<Integer> launched = new ArrayList<>();
        newestCheckpoint = 4;
        TrainOutcome[] result = attempts(3, 5).run(attempt -> {
            launched.add(attempt);
            if (attempt < 3) throw executorLost(1);
            return DONE;
        });
        assertSame(DONE, result);
        assertEquals(List.of(1, 2, 3), launched);
        assertEquals(List.of(Duration.ofSeconds(5), Duration.ofSeconds(10)), sleeps);
        assertEquals(2, events.size());
        Map<String, Object> first = events.get(0);
        assertEquals("relaunch", first.get("event"));
        assertEquals(4L, first.get("step"));
        assertEquals(2, first.get("attempt"));
        assertEquals(3, first.get("attempts"));
        String cause = (String) first.get("cause");
        assertTrue(cause.startsWith("rank 1 on 10.0.0.1 (executor 2): executor lost") && cause.contains("1 other rank"),
                cause);
        String printed = console.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("Attempt 1/3 of the training stage failed: rank 1 on 10.0.0.1"), printed);
        assertTrue(printed.contains("Relaunching in 5 s as attempt 2/3, resuming from the checkpoint of step 4"), printed);
        assertTrue(printed.contains("Relaunching in 10 s as attempt 3/3"), printed);
    }

    @Test
    void theLastFailureEndsTheRunNamingTheAttemptsAndTheCheckpoint() {
        TrainingStageException e = assertThrows(TrainingStageException.class,
                () -> attempts(2, 0).run(attempt -> { throw executorLost(0); }));
        assertTrue(e.getMessage().contains("failed in all 2 launch(es) (parallel.attempts=2)")
                && e.getMessage().contains("rank 0 on 10.0.0.0") && e.getMessage().contains("step 0 (no complete"),
                e.getMessage());
        assertEquals(1, events.size(), "one relaunch between the two launches");
        assertEquals(null, InputErrors.firstIn(e), "a run-time failure, exit code 1");
    }

    @Test
    void badInputFromARankFailsAtOnceWithoutARelaunch() {
        ConfigException bad = new ConfigException("data.prepared=/x holds no shards; run spindle prepare");
        List<Integer> launched = new ArrayList<>();
        TrainingStageException e = assertThrows(TrainingStageException.class, () -> attempts(3, 1).run(attempt -> {
            launched.add(attempt);
            throw LaunchFailedException.from(List.of(
                    failure(1, "killed", true, null),
                    failure(0, "java.lang.RuntimeException: wrapped", false, new RuntimeException("wrapped", bad))),
                    List.of(), new RuntimeException("Job aborted"));
        }));
        assertEquals(List.of(1), launched);
        assertTrue(sleeps.isEmpty() && events.isEmpty());
        assertSame(bad, InputErrors.firstIn(e), "the CLI reports the rank's own message with exit code 2");
    }

    @Test
    void anInputErrorSparkCouldNotShipIsRecognisedByItsClass() {
        LaunchFailedException f = LaunchFailedException.from(List.of(new StageWatch.TaskFailure(0, "h", "1",
                "io.spindle.spark.config.ConfigException: bad key", false, Optional.empty(),
                ConfigException.class.getName())), List.of(), new RuntimeException("aborted"));
        assertTrue(f.inputError().isPresent());
        assertTrue(f.inputError().get().getMessage().contains("rank 0 on h (executor 1): "
                + "io.spindle.spark.config.ConfigException: bad key"));
        LaunchFailedException library = LaunchFailedException.from(List.of(new StageWatch.TaskFailure(0, "h", "1",
                "java.lang.IllegalArgumentException: x", false, Optional.empty(), "java.lang.IllegalArgumentException")),
                List.of(), new RuntimeException("aborted"));
        assertTrue(library.inputError().isEmpty(), "a library's IllegalArgumentException is a failure, retried");
    }

    @Test
    void withoutTaskReportsTheCauseIsSparksOwnMessageAndStragglersAreNamed() {
        LaunchFailedException f = LaunchFailedException.from(List.of(), List.of(1),
                new RuntimeException("Job aborted due to stage failure: barrier\nstack"));
        assertEquals("Job aborted due to stage failure: barrier; rank(s) [1] had not stopped yet", f.getMessage());
    }
}
