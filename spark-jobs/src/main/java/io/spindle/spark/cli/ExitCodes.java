package io.spindle.spark.cli;

import io.spindle.spark.InputErrors;
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
        Throwable cause = InputErrors.firstIn(e);
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

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null && !sb.toString().contains(t.getMessage())) sb.append(": ").append(t.getMessage());
        }
        return sb.toString();
    }
}
