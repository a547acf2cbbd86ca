package io.spindle.spark.cli;

import io.spindle.spark.SparkSessions;
import io.spindle.spark.generate.TextGenerator;
import io.spindle.spark.generate.TplaStage;
import io.spindle.spark.model.CheckpointModels;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample text from a trained model (a run directory or one of its checkpoints).")
public final class GenerateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_OR_CHECKPOINT", description = "runs/<name> or runs/<name>/checkpoints/step-N")
    String source;

    @Option(names = "--prompt", description = "text to continue (default: generate.prompt of the run's config)")
    String prompt;

    @Option(names = "--tokens", description = "how many tokens to sample (default: generate.tokens)")
    Integer tokens;

    @Option(names = "--temperature", description = "sampling temperature > 0 (default: generate.temperature)")
    Double temperature;

    @Option(names = "--top-k", description = "sample among the k most likely tokens (default: generate.topK)")
    Integer topK;

    @Option(names = "--seed", description = "random seed (default: generate.seed)")
    Long seed;

    @Option(names = "--spark", description = "decode a TPLA model (spindle convert --to tpla) with its ranks as the tasks"
            + " of a Spark barrier stage joined by the authenticated TCP ring, on spark.master from the run's config"
            + " (else embedded local[*]), instead of as threads of this JVM; the same text")
    boolean spark;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>(overrides);
        if (prompt != null) all.add("generate.prompt=" + com.typesafe.config.ConfigUtil.quoteString(prompt));
        if (tokens != null) all.add("generate.tokens=" + tokens);
        if (temperature != null) all.add("generate.temperature=" + temperature);
        if (topK != null) all.add("generate.topK=" + topK);
        if (seed != null) all.add("generate.seed=" + seed);
        CheckpointModels.Loaded loaded = CheckpointModels.load(source, all, new Configuration(), System.err);
        if (!spark) {
            System.out.println(TextGenerator.sample(loaded));
            return ExitCodes.OK;
        }
        try (SparkSession session = SparkSessions.start(loaded.config(), "spindle generate " + loaded.config().run().name())) {
            System.out.println(TplaStage.generate(session, source, all, loaded, System.err));
        }
        return ExitCodes.OK;
    }
}
