package io.spindle.spark.cli;

import io.spindle.parallel.checkpoint.CorruptCheckpointException;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Maps failures to the exit codes of DESIGN.md: 2 for bad usage, config or input (the message
 * names the key or file and the fix), 1 for failures at run time.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int RUNTIME_FAILURE = 1;
    public static final int BAD_INPUT = 2;

    private ExitCodes() {}

    public static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        Throwable cause = rootInput(e);
        if (cause != null) {
            err.println("spindle " + cli.getCommandName() + ": " + cause.getMessage());
            err.flush();
            return BAD_INPUT;
        }
        err.println("spindle " + cli.getCommandName() + " failed: " + describe(e));
        err.println("Nothing already saved was changed: completed checkpoints and metrics.jsonl in the run directory are"
                + " intact; `spindle train CONF --resume` continues from the newest checkpoint.");
        if (Boolean.getBoolean("spindle.stacktrace")) e.printStackTrace(err);
        else err.println("(run with -Dspindle.stacktrace=true, or SPINDLE_STACKTRACE=1 with bin/spindle, for the stack trace)");
        err.flush();
        return RUNTIME_FAILURE;
    }

    /** The first cause that is a bad input (its message is written for the user), or null. */
    static Throwable rootInput(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            // Spindle's own input errors (config, data, checkpoints) carry messages written for the
            // user; an IllegalArgumentException from a library is a bug, reported as a failure.
            boolean ours = t.getClass().getName().startsWith("io.spindle.");
            if (ours && (t instanceof IllegalArgumentException || t instanceof CorruptCheckpointException)) return t;
            if (t.getCause() == t) break;
        }
        return null;
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null && !sb.toString().contains(t.getMessage())) sb.append(": ").append(t.getMessage());
        }
        return sb.toString();
    }
}
