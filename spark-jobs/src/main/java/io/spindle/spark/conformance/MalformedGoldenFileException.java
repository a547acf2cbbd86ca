package io.spindle.spark.conformance;

import java.nio.file.Path;

/** A golden file that is not valid JSON or does not follow the schema in the golden README. */
public final class MalformedGoldenFileException extends Exception {
    public MalformedGoldenFileException(Path file, String what) {
        super("malformed golden file " + file + ": " + what);
    }
}
