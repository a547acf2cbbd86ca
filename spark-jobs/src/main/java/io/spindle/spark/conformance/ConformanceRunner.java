package io.spindle.spark.conformance;

import io.spindle.layers.golden.LayerConformance;
import io.spindle.layers.golden.LayerResult;
import io.spindle.layers.golden.UnsupportedCaseException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks golden-vector files against Spindle's implementation: one line per case,
 * {@code PASS name} or {@code FAIL name: why}, then {@code N passed, N failed}. A case whose layer
 * or algorithm this build lacks, a malformed file and a missing path are failures, never skips.
 */
public final class ConformanceRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ConformanceRunner.class);

    private ConformanceRunner() {}

    /** Runs every *.json under {@code roots} with the {@link OptimizerCases} found on the class path. */
    public static ConformanceReport run(List<Path> roots, PrintStream out) {
        return run(roots, out, OptimizerCases.discover());
    }

    public static ConformanceReport run(List<Path> roots, PrintStream out, OptimizerCases optimizers) {
        int passed = 0;
        int failed = 0;
        List<String> malformed = new java.util.ArrayList<>();
        for (Path root : roots) {
            List<Path> files;
            try {
                files = goldenFiles(root);
            } catch (IOException e) {
                out.println("FAIL " + root + ": cannot be listed: " + e.getMessage());
                failed++;
                continue;
            }
            if (files == null || files.isEmpty()) {
                out.println("FAIL " + root + ": " + (files == null ? "no such file or directory" : "holds no *.json golden files"));
                failed++;
                continue;
            }
            for (Path file : files) {
                String name = caseName(root, file);
                List<GoldenCase> cases;
                try {
                    cases = GoldenFile.read(file, name);
                } catch (MalformedGoldenFileException e) {
                    out.println("FAIL " + name + ": " + e.getMessage());
                    failed++;
                    malformed.add(e.getMessage());
                    continue;
                }
                for (GoldenCase c : cases) {
                    String failure = check(c, optimizers);
                    out.println(failure == null ? "PASS " + c.name() : "FAIL " + c.name() + ": " + failure);
                    if (failure == null) passed++;
                    else failed++;
                }
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        return new ConformanceReport(passed, failed, malformed);
    }

    /** Null when the case passes, otherwise the reason. */
    private static String check(GoldenCase c, OptimizerCases optimizers) {
        Map<String, INDArray> got;
        try {
            if (c.kind().equals("layer")) {
                got = layerResults(LayerConformance.evaluate(c.layerCase()));
            } else if (optimizers.supports(c.subject())) {
                got = optimizers.evaluate(c);
            } else {
                return c.kind() + " '" + c.subject() + "' is not implemented in this build";
            }
        } catch (UnsupportedCaseException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            LOG.debug("golden case {} failed with an exception", c.name(), e);
            String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            return e.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
        }
        return TensorComparison.failure(c.expected(), got, c.tolerance());
    }

    private static Map<String, INDArray> layerResults(LayerResult result) {
        Map<String, INDArray> got = new LinkedHashMap<>();
        result.outputs().forEach((k, v) -> got.put("outputs." + k, v));
        result.grads().forEach((k, v) -> got.put("grads." + k, v));
        return got;
    }

    /** The *.json files at or under {@code root}, sorted by path; null when root does not exist. */
    private static List<Path> goldenFiles(Path root) throws IOException {
        if (Files.isRegularFile(root)) return List.of(root);
        if (!Files.isDirectory(root)) return null;
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> files = new ArrayList<>(walk.filter(p -> Files.isRegularFile(p) && p.toString().endsWith(".json")).toList());
            files.sort(Comparator.comparing(p -> relative(root, p)));
            return files;
        }
    }

    /** Path relative to the root (the file name when the root is the file), without .json. */
    private static String caseName(Path root, Path file) {
        String rel = root.equals(file) ? file.getFileName().toString() : relative(root, file);
        return rel.endsWith(".json") ? rel.substring(0, rel.length() - ".json".length()) : rel;
    }

    private static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }
}
