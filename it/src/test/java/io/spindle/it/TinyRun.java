package io.spindle.it;

import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the fault and bad-input tests share: a small corpus, a model small enough that a step takes
 * milliseconds (the tests are about processes, files and messages, not learning), and readers for
 * what a run leaves in its directory.
 */
final class TinyRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** 27k parameters at sequence length 32, batch 4. */
    static final List<String> MODEL = List.of("--set", "model.dModel=32", "--set", "model.layers=1",
            "--set", "model.heads=2", "--set", "model.ffnHidden=64", "--set", "model.maxSeq=32",
            "--set", "train.seq=32", "--set", "train.batch=4", "--set", "train.warmupSteps=2",
            "--set", "train.evalBatches=1", "--set", "data.validationFraction=0.1");

    private TinyRun() {}

    static Path corpus(Path dir) throws IOException {
        Path corpus = dir.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            text.append("Paragraph ").append(i).append(": it is a truth universally acknowledged, that a single man")
                    .append(" in possession of a good fortune, must be in want of a wife.\n\n");
        }
        Files.writeString(corpus, text.toString());
        return corpus;
    }

    static String tinyConf() {
        return Paths.get("..", "conf", "tiny.conf").toAbsolutePath().toString();
    }

    /** {@code train conf/tiny.conf} with the small model, {@code steps} steps and the given run directory. */
    static List<String> trainArgs(Path corpus, String runDir, int steps, int checkpointEvery, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", tinyConf(), "--set", "run.dir=" + runDir,
                "--set", "data.source=" + corpus.toUri()));
        args.addAll(MODEL);
        args.addAll(List.of("--set", "train.steps=" + steps, "--set", "train.evalEvery=" + steps,
                "--set", "train.checkpointEvery=" + checkpointEvery, "--set", "train.logEvery=4"));
        args.addAll(List.of(extra));
        return args;
    }

    static CheckpointContent checkpoint(String runDir, long step) throws IOException {
        return new CheckpointCatalog(new HadoopCheckpointStorage(runDir + "/checkpoints", new Configuration()))
                .load(step);
    }

    static void assertBitIdentical(Map<String, INDArray> expected, Map<String, INDArray> actual, String what) {
        assertEquals(new TreeMap<>(expected).keySet(), new TreeMap<>(actual).keySet());
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            assertArrayEquals(e.getValue().shape(), actual.get(e.getKey()).shape(), what + " " + e.getKey());
            assertArrayEquals(rawBits(e.getValue()), rawBits(actual.get(e.getKey())),
                    what + " " + e.getKey() + " is bit-identical");
        }
    }

    private static int[] rawBits(INDArray a) {
        float[] values = a.dup().data().asFloat();
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return bits;
    }

    static boolean allFinite(Map<String, INDArray> tensors) {
        for (INDArray a : tensors.values()) {
            for (float v : a.dup().data().asFloat()) if (!Float.isFinite(v)) return false;
        }
        return true;
    }

    static List<Map<String, Object>> metrics(Path file) throws IOException {
        return metrics(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> metrics(String jsonl) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) rows.add(JSON.readValue(line, Map.class));
        }
        return rows;
    }

    /** The loss of each step, in step order; a step repeated after a resume counts with its last row. */
    static double[] losses(List<Map<String, Object>> rows) {
        TreeMap<Long, Double> byStep = new TreeMap<>();
        for (Map<String, Object> r : rows) {
            if (r.containsKey("loss")) {
                byStep.put(((Number) r.get("step")).longValue(), ((Number) r.get("loss")).doubleValue());
            }
        }
        return byStep.values().stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Rows of metrics.jsonl that are the event {@code name}. */
    static long events(List<Map<String, Object>> rows, String name) {
        return rows.stream().filter(r -> name.equals(r.get("event"))).count();
    }

    /** Copies a directory tree (a run, a checkpoint or a dataset) to be damaged. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }

    /** Flips one bit of the byte at {@code offset}, as a bad disk or a bad copy would. */
    static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    /** A copy without the local file system's .crc files: Spindle's own checks must catch what they would. */
    static void copyWithoutHadoopChecksums(Path from, Path to) throws IOException {
        copyTree(from, to);
        try (Stream<Path> files = Files.walk(to)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".crc")) Files.delete(p);
            }
        }
    }

    /**
     * {@code run} ended as {@code reference} did: every step's loss (a step repeated after a resume
     * counts with its last row) and the final checkpoint's parameters and optimizer state, bit for bit.
     */
    static void assertEndsAsReference(Path reference, Path run, long steps) throws IOException {
        assertArrayEquals(losses(metrics(reference.resolve("metrics.jsonl"))), losses(metrics(run.resolve("metrics.jsonl"))),
                0.0, "every step's loss equals the uninterrupted run's");
        assertSameCheckpoint(reference, run, steps);
    }

    static void assertSameCheckpoint(Path reference, Path run, long step) throws IOException {
        CheckpointContent expected = checkpoint(reference.toUri().toString(), step);
        CheckpointContent actual = checkpoint(run.toUri().toString(), step);
        assertBitIdentical(expected.model(), actual.model(), "parameter");
        assertBitIdentical(expected.optimizer(), actual.optimizer(), "optimizer state");
    }

    /** The newest step with a complete checkpoint (a manifest) under {@code checkpoints}, or -1. */
    static long newestCheckpoint(Path checkpoints) {
        String[] names = checkpoints.toFile().list();
        long newest = -1;
        for (String name : names == null ? new String[0] : names) {
            if (name.matches("step-\\d+") && Files.exists(checkpoints.resolve(name).resolve("manifest.json"))) {
                newest = Math.max(newest, Long.parseLong(name.substring(5)));
            }
        }
        return newest;
    }
}
