package io.spindle.it;

import org.apache.spark.sql.SparkSession;
import org.apache.zeppelin.notebook.Note;
import org.apache.zeppelin.notebook.Paragraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every {@code notebooks/zeppelin/*.zpln} parsed with Zeppelin's own parser ({@link Note#fromJson})
 * and run as Zeppelin's Spark interpreter would run it, since no Zeppelin server can run here:
 * {@code %spark.conf} paragraphs are read as the interpreter's Spark properties (the Spindle
 * application jar must be among {@code spark.jars}), {@code %md} paragraphs are skipped, and the
 * {@code %spark} paragraphs run in order in one Scala 2.13 interpreter (the Scala compiler's IMain:
 * Spark 4 publishes no spark-repl) whose prelude binds {@code spark} and {@code sc} to a local
 * SparkSession, as Zeppelin does. A compile error or exception in any paragraph fails the test.
 *
 * <p>The interpreter compiles against this JVM's test classpath, which holds Spindle's classes
 * and Spark: the classes the note's {@code spark.jars} would add (the {@code -spark.jar} itself is
 * exercised through spark-submit by {@link SparkSubmitTest} and {@link AirflowDagTest}).
 */
class ZeppelinNoteTest {
    static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
    static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        // What the note reads to find Spindle's configs and corpus, where to write, how long to train.
        System.setProperty("spindle.home", ROOT.toString());
        System.setProperty("spindle.steps", "12");
        System.setProperty("spindle.runs", Paths.get("target", "zeppelin-runs").toAbsolutePath().toString());
        spark = SparkSession.builder().master("local[2]").appName("zeppelin-note-test")
                .config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) spark.stop();
    }

    static Stream<Path> notes() throws IOException {
        try (Stream<Path> files = Files.list(ROOT.resolve("notebooks/zeppelin"))) {
            List<Path> notes = files.filter(p -> p.toString().endsWith(".zpln")).sorted().toList();
            assertTrue(!notes.isEmpty(), "no .zpln note in notebooks/zeppelin");
            return notes.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("notes")
    void runsLikeZeppelinsSparkInterpreter(Path file) throws Exception {
        Note note = Note.fromJson(file.getFileName().toString(), Files.readString(file));
        assertTrue(note.getParagraphs().size() >= 3, file + " has too few paragraphs");
        Map<String, String> sparkConf = new LinkedHashMap<>();
        List<String> scala = new ArrayList<>();
        for (Paragraph p : note.getParagraphs()) {
            String intp = p.getIntpText();
            switch (intp) {
                case "md" -> { }
                case "spark.conf" -> p.getScriptText().lines().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                        .forEach(l -> {
                            String[] kv = l.split("\\s+", 2);
                            sparkConf.put(kv[0], kv.length > 1 ? kv[1] : "");
                        });
                case "spark", "spark.spark" -> scala.add(p.getScriptText());
                default -> fail(file + ": paragraph " + p.getId() + " uses %" + intp
                        + ", which this test does not run (only %md, %spark.conf and %spark)");
            }
        }
        assertTrue(sparkConf.getOrDefault("spark.jars", "").matches(".*spindle-spark-jobs-[^/,]*-spark\\.jar.*"),
                file + ": the %spark.conf paragraph must add Spindle's -spark.jar to spark.jars, has " + sparkConf);
        assertTrue(scala.size() >= 2, file + " has fewer than two %spark paragraphs");

        StringWriter output = new StringWriter();
        IMain repl = interpreter(new PrintWriter(output, true));
        try {
            interpret(repl, "prelude", """
                    val spark = org.apache.spark.sql.SparkSession.builder().getOrCreate()
                    val sc = spark.sparkContext
                    import spark.implicits._
                    import org.apache.spark.sql.functions._
                    """, output);
            for (int i = 0; i < scala.size(); i++) {
                interpret(repl, file.getFileName() + " %spark paragraph " + (i + 1), scala.get(i), output);
            }
        } finally {
            repl.close();
        }
        String all = output.toString();
        assertTrue(all.contains("%html <img src=\"data:image/png;base64,"), "the note shows no loss chart:\n" + tail(all));
        assertTrue(all.contains("val_loss"), "the note printed no evaluation:\n" + tail(all));
    }

    private static IMain interpreter(PrintWriter out) {
        Settings settings = new Settings();
        // Surefire runs tests from a manifest-only jar; its property holds the real classpath.
        settings.classpath().value_$eq(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        settings.usejavacp().value_$eq(true);
        return new IMain(settings, new ReplReporterImpl(settings, out));
    }

    private static void interpret(IMain repl, String what, String code, StringWriter output) {
        int before = output.getBuffer().length();
        // Paragraph output (println) goes to Console.out, which IMain redirects to its reporter only
        // for values it prints itself: capture it the way Zeppelin does, around each paragraph.
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        Results.Result result = scala.Console.withOut(printed, new scala.runtime.AbstractFunction0<>() {
            @Override
            public Results.Result apply() {
                return repl.interpret(code);
            }
        });
        output.append(printed.toString(java.nio.charset.StandardCharsets.UTF_8));
        String produced = output.getBuffer().substring(before);
        System.out.println("--- " + what + "\n" + produced);
        assertEquals(Results.Success$.MODULE$, result, what + " failed (" + result + "):\n" + tail(produced));
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : "..." + s.substring(s.length() - 6000);
    }
}
