package io.spindle.spark.train;

import io.spindle.parallel.net.SecretHandshake;
import io.spindle.spark.SparkSessions;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job secret (issue 11, "Security"): it never shows in what a run leaves behind or displays,
 * and the driver's metrics channel refuses whoever does not know it, and rows too long to be rows.
 */
@Tag("security")
class JobSecretTest {
    @TempDir
    static Path dir;

    @Test
    void theJobSecretAppearsInNoConsoleLogMetricsCheckpointEventLogOrSparkConf() throws Exception {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        Path corpus = dir.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) text.append("Paragraph ").append(i).append(": a truth universally acknowledged.\n\n");
        Files.writeString(corpus, text.toString());
        Path runDir = dir.resolve("run");
        Path events = Files.createDirectories(dir.resolve("events"));
        Path conf = dir.resolve("secret.conf");
        Files.writeString(conf, String.join("\n", "run.name = secret",
                "run.dir = \"" + runDir.toUri() + "\"", "data.source = [\"" + corpus.toUri() + "\"]",
                "data.validationFraction = 0.1",
                "model { dModel = 32, layers = 1, heads = 2, ffnHidden = 64, maxSeq = 32 }",
                "train { steps = 4, batch = 4, seq = 32, warmupSteps = 1, evalEvery = 4, evalBatches = 1,"
                        + " checkpointEvery = 2 }",
                "parallel.dp = 2", "spark.master = \"local[2]\"",
                "spark.conf { \"spark.eventLog.enabled\" = \"true\", \"spark.eventLog.dir\" = \"" + events.toUri() + "\" }"));

