package io.spindle.data.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SplitMix64Test {
    @Test
    void matchesTheReferenceOutputsForSeed1234567() {
        // Published outputs of Vigna's splitmix64.c (also Rosetta Code "Pseudo-random numbers/Splitmix64").
        String[] expected = {"6457827717110365317", "3203168211198807973", "9817491932198370423",
            "4593380528125082431", "16408922859458223821"};
        SplitMix64 random = new SplitMix64(1234567);
        for (String value : expected) {
            assertEquals(Long.parseUnsignedLong(value), random.nextLong());
        }
    }

    @Test
    void boundedDrawsAreInRangeAndCoverIt() {
        SplitMix64 random = new SplitMix64(3);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) {
            long v = random.nextLong(7);
            assertTrue(v >= 0 && v < 7);
            counts[(int) v]++;
        }
        for (int count : counts) {
            // 10_000 expected per value; 5 standard deviations is about 460.
            assertTrue(Math.abs(count - 10_000) < 460, "count " + count);
        }
    }
}
