package io.spindle.layers.chain;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChainsTest {

    @Test
    void offsetsPrefixesAndGrowth() {
        Chains c = Chains.of(32, 32, 64);
        assertEquals(3, c.count());
        assertEquals(0, c.offset(0));
        assertEquals(64, c.offset(2));
        assertEquals(128, c.total());
        assertEquals(Chains.of(32, 32), c.prefix(2));
        assertEquals(Chains.of(32, 32, 64, 16), c.grow(16));
        assertArrayEquals(new int[] {64, 64, 128}, c.scaledTo(256).sizes());
        assertEquals(Chains.of(16, 16, 16, 16), Chains.equal(64, 4));
        assertEquals(Chains.of(4, 4), Chains.of(List.of(4, 4.0)));
    }

    @Test
    void rejectsSplitsThatDoNotExist() {
        assertThrows(IllegalArgumentException.class, () -> Chains.of());
        assertThrows(IllegalArgumentException.class, () -> Chains.of(4, 0));
        assertThrows(IllegalArgumentException.class, () -> Chains.of(4, 4).prefix(3));
        assertThrows(IllegalArgumentException.class, () -> Chains.of(List.of(4, 4.5)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Chains.equal(100, 3)).getMessage()
                .contains("do not split width 100 evenly"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Chains.of(3, 5).scaledTo(12)).getMessage()
                .contains("cannot be split in the proportions"));
    }
}