        StringWriter logs = new StringWriter();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        List<String> sparkConf = new ArrayList<>();
        java.util.function.Supplier<byte[]> saved = TrainJob.jobSecrets;
        TrainJob.jobSecrets = secret::clone;
        try (AutoCloseable capture = captureLogs(logs)) {
            SpindleConfig config = ConfigLoader.load(conf.toFile(), List.of());
            try (SparkSession spark = SparkSessions.start(config, "secret test");
                 PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8)) {
                assertTrue(TrainJob.run(spark, config, false, out).outcome().completed(), console.toString());
                for (Tuple2<String, String> kv : spark.sparkContext().getConf().getAll()) {
                    sparkConf.add(kv._1() + "=" + kv._2());
                }
            }
        } finally {
            TrainJob.jobSecrets = saved;
        }

        Map<String, byte[]> outputs = new LinkedHashMap<>();
        outputs.put("the console", console.toByteArray());
        outputs.put("the log", logs.toString().getBytes(StandardCharsets.UTF_8));
        outputs.put("the Spark conf", String.join("\n", sparkConf).getBytes(StandardCharsets.UTF_8));
        for (Path root : List.of(runDir, events)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    outputs.put(dir.relativize(p).toString(), Files.readAllBytes(p));
                }
            }
        }
        assertTrue(outputs.keySet().stream().anyMatch(k -> k.startsWith("events/")), "an event log was written: " + outputs.keySet());
        assertTrue(outputs.get("the log").length > 0, "the log was captured");
        assertTrue(outputs.containsKey("run/metrics.jsonl") && outputs.containsKey("run/checkpoints/step-4/manifest.json"),
                outputs.keySet().toString());
        // the scan itself must be able to fail: a planted copy is found
        assertEquals(List.of("planted (hex)"), leaks(secret, Map.of("planted", HexFormat.of().formatHex(secret)
                .getBytes(StandardCharsets.UTF_8))));
        assertEquals(List.of(), leaks(secret, outputs), "the secret in any encoding, in " + outputs.keySet());
    }

    /** "where (encoding)" for every output that holds the secret as raw bytes, hex, Base64 or a Java array. */
    static List<String> leaks(byte[] secret, Map<String, byte[]> outputs) {
        Map<String, byte[]> encodings = new LinkedHashMap<>();
        encodings.put("raw", secret);
        encodings.put("hex", HexFormat.of().formatHex(secret).getBytes(StandardCharsets.UTF_8));
        encodings.put("HEX", HexFormat.of().withUpperCase().formatHex(secret).getBytes(StandardCharsets.UTF_8));
        encodings.put("base64", Base64.getEncoder().withoutPadding().encodeToString(secret).getBytes(StandardCharsets.UTF_8));
        encodings.put("base64url", Base64.getUrlEncoder().withoutPadding().encodeToString(secret)
                .getBytes(StandardCharsets.UTF_8));
        encodings.put("array", Arrays.toString(secret).getBytes(StandardCharsets.UTF_8));
        List<String> found = new ArrayList<>();
        outputs.forEach((where, bytes) -> encodings.forEach((name, pattern) -> {
            if (indexOf(bytes, pattern) >= 0) found.add(where + " (" + name + ")");
        }));
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** Every log event of every logger at INFO and above into {@code sink}, until closed. */
    private static AutoCloseable captureLogs(StringWriter sink) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        WriterAppender appender = WriterAppender.newBuilder().setName("secret-test").setTarget(sink)
                .setLayout(PatternLayout.newBuilder().withPattern("%p %c: %m%n").build()).build();
        appender.start();
        LoggerConfig root = configuration.getRootLogger();
        Level level = root.getLevel();
        root.addAppender(appender, Level.INFO, null);
        if (!level.isLessSpecificThan(Level.INFO)) root.setLevel(Level.INFO);
        context.updateLoggers();
        return () -> {
            root.removeAppender(appender.getName());
            root.setLevel(level);
            context.updateLoggers();
            appender.stop();
        };
    }

    @Test
    void theMetricsChannelRefusesStrangersAndOverlongRows() throws Exception {
        byte[] secret = SecretHandshake.newSecret();
        List<Map<String, Object>> rows = new CopyOnWriteArrayList<>();
        try (MetricsServer server = new MetricsServer("127.0.0.1", secret, rows::add)) {
            // raw garbage instead of the HMAC answer: the challenge, a refusing verdict, and the connection closed
            try (Socket garbage = new Socket("127.0.0.1", server.port())) {
                garbage.setSoTimeout(5000);
                byte[] noise = new byte[32];
                new SecureRandom().nextBytes(noise);
                garbage.getOutputStream().write(noise);
                byte[] reply = garbage.getInputStream().readAllBytes();
                assertEquals(8 + 32 + 1, reply.length);
                assertEquals(0, reply[reply.length - 1]);
            }
            // another job's secret
            IOException refused = assertThrows(IOException.class,
                    () -> new MetricsClient("127.0.0.1", server.port(), SecretHandshake.newSecret(), 5000));
            assertTrue(refused.getMessage().contains("refused this job's secret"), refused.getMessage());
            // the right secret but a "row" of 2 MiB: the connection is closed, nothing of it is kept
            try (MetricsClient flooding = new MetricsClient("127.0.0.1", server.port(), secret, 5000)) {
                flooding.emit(Map.of("step", 1, "padding", "x".repeat(2 << 20)));
                flooding.emit(Map.of("step", 2, "loss", 1.0));
            }
            // and a rank that behaves is heard
            try (MetricsClient rank0 = new MetricsClient("127.0.0.1", server.port(), secret, 5000)) {
                rank0.emit(Map.of("step", 3, "loss", 1.5));
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (rows.isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(20);
            Thread.sleep(200);
            assertEquals(1, rows.size(), rows.toString());
            assertEquals(3, ((Number) rows.get(0).get("step")).intValue());
        }
    }

    @Test
    void oneRowIsReadUpToItsLimitAndNoFurther() throws IOException {
        InputStream ok = new java.io.ByteArrayInputStream("{\"a\":1}\n{\"b\":2}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"a\":1}", MetricsServer.readRow(ok));
        assertEquals("{\"b\":2}", MetricsServer.readRow(ok));
        assertEquals(null, MetricsServer.readRow(ok));
        byte[] huge = new byte[MetricsServer.MAX_ROW_BYTES + 10];
        Arrays.fill(huge, (byte) 'x');
        IOException e = assertThrows(IOException.class, () -> MetricsServer.readRow(new java.io.ByteArrayInputStream(huge)));
        assertTrue(e.getMessage().contains("longer than " + MetricsServer.MAX_ROW_BYTES), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }
}
