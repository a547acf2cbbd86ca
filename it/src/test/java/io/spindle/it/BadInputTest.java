package io.spindle.it;

import io.spindle.data.shard.TokenShardFormat;
import io.spindle.data.shard.TokenShardWriter;
import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input through the real CLI ({@code SpindleMain}, in this JVM, Spark embedded when a command
 * gets that far): each case must exit with 2, print a message that names the input (key, file or
 * checkpoint) and the fix, and leave every file that existed before it exactly as it was.
 * The table is also docs/reliability.md's; run alone with {@code mvn -pl it -am verify -Dgroups=badinput}.
 */
@Tag("badinput")
class BadInputTest {
    @TempDir
    static Path dir;
    static Path corpus;
    /** A finished run (steps 2 and 4 checkpointed) that the checkpoint cases copy and damage. */
    static Path goodRun;
    static final Map<String, Long> MILLIS = new java.util.TreeMap<>();
    /** The fix every refused checkpoint names. */
    private static final String OTHER_CHECKPOINT = "pass the run directory to use its newest valid checkpoint";

    /** One bad input: how to make it, the command, what the message must name, where files may appear. */
    record Case(String name, Setup setup, List<String> mustMention, String mayCreateUnder) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface Setup {
        /** Creates the case's files under its own directory and returns the command line. */
        List<String> args(Path caseDir) throws Exception;
    }

    private static Case bad(String name, Setup setup, String... mustMention) {
        return new Case(name, setup, List.of(mustMention), null);
    }

    /** A case that gets as far as starting a run: it may create files in its own new run directory. */
    private static Case badRun(String name, Setup setup, String... mustMention) {
        return new Case(name, setup, List.of(mustMention), name + "/run/");
    }

    @BeforeAll
    static void trainAGoodRun() throws IOException {
        corpus = TinyRun.corpus(dir);
        goodRun = dir.resolve("good");
        List<String> args = new ArrayList<>(trainArgs(goodRun));
        args.add("--no-sample");
        SpindleCli.Result r = SpindleCli.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(Files.exists(goodRun.resolve("checkpoints/step-4/manifest.json")), r.all());
    }

    @AfterAll
    static void printTimes() {
        MILLIS.forEach((name, ms) -> System.out.printf("bad input %-40s %6d ms%n", name, ms));
    }

    /** The 27k-parameter model of {@link TinyRun}, 4 steps: the cases are about messages, not learning. */
    static List<String> trainArgs(Path runDir, String... extra) {
        List<String> args = new ArrayList<>(TinyRun.trainArgs(corpus, runDir.toUri().toString(), 4, 2,
                "--set", "train.keepCheckpoints=5", "--set", "spark.master=local[2]"));
        args.addAll(List.of(extra));
        return args;
    }

    private static List<String> train(Path caseDir, String... extra) {
        return trainArgs(caseDir.resolve("run"), extra);
    }

