package io.spindle.spark.cli;

import io.spindle.spark.doctor.Check;
import io.spindle.spark.doctor.Doctor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check that Spindle can run here and on a cluster: Java version, ND4J's native backend, memory,"
                + " threads and run-directory write access on the driver and inside every executor, and whether the"
                + " master answers. Prints a table; exit 0 when nothing failed, 1 otherwise.")
public final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--master", paramLabel = "URL", description = "spark://HOST:PORT, yarn, k8s://..., or local[N] (default: local[2])")
    String master = "local[2]";

    @Option(names = "--run-dir", paramLabel = "DIR", description = "where runs will be written, any Hadoop URI (default: runs)")
    String runDir = "runs";

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "bound on each step: connecting, executors registering, the check job (default: 60)")
    int timeoutSeconds = 60;

    @Override
    public Integer call() {
        List<Check> checks = Doctor.run(master, runDir, Duration.ofSeconds(Math.max(1, timeoutSeconds)), System.err);
        System.out.print(Doctor.table(checks));
        return checks.stream().anyMatch(c -> c.status() == Check.Status.FAIL) ? ExitCodes.RUNTIME_FAILURE : ExitCodes.OK;
    }
}
