package io.spindle.spark.train;

import io.spindle.spark.InputErrors;
import io.spindle.spark.config.ConfigException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One launch of the training stage did not complete: what failed first (rank, host, exception), and
 * whether that was bad input, which a relaunch cannot fix.
 */
final class LaunchFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Throwable inputError;

    LaunchFailedException(String cause, Throwable inputError, Throwable sparkError) {
        super(cause, sparkError);
        this.inputError = inputError;
    }

    /** Bad input reported by a rank (e.g. a config a rank rejects), which fails the run at once. */
    Optional<Throwable> inputError() {
        return Optional.ofNullable(inputError);
    }

    /**
     * Builds the failure from what the stage's tasks reported. The first failure that is not a kill
     * is the cause: when one rank dies, Spark kills the others, and their neighbours fail on the
     * lost connection, so later failures are consequences.
     *
     * @param unfinished ranks whose tasks were still running when the driver stopped waiting
     */
    static LaunchFailedException from(List<StageWatch.TaskFailure> failures, List<Integer> unfinished,
                                      Throwable sparkError) {
        StageWatch.TaskFailure first = failures.stream().filter(f -> !f.killed()).findFirst()
                .orElse(failures.isEmpty() ? null : failures.get(0));
        List<String> parts = new ArrayList<>();
        parts.add(first != null ? first.describe() : StageWatch.firstLine(String.valueOf(sparkError.getMessage())));
        long others = failures.stream().filter(f -> f != first && !f.killed()).count();
        if (others > 0) parts.add(others + " other rank(s) failed after it");
        if (!unfinished.isEmpty()) parts.add("rank(s) " + unfinished + " had not stopped yet");
        return new LaunchFailedException(String.join("; ", parts), inputError(failures), sparkError);
    }

    /** The first rank exception that is bad input, by its cause chain, or by its class when Spark could not ship it. */
    static Throwable inputError(List<StageWatch.TaskFailure> failures) {
        for (StageWatch.TaskFailure f : failures) {
            if (f.exception().isPresent()) {
                Throwable input = InputErrors.firstIn(f.exception().get());
                if (input != null) return input;
            } else if (isInputClass(f.exceptionClass())) {
                return new ConfigException(f.describe());
            }
        }
        return null;
    }

    private static boolean isInputClass(String className) {
        if (!className.startsWith("io.spindle.")) return false;
        try {
            return InputErrors.isInputError(Class.forName(className, false, LaunchFailedException.class.getClassLoader()));
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
