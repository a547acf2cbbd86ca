package io.spindle.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import io.spindle.data.shard.DatasetManifest;
import io.spindle.data.shard.TokenDataset;
import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareJobTest {
    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder().master("local[2]").appName("PrepareJobTest")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "localhost")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    @Test
    void splitsTextFilesIncludingGzipIntoParagraphDocuments() throws IOException {
        List<String> plain = paragraphs("plain", 30);
        List<String> zipped = paragraphs("zipped", 30);
        Files.writeString(dir.resolve("a.txt"), String.join("\n\n", plain) + "\n");
        // Windows line endings and runs of blank lines are paragraph breaks too.
        writeGzip(dir.resolve("b.txt.gz"), String.join("\r\n\r\n  \r\n", zipped).replace("\n", "\r\n"));
        PrepareOptions opts = options(List.of(dir.resolve("a.txt").toString(), dir.resolve("b.txt.gz").toString()),
                "auto", "text");

        DatasetManifest manifest = PrepareJob.run(spark, opts);

        TokenDataset dataset = TokenDatasetLoader.load(opts.output(), spark.sparkContext().hadoopConfiguration());
        List<String> expected = new ArrayList<>(plain);
        expected.addAll(zipped);
        assertSameDocuments(expected, dataset);
        assertEquals(manifest, dataset.manifest());
        assertEquals(60, manifest.train().stream().mapToLong(DatasetManifest.ShardEntry::documents).sum()
                + manifest.validation().stream().mapToLong(DatasetManifest.ShardEntry::documents).sum());
        assertFalse(manifest.validation().isEmpty(), "with 30% held out some of 60 documents are validation");
        // Each file is one task, each task writes its own train and validation shard; nothing temporary remains.
        assertEquals(List.of("dataset.json", "train-00000.arrow", "train-00001.arrow", "validation-00000.arrow",
                "validation-00001.arrow"), listing(opts.output()));
    }

    @Test
    void readsTheTextFieldOfJsonLines() throws IOException {
        List<String> documents = paragraphs("json \"quoted\" é", 20);
        List<String> lines = documents.stream()
                .map(d -> "{\"id\": 1, \"text\": \"" + d.replace("\"", "\\\"").replace("\n", "\\n") + "\"}")
                .collect(Collectors.toCollection(ArrayList::new));
        lines.add("{\"id\": 2, \"text\": null}");
        lines.add("{\"id\": 3}");
        Files.write(dir.resolve("docs.jsonl"), lines);

        PrepareJob.run(spark, options(List.of(dir.resolve("docs.jsonl").toString()), "auto", "text"));

        assertSameDocuments(documents, load());
    }

    @Test
    void refusesMalformedJsonLines() throws IOException {
        Files.write(dir.resolve("bad.jsonl"), List.of("{\"text\": \"fine\"}", "{\"text\": \"cut off"));
        String input = dir.resolve("bad.jsonl").toString();
        var e = assertThrows(PrepareException.class, () -> PrepareJob.run(spark, options(List.of(input), "auto", "text")));
        assertMentions(e, input, "not a JSON object");
    }

    @Test
    void readsAStringColumnOfParquetAndRefusesAnyOther() throws IOException {
        List<String> documents = paragraphs("parquet", 25);
        String input = writeParquet(documents);

        PrepareJob.run(spark, options(List.of(input), "parquet", "body"));
        assertSameDocuments(documents, load());

        var wrongType = assertThrows(PrepareException.class,
                () -> PrepareJob.run(spark, options(List.of(input), "auto", "id", "wrong-type")));
        assertMentions(wrongType, "column 'id'", "type int", "must be string", "id (int), body (string)", input);
        var missing = assertThrows(PrepareException.class,
                () -> PrepareJob.run(spark, options(List.of(input), "parquet", "text", "missing-column")));
        assertMentions(missing, "no column 'text'", "available columns: id, body", "textField");
    }

    @Test
    void refusesAMissingInput() {
        String input = dir.resolve("nowhere/*.txt").toString();
        var e = assertThrows(PrepareException.class, () -> PrepareJob.run(spark, options(List.of(input), "text", "text")));
        assertMentions(e, input, "does not exist");
    }

    @Test
    void refusesAnEmptyInputAndLeavesNoOutputBehind() throws IOException {
        Files.writeString(dir.resolve("empty.txt"), "\n\n   \n");
        PrepareOptions opts = options(List.of(dir.resolve("empty.txt").toString()), "text", "text");
        var e = assertThrows(PrepareException.class, () -> PrepareJob.run(spark, opts));
        assertMentions(e, "empty.txt", "hold no documents");
        assertFalse(Files.exists(Path.of(opts.output())), "the output this run created is removed again");
    }

    @Test
    void refusesANonEmptyOutputAndTouchesNothingInIt() throws IOException {
        Files.writeString(dir.resolve("a.txt"), "one paragraph");
        Path output = Files.createDirectories(dir.resolve("out"));
        Files.writeString(output.resolve("precious.bin"), "keep me");
        PrepareOptions opts = new PrepareOptions(List.of(dir.resolve("a.txt").toString()), "text", "text",
                output.toString(), 0.1, 1, 1000);
        var e = assertThrows(PrepareException.class, () -> PrepareJob.run(spark, opts));
        assertMentions(e, output.toString(), "not empty", "precious.bin", "new output directory");
        assertEquals(List.of("precious.bin"), listing(output.toString()));
        assertEquals("keep me", Files.readString(output.resolve("precious.bin")));
    }

    @Test
    void theSplitDoesNotDependOnPartitioning() throws IOException {
        List<String> documents = IntStream.range(0, 400).mapToObj(i -> "document " + i + " " + "x".repeat(i % 17))
                .toList();
        Files.write(dir.resolve("docs.jsonl"), documents.stream().map(d -> "{\"text\": \"" + d + "\"}").toList());
        List<String> input = List.of(dir.resolve("docs.jsonl").toString());

        DatasetManifest whole = PrepareJob.run(spark, options(input, "jsonl", "text", "whole"));
        String previous = spark.conf().get("spark.sql.files.maxPartitionBytes");
        DatasetManifest split;
        try {
            spark.conf().set("spark.sql.files.maxPartitionBytes", "2048");
            split = PrepareJob.run(spark, options(input, "jsonl", "text", "split"));
        } finally {
            spark.conf().set("spark.sql.files.maxPartitionBytes", previous);
        }

        assertEquals(1, whole.train().size());
        assertTrue(split.train().size() > 3, "small input splits give one train shard per partition");
        TokenDataset a = TokenDatasetLoader.load(dir.resolve("whole").toString(), hadoopConf());
        TokenDataset b = TokenDatasetLoader.load(dir.resolve("split").toString(), hadoopConf());
        assertEquals(sorted(documents(a.train())), sorted(documents(b.train())));
        assertEquals(sorted(documents(a.validation())), sorted(documents(b.validation())));
        assertEquals(whole.validationTokens(), split.validationTokens());
    }

    @Test
    void preparesTheBundledAustenCorpus() throws IOException {
        Path corpus = Path.of("..", "data", "corpus", "austen.txt.gz").toAbsolutePath().normalize();
        String text;
        try (var in = new GZIPInputStream(Files.newInputStream(corpus))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        PrepareOptions opts = new PrepareOptions(List.of(corpus.toString()), "auto", "text",
                dir.resolve("austen").toString(), 0.05, 7, 1_000_000);

        DatasetManifest manifest = PrepareJob.run(spark, opts);

        TokenDataset dataset = TokenDatasetLoader.load(opts.output(), hadoopConf());
        List<String> train = documents(dataset.train());
        List<String> validation = documents(dataset.validation());
        assertTrue(manifest.train().size() >= 3, "about 3.8M train tokens in shards of about 1M");
        assertEquals(paragraphCount(text), train.size() + validation.size());
        double heldOut = validation.size() / (double) (train.size() + validation.size());
        assertEquals(0.05, heldOut, 0.01);
        // Every document is a verbatim paragraph of the novels.
        for (String document : validation) {
            assertTrue(text.contains(document), document);
        }
        assertTrue(train.contains("PRIDE AND PREJUDICE") || validation.contains("PRIDE AND PREJUDICE"));
    }

    /** Paragraphs counted line by line, independently of the job's regular expression. */
    private static int paragraphCount(String text) {
        int count = 0;
        boolean inParagraph = false;
        for (String line : text.split("\n", -1)) {
            boolean blank = line.isBlank();
            if (!blank && !inParagraph) {
                count++;
            }
            inParagraph = !blank;
        }
        return count;
    }

    private static void assertSameDocuments(List<String> expected, TokenDataset dataset) {
        List<String> actual = new ArrayList<>(documents(dataset.train()));
        actual.addAll(documents(dataset.validation()));
        assertEquals(sorted(expected), sorted(actual));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    /** Documents of a token stream: the runs between END_OF_TEXT ids. */
    static List<String> documents(int[] tokens) {
        ByteTokenizer tokenizer = new ByteTokenizer();
        List<String> documents = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == ByteTokenizer.END_OF_TEXT) {
                documents.add(tokenizer.decode(java.util.Arrays.copyOfRange(tokens, start, i)));
                start = i + 1;
            }
        }
        assertEquals(tokens.length, start, "a stream ends with END_OF_TEXT");
        return documents;
    }

    private static List<String> sorted(List<String> documents) {
        return documents.stream().sorted().toList();
    }

    private static List<String> paragraphs(String label, int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> label + " paragraph " + i + ",\nits second line" + " word".repeat(i % 5))
                .toList();
    }

    private PrepareOptions options(List<String> inputs, String format, String textField) {
        return options(inputs, format, textField, "out");
    }

    private PrepareOptions options(List<String> inputs, String format, String textField, String output) {
        return new PrepareOptions(inputs, format, textField, dir.resolve(output).toString(), 0.3, 42, 100_000);
    }

    private TokenDataset load() throws IOException {
        return TokenDatasetLoader.load(dir.resolve("out").toString(), hadoopConf());
    }

    private static org.apache.hadoop.conf.Configuration hadoopConf() {
        return spark.sparkContext().hadoopConfiguration();
    }

    private String writeParquet(List<String> documents) {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("body", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            rows.add(RowFactory.create(i, documents.get(i)));
        }
        String path = dir.resolve("docs.parquet").toString();
        spark.createDataFrame(rows, schema).write().parquet(path);
        return path;
    }

    private static void writeGzip(Path path, String text) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(path))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static List<String> listing(String directory) throws IOException {
        try (var files = Files.list(Path.of(directory))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }
}
