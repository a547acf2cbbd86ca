package io.spindle.parallel.checkpoint;

import java.io.IOException;

/**
 * A checkpoint that is incomplete or damaged. The message names the file and the check that
 * failed; callers fall back to an older complete checkpoint or stop with that message.
 */
public class CorruptCheckpointException extends IOException {
    public CorruptCheckpointException(String message) {
        super(message);
    }
}
