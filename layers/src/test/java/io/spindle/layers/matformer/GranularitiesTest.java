package io.spindle.layers.matformer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GranularitiesTest {

    @Test
    void divisorsGiveThePapersNestedWidthsSmallestFirst() {
        Granularities g = Granularities.ofDivisors(1024, 1, 2, 4, 8);
        assertArrayEquals(new int[] {128, 256, 512, 1024}, g.widths());
        assertEquals(4, g.count());
        assertEquals(2, g.indexOf(512));
    }

    @Test
    void rejectsWidthsThatAreNotNestedPrefixesOfTheFullFFN() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Granularities.ofDivisors(1000, 3))
                .getMessage().contains("does not divide the hidden size 1000"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Granularities(64, new int[] {32, 16, 64}))
                .getMessage().contains("strictly increasing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Granularities(64, new int[] {16, 32}))
                .getMessage().contains("largest MatFormer width must be the full hidden size 64"));
        assertThrows(IllegalArgumentException.class, () -> new Granularities(64, new int[] {0, 64}));
        assertThrows(IllegalArgumentException.class, () -> Granularities.ofDivisors(64, 1).indexOf(32));
    }
}
