package io.spindle.spark;

import io.spindle.spark.cli.ConfigCommand;
import io.spindle.spark.cli.ConformanceCommand;
import io.spindle.spark.cli.ConvertCommand;
import io.spindle.spark.cli.DoctorCommand;
import io.spindle.spark.cli.ExtractCommand;
import io.spindle.spark.cli.EvalCommand;
import io.spindle.spark.cli.GenerateCommand;
import io.spindle.spark.cli.PrepareCommand;
import io.spindle.spark.cli.ReportCommand;
import io.spindle.spark.cli.TrainCommand;
import io.spindle.spark.cli.ExitCodes;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code bin/spindle} and of {@code spark-submit --class io.spindle.spark.SpindleMain}.
 * Exit codes (DESIGN.md): 0 success; 2 bad usage, config or input; 1 failure at run time.
 */
@Command(name = "spindle", mixinStandardHelpOptions = true, version = "Spindle 0.1.0",
        description = "Train language models on Apache Spark with ND4J.",
        subcommands = {TrainCommand.class, PrepareCommand.class, EvalCommand.class, GenerateCommand.class,
                ConformanceCommand.class, ExtractCommand.class, ConvertCommand.class,
                ReportCommand.class, ConfigCommand.class, DoctorCommand.class})
public final class SpindleMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: train, prepare, eval, generate,"
                + " conformance, extract, convert, report, config or doctor");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command and returns its exit code (used by tests and notebooks). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new SpindleMain());
        cli.setExecutionExceptionHandler(ExitCodes::handle);
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("spindle: " + e.getMessage());
            // e.g. "Did you mean: spindle train?" for a misspelt command or option
            CommandLine.UnmatchedArgumentException.printSuggestions(e, e.getCommandLine().getErr());
            e.getCommandLine().usage(e.getCommandLine().getErr());
            return ExitCodes.BAD_INPUT;
        });
        return cli.execute(args);
    }
}