    private static List<String> prepare(Path input, Path caseDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("prepare", TinyRun.tinyConf(), "--set", "data.source=" + input.toUri(),
                "--set", "data.prepared=" + caseDir.resolve("prepared").toUri(), "--set", "spark.master=local[2]"));
        args.addAll(List.of(extra));
        return args;
    }

    /**
     * A copy of the good run's checkpoint of step 4, to damage, without the local file system's .crc
     * files: Spindle's own checks must catch what a file system without checksums lets through.
     */
    private static Path checkpointCopy(Path caseDir) throws IOException {
        TinyRun.copyWithoutHadoopChecksums(goodRun.resolve("checkpoints/step-4"), caseDir.resolve("step-4"));
        return caseDir.resolve("step-4");
    }

    /** A copy of the good run's prepared dataset, to damage (without .crc files, see above). */
    private static Path datasetCopy(Path caseDir) throws IOException {
        TinyRun.copyWithoutHadoopChecksums(goodRun.resolve("data"), caseDir.resolve("prepared"));
        return caseDir.resolve("prepared");
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    static Stream<Case> cases() {
        return Stream.of(
                // --- config ---
                bad("unknown key", c -> train(c, "--set", "train.stpes=3"),
                        "unknown config key train.stpes", "did you mean train.steps?"),
                bad("wrong type", c -> train(c, "--set", "train.steps=lots"),
                        "train.steps = \"lots\" has the wrong type", "expected a whole number"),
                bad("out of range", c -> train(c, "--set", "data.validationFraction=0.9"),
                        "data.validationFraction=0.9", "must be in (0, 0.5)"),
                bad("timeout out of range", c -> train(c, "--set", "parallel.timeoutSeconds=100000"),
                        "parallel.timeoutSeconds=100000", "Use at most 86400"),
                bad("heads do not divide dModel", c -> train(c, "--set", "model.heads=3"),
                        "model.heads=3", "dModel=32"),
                bad("seq longer than maxSeq", c -> train(c, "--set", "train.seq=64"),
                        "train.seq=64 exceeds model.maxSeq=32", "lower train.seq or raise model.maxSeq"),
                bad("unknown flavor", c -> train(c, "--set", "model.flavor=huge"),
                        "model.flavor=\"huge\"", "tiny"),
                bad("value not allowed", c -> train(c, "--set", "parallel.gradPrecision=fp8"),
                        "parallel.gradPrecision=\"fp8\"", "choose one of [float32, bfloat16]"),
                bad("batch not divisible by dp", c -> train(c, "--set", "parallel.dp=3"),
                        "train.batch=4 is not divisible by parallel.dp=3", "set train.batch to a multiple of 3"),
                bad("dp x tp larger than the cluster", c -> train(c, "--set", "parallel.dp=4",
                                "--set", "spark.master=local[2]"),
                        "spark.master=local[2] runs 2 task(s) at a time", "set spark.master=\"local[4]\" or lower parallel.dp"),
                bad("renamed section", c -> train(c, "--set", "mesh.dp=2"),
                        "config key mesh.dp", "write parallel.dp instead"),
                bad("run.name escapes runs/", c -> train(c, "--set", "run.name=..", "--set", "run.dir=\"\""),
                        "run.name=\"..\"", "not only dots"),
                bad("config file missing", c -> List.of("train", c.resolve("absent.conf").toString()),
                        "absent.conf does not exist", "pass a HOCON file such as conf/tiny.conf"),
                bad("config file unparseable", c -> List.of("train",
                                write(c.resolve("broken.conf"), "train { steps = \n").toString()),
                        "broken.conf cannot be parsed", "broken.conf: 2"),
                bad("yaml unparseable", c -> List.of("train",
                                write(c.resolve("broken.yaml"), "train:\n  steps: [1, 2\n").toString()),
                        "broken.yaml is not valid YAML", "flow sequence"),
                bad("--set without =", c -> train(c, "--set", "train.steps"),
                        "--set train.steps is not key=value", "write e.g. --set train.steps=100"),
                bad("unknown command", c -> List.of("trian"),
                        "'trian'", "Did you mean: spindle train"),
                // --- data ---
                bad("data source missing", c -> prepare(c.resolve("absent.txt"), c),
                        "absent.txt does not exist", "check the path"),
                bad("data source empty", c -> prepare(write(c.resolve("empty.txt"), "\n\n"), c),
                        "empty.txt", "hold no documents", "check the inputs"),
                bad("parquet column of the wrong type", c -> prepare(parquet(c, false), c, "--set", "data.format=parquet"),
                        "column 'text'", "has type int but must be string", "pass textField="),
                bad("parquet column missing", c -> prepare(parquet(c, true), c, "--set", "data.format=parquet"),
                        "has no column 'text'", "pass textField="),
                bad("malformed jsonl", c -> prepare(write(c.resolve("docs.jsonl"), "{\"text\": \"a\"}\n{not json\n"), c),
                        "docs.jsonl", "is not a JSON object", "fix the line or pass format=text"),
                bad("non-UTF-8 text", c -> prepare(latin1(c), c),
                        "latin1.txt is not UTF-8: line 2", "convert the file to UTF-8"),
                bad("dataset of another tokenizer", c -> train(c, "--set",
                                "data.prepared=" + otherTokenizerManifest(c).toUri()),
                        "tokenized with bpe-32k", "set data.prepared to a new directory"),
                badRun("token shard of another tokenizer", c -> train(c, "--set",
                                "data.prepared=" + foreignShard(c, "bpe-32k", TokenShardFormat.VERSION).toUri()),
                        "train-00000.arrow", "tokenizer bpe-32k", "spindle prepare"),
                badRun("token shard of another format version", c -> train(c, "--set",
                                "data.prepared=" + foreignShard(c, ByteTokenizer.NAME, "2").toUri()),
                        "train-00000.arrow", "format version 2", "spindle prepare"),
                badRun("token shard deleted", c -> train(c, "--set", "data.prepared=" + deletedShard(c).toUri()),
                        "train-00000.arrow", "is missing", "re-run `spindle prepare`"),
                badRun("token shard byte flipped (file system checksum)", c -> {
                            Path data = c.resolve("prepared");
                            TinyRun.copyTree(goodRun.resolve("data"), data);
                            TinyRun.flipByte(data.resolve("train-00000.arrow"), 200);
                            return train(c, "--set", "data.prepared=" + data.toUri());
                        },
                        "train-00000.arrow fails the file system's checksum", "re-run `spindle prepare`"),
                bad("dataset manifest not JSON", c -> train(c, "--set", "data.prepared=" + brokenDatasetManifest(c).toUri()),
                        "dataset.json", "is unusable"),
                // --- checkpoints ---
                bad("resume with another model config", c -> {
                            Path run = c.resolve("run");
                            TinyRun.copyTree(goodRun, run);
                            return trainArgs(run, "--resume", "--set", "model.dModel=64", "--set", "train.steps=6",
                                    "--set", "data.prepared=" + goodRun.resolve("data").toUri());
                        },
                        "checkpoint of step 4", "model.dModel 32 → 64", "resume with the run's own settings"),
                bad("train over an existing run without --resume", c -> {
                            Path run = c.resolve("run");
                            TinyRun.copyTree(goodRun, run);
                            return trainArgs(run);
                        },
                        "already holds checkpoints (newest: step 4)", "pass --resume"),
                bad("checkpoint truncated", c -> List.of("eval", truncated(c).toString()),
                        "model-00000.bin has", "(truncated or overwritten)", OTHER_CHECKPOINT),
                bad("checkpoint byte flipped", c -> List.of("eval", flipped(c).toString()),
                        "model-00000.bin fails its CRC32C check", OTHER_CHECKPOINT),
                bad("checkpoint byte flipped (file system checksum)", c -> {
                            Path step = c.resolve("step-4");
                            TinyRun.copyTree(goodRun.resolve("checkpoints/step-4"), step);
                            TinyRun.flipByte(step.resolve("model-00000.bin"), 100);
                            return List.of("eval", step.toString());
                        },
                        "model-00000.bin fails the file system's checksum", OTHER_CHECKPOINT),
                bad("checkpoint shard deleted", c -> {
                            Path step = checkpointCopy(c);
                            Files.delete(step.resolve("optimizer-00000.bin"));
                            return List.of("eval", step.toString());
                        },
                        "shard file", "optimizer-00000.bin is missing", OTHER_CHECKPOINT),
                bad("checkpoint manifest not JSON", c -> {
                            Path step = checkpointCopy(c);
                            Files.writeString(step.resolve("manifest.json"), "{\"format\": ");
                            return List.of("eval", step.toString());
                        },
                        "step-4/manifest.json is not a valid manifest", OTHER_CHECKPOINT),
                bad("checkpoint file name with ..", c -> List.of("eval", escapingManifest(c).toString()),
                        "../outside.bin", "not a plain file name inside the checkpoint directory", OTHER_CHECKPOINT),
                bad("eval of a missing run", c -> List.of("eval", c.resolve("nowhere").toString()),
                        "nowhere does not exist", "pass a run directory"),
                bad("eval of a run without checkpoints", c -> {
                            Files.createDirectories(c.resolve("empty-run"));
                            return List.of("eval", c.resolve("empty-run").toString());
                        },
                        "holds no valid checkpoint", "train first"),
                // --- conformance ---
                bad("conformance file not JSON", c -> List.of("conformance",
                                write(c.resolve("golden/broken.json"), "{\"kind\": \"layer\", \"layer\": ").toString()),
                        "broken.json", "not valid JSON", "fix or regenerate"),
                bad("conformance file missing fields", c -> List.of("conformance",
                                write(c.resolve("golden/empty.json"), "{\"kind\": \"layer\", \"layer\": \"swiglu\"}")
                                        .toString()),
                        "empty.json", "malformed golden file", "fix or regenerate"),
                bad("conformance path missing", c -> List.of("conformance", c.resolve("no-golden").toString()),
                        "no-golden does not exist", "pass golden-vector files or directories"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputExitsWithTwoNamingTheInputAndTheFixAndChangesNothing(Case c) throws Exception {
        Path caseDir = Files.createDirectories(dir.resolve(c.name().replaceAll("[^A-Za-z0-9]+", "-")));
        List<String> args = c.setup().args(caseDir);
        FileTreeSnapshot before = FileTreeSnapshot.of(dir);
        SpindleCli.Result r = SpindleCli.run(args.toArray(String[]::new));
        MILLIS.put(c.name(), r.millis());
        String shown = "spindle " + String.join(" ", args) + "\n--- exit " + r.exitCode() + ", output:\n" + r.all();
        assertEquals(2, r.exitCode(), shown);
        for (String part : c.mustMention()) {
            assertTrue(r.err().contains(part), "the message names \"" + part + "\": " + shown);
        }
        assertEquals(List.of(), before.changesSince(), "files that existed are untouched: " + shown);
        String allowed = c.mayCreateUnder() == null ? null
                : dir.relativize(caseDir).toString() + "/run/";
        assertEquals(List.of(), before.createdSince(allowed), "nothing new outside the case's run directory: " + shown);
        System.out.println("bad input [" + c.name() + "] exit " + r.exitCode() + ": " + firstMessage(r.err()));
    }

    private static String firstMessage(String err) {
        return err.lines().filter(l -> l.startsWith("spindle")).findFirst().orElse(err.lines().findFirst().orElse(""));
    }

    // --- inputs ---

    private static Path parquet(Path caseDir, boolean otherName) {
        Path out = caseDir.resolve("docs.parquet");
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            StructType schema = new StructType().add(otherName ? "body" : "text",
                    otherName ? DataTypes.StringType : DataTypes.IntegerType);
            List<org.apache.spark.sql.Row> rows = List.of(RowFactory.create(otherName ? "a document" : (Object) 7));
            spark.createDataFrame(rows, schema).write().parquet(out.toString());
        } finally {
            spark.stop();
        }
        return out;
    }

    private static Path latin1(Path caseDir) throws IOException {
        Path file = caseDir.resolve("latin1.txt");
        Files.write(file, "Chapter one\nPride and pr\u00e9judice\n".getBytes(StandardCharsets.ISO_8859_1));
        return file;
    }

    private static Path otherTokenizerManifest(Path caseDir) throws IOException {
        Path data = datasetCopy(caseDir);
        Path manifest = data.resolve("dataset.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"" + ByteTokenizer.NAME + "\"", "\"bpe-32k\""));
        return data;
    }

    private static Path brokenDatasetManifest(Path caseDir) throws IOException {
        Path data = datasetCopy(caseDir);
        Files.writeString(data.resolve("dataset.json"), "{\"format\": \"spindle-dataset\", ");
        return data;
    }

    private static Path deletedShard(Path caseDir) throws IOException {
        Path data = datasetCopy(caseDir);
        Files.delete(data.resolve("train-00000.arrow"));
        return data;
    }

    /**
     * The dataset with its first train shard replaced by one holding the same tokens but written by
     * another tokenizer or in another format version (what a shard copied from elsewhere would be).
     */
    private static Path foreignShard(Path caseDir, String tokenizer, String version) throws IOException {
        Path data = datasetCopy(caseDir);
        Path shard = data.resolve("train-00000.arrow");
        int[] tokens;
        long documents;
        try (io.spindle.data.shard.TokenShardReader reader = new io.spindle.data.shard.TokenShardReader(ByteTokenizer.NAME)) {
            io.spindle.data.shard.TokenShard original = reader.read(shard.toString(), Files.newInputStream(shard));
            tokens = original.tokens();
            documents = original.documents();
        }
        if (version.equals(TokenShardFormat.VERSION)) {
            try (TokenShardWriter writer = new TokenShardWriter(tokenizer, ByteTokenizer.VOCAB_SIZE);
                 OutputStream out = Files.newOutputStream(shard)) {
                writer.write(tokens, tokens.length, documents, out);
            }
        } else {
            writeRawShard(shard, tokens, documents, version);
        }
        return data;
    }

    /** A shard as the format's Arrow schema describes it, with another format version in its metadata. */
    private static void writeRawShard(Path shard, int[] tokens, long documents, String version) throws IOException {
        Map<String, String> meta = Map.of(TokenShardFormat.KEY_FORMAT, TokenShardFormat.FORMAT,
                TokenShardFormat.KEY_VERSION, version, TokenShardFormat.KEY_TOKENIZER, ByteTokenizer.NAME,
                TokenShardFormat.KEY_VOCAB_SIZE, Integer.toString(ByteTokenizer.VOCAB_SIZE),
                TokenShardFormat.KEY_TOKENS, Integer.toString(tokens.length), TokenShardFormat.KEY_DOCUMENTS,
                Long.toString(documents));
        Field column = new Field(TokenShardFormat.COLUMN, FieldType.notNullable(new ArrowType.Int(16, true)), null);
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(column), meta), allocator);
             OutputStream out = Files.newOutputStream(shard);
             ArrowFileWriter writer = new ArrowFileWriter(root, null, Channels.newChannel(out))) {
            SmallIntVector v = (SmallIntVector) root.getVector(0);
            v.allocateNew(tokens.length);
            for (int i = 0; i < tokens.length; i++) v.set(i, tokens[i]);
            v.setValueCount(tokens.length);
            root.setRowCount(tokens.length);
            writer.start();
            writer.writeBatch();
            writer.end();
        }
    }

    private static Path truncated(Path caseDir) throws IOException {
        Path step = checkpointCopy(caseDir);
        try (RandomAccessFile f = new RandomAccessFile(step.resolve("model-00000.bin").toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        return step;
    }

    private static Path flipped(Path caseDir) throws IOException {
        Path step = checkpointCopy(caseDir);
        TinyRun.flipByte(step.resolve("model-00000.bin"), 100);
        return step;
    }

    /** A manifest that points its model shard at a file next to the checkpoint directory. */
    private static Path escapingManifest(Path caseDir) throws IOException {
        Path step = checkpointCopy(caseDir);
        Files.copy(step.resolve("model-00000.bin"), caseDir.resolve("outside.bin"));
        Path manifest = step.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"model-00000.bin\"", "\"../outside.bin\""));
        return step;
    }
}
