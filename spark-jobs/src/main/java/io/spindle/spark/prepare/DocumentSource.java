package io.spindle.spark.prepare;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads the inputs of {@code spindle prepare} as an RDD of documents (one string each).
 *
 * <ul>
 *   <li>{@code text}: each file is read whole ({@code wholetext}) and split into documents at blank
 *       lines, so a document is a paragraph with its line breaks kept. Files are never split
 *       across tasks, which keeps paragraphs intact; each file must therefore fit in a task's
 *       memory (well under 1 GB). Use JSONL or Parquet for larger single files.</li>
 *   <li>{@code jsonl}: one JSON object per line; the document is its {@code textField}.</li>
 *   <li>{@code parquet}: the document is the string column {@code textField}.</li>
 * </ul>
 * Null and blank documents are skipped in every format.
 */
final class DocumentSource {
    /** One or more blank (or whitespace-only) lines, after line endings are normalised to \n. */
    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\n(?:[ \t]*\n)+");

    private DocumentSource() {
    }

    static JavaRDD<String> read(SparkSession spark, PrepareOptions opts, InputFormat format) {
        checkInputsExist(opts.inputs(), spark.sparkContext().hadoopConfiguration());
        String[] paths = opts.inputs().toArray(String[]::new);
        return switch (format) {
            case TEXT -> spark.read().option("wholetext", true).text(paths)
                    .select(functions.col("value"), functions.input_file_name()).javaRDD()
                    .flatMap(file -> paragraphs(checkedUtf8(file.getString(1), file.getString(0))).iterator());
            case JSONL -> column(readJson(spark, opts, paths), opts, "JSONL");
            case PARQUET -> column(spark.read().parquet(paths), opts, "Parquet");
        };
    }

    /**
     * Spark decodes text as UTF-8 and turns every byte sequence that is not UTF-8 into U+FFFD, which
     * would then be trained on as if it were text; a file with one is refused, naming it and the line.
     */
    static String checkedUtf8(String file, String text) {
        int bad = text.indexOf('\uFFFD');
        if (bad < 0) return text;
        long line = 1 + text.substring(0, bad).chars().filter(c -> c == '\n').count();
        throw new PrepareException("text input " + file + " is not UTF-8: line " + line + " holds bytes that do not"
                + " decode (or a U+FFFD replacement character); convert the file to UTF-8, e.g. `iconv -f latin1 -t"
                + " utf-8`, and prepare again");
    }

    /** Paragraphs of one text file; \r\n and \r line endings count as \n. */
    static List<String> paragraphs(String file) {
        String text = file.replace("\r\n", "\n").replace('\r', '\n');
        List<String> documents = new ArrayList<>();
        for (String block : PARAGRAPH_BREAK.split(text)) {
            String document = block.stripTrailing();
            if (!document.isBlank()) {
                // Leading newlines only: the indentation of a paragraph's first line is text.
                documents.add(document.replaceFirst("^\n+", ""));
            }
        }
        return documents;
    }

    private static Dataset<Row> readJson(SparkSession spark, PrepareOptions opts, String[] paths) {
        try {
            // FAILFAST: a malformed line is an error to report, not a silently dropped document.
            return spark.read().option("mode", "FAILFAST").json(paths);
        } catch (Exception e) {
            // Spark reports this as a SparkException, which Java sees as checked but Scala throws anyway.
            throw new PrepareException("JSONL input " + opts.inputs() + " holds a line that is not a JSON object ("
                    + rootMessage(e) + "); fix the line or pass format=text", e);
        }
    }

    private static JavaRDD<String> column(Dataset<Row> rows, PrepareOptions opts, String kind) {
        StructType schema = rows.schema();
        String field = opts.textField();
        if (!Arrays.asList(schema.fieldNames()).contains(field)) {
            String available = schema.isEmpty() ? "none (the input holds no records)" : String.join(", ", schema.fieldNames());
            throw new PrepareException(kind + " input " + opts.inputs() + " has no column '" + field
                    + "'; available columns: " + available + "; pass textField=<one of them>");
        }
        DataType type = schema.apply(field).dataType();
        if (!type.equals(DataTypes.StringType)) {
            throw new PrepareException("column '" + field + "' of " + kind + " input " + opts.inputs() + " has type "
                    + type.simpleString() + " but must be string; available columns: " + describe(schema)
                    + "; pass textField=<a string column>");
        }
        return rows.select(field).as(Encoders.STRING()).javaRDD()
                .filter(document -> document != null && !document.isBlank());
    }

    private static String describe(StructType schema) {
        List<String> columns = new ArrayList<>();
        for (StructField f : schema.fields()) {
            columns.add(f.name() + " (" + f.dataType().simpleString() + ")");
        }
        return String.join(", ", columns);
    }

    private static void checkInputsExist(List<String> inputs, Configuration conf) {
        for (String input : inputs) {
            Path path = new Path(input);
            FileStatus[] matches;
            try {
                matches = path.getFileSystem(conf).globStatus(path);
            } catch (IOException e) {
                throw new PrepareException("input " + input + " cannot be listed (" + e.getMessage()
                        + "); check the path and its file system", e);
            }
            if (matches == null || matches.length == 0) {
                throw new PrepareException("input " + input + " does not exist (no file matches it); check the path"
                        + " or glob, relative paths resolve against " + workingDirectory(path, conf));
            }
        }
    }

    private static String workingDirectory(Path path, Configuration conf) {
        try {
            FileSystem fs = path.getFileSystem(conf);
            return fs.getWorkingDirectory().toString();
        } catch (IOException e) {
            return "the file system's working directory";
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
