package io.spindle.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class InputFormatTest {
    @Test
    void autoInfersTheFormatFromExtensionsBeneathCompression() {
        assertEquals(InputFormat.TEXT, InputFormat.resolve("auto", List.of("a.txt", "hdfs:///b/c.TXT.gz")));
        assertEquals(InputFormat.JSONL, InputFormat.resolve("auto", List.of("s3a://x/part-*.jsonl.bz2")));
        assertEquals(InputFormat.PARQUET, InputFormat.resolve("auto", List.of("/data/docs.parquet")));
        assertEquals(InputFormat.PARQUET, InputFormat.resolve("parquet", List.of("/data/no-extension")));
    }

    @Test
    void autoRefusesUnknownAndMixedExtensions() {
        var unknown = assertThrows(PrepareException.class, () -> InputFormat.resolve("auto", List.of("/data/dir")));
        assertTrue(unknown.getMessage().contains("/data/dir") && unknown.getMessage().contains("format="));
        var mixed = assertThrows(PrepareException.class,
                () -> InputFormat.resolve("auto", List.of("a.txt", "b.parquet")));
        assertTrue(mixed.getMessage().contains("mix formats"), mixed.getMessage());
    }
}
