package io.spindle.spark.cli;

import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.ConfigReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Print a config as Spindle resolves it (defaults, the file, then --set overrides; validated as"
                + " train would), or with --reference the Markdown reference of every key.")
public final class ConfigCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "CONF", description = "a HOCON or YAML config, e.g. conf/tiny.conf")
    File conf;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--reference", description = "print docs/config-reference.md: every key, its default and meaning")
    boolean reference;

    @Override
    public Integer call() {
        if (reference) {
            System.out.print(ConfigReference.markdown());
            return ExitCodes.OK;
        }
        if (conf == null) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "name a config file (e.g. conf/tiny.conf) or pass --reference");
        }
        System.out.print(ConfigLoader.load(conf, overrides).resolvedText());
        return ExitCodes.OK;
    }
}
