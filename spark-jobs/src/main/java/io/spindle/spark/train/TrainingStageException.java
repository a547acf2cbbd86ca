package io.spindle.spark.train;

/**
 * The training stage could not complete: every allowed launch failed, or a rank reported bad input
 * (then the cause is that input error, which the CLI reports with exit code 2).
 */
public final class TrainingStageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TrainingStageException(String message, Throwable cause) {
        super(message, cause);
    }
}
