package io.spindle.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class PrepareOptionsTest {
    @Test
    void defaultsFillEverythingButInputsAndOutput() {
        PrepareOptions opts = PrepareOptions.of(List.of("in.txt"), "out");
        assertEquals("auto", opts.format());
        assertEquals("text", opts.textField());
        assertEquals(0.05, opts.validationFraction());
        assertEquals(16L << 20, opts.shardTokens());
        assertEquals("text", new PrepareOptions(List.of("a"), null, " ", "o", 0, 0, 1).textField());
    }

    @Test
    void invalidOptionsNameTheKeyAndTheAllowedValues() {
        assertRefused("format=csv", () -> new PrepareOptions(List.of("a"), "csv", "text", "o", 0.1, 0, 10));
        assertRefused("validationFraction=1.0", () -> new PrepareOptions(List.of("a"), "text", "text", "o", 1, 0, 10));
        assertRefused("shardTokens=0", () -> new PrepareOptions(List.of("a"), "text", "text", "o", 0.1, 0, 0));
        assertRefused("inputs=[]", () -> new PrepareOptions(List.of(), "text", "text", "o", 0.1, 0, 10));
        assertRefused("output is blank", () -> new PrepareOptions(List.of("a"), "text", "text", " ", 0.1, 0, 10));
    }

    private static void assertRefused(String expected, org.junit.jupiter.api.function.Executable build) {
        var e = assertThrows(PrepareException.class, build);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
