package io.spindle.spark.cli;

import io.spindle.spark.conformance.ConformanceReport;
import io.spindle.spark.conformance.ConformanceRunner;
import io.spindle.spark.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = "Check golden-vector files (or directories of them) against Spindle's layers and optimizers."
                + " Prints PASS/FAIL per case and 'N passed, N failed'; exits 0 only when none failed, 2 when a"
                + " file is missing or malformed.")
public final class ConformanceCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE_OR_DIR", description = "golden JSON files or directories")
    List<Path> roots;

    @Override
    public Integer call() {
        for (Path p : roots) {
            if (!Files.exists(p)) {
                throw new ConfigException(p + " does not exist; pass golden-vector files or directories, e.g."
                        + " ../shared/golden/public");
            }
        }
        ConformanceReport report = ConformanceRunner.run(roots, System.out);
        if (!report.malformed().isEmpty()) {
            // a file that cannot be read checks nothing: bad input (exit 2), not a numerical failure
            throw new ConfigException(report.malformed().size() + " golden file(s) could not be checked: "
                    + String.join("; ", report.malformed()) + "; fix or regenerate them in the format of"
                    + " ../shared/golden/README.md");
        }
        return report.failed() == 0 ? ExitCodes.OK : ExitCodes.RUNTIME_FAILURE;
    }
}
