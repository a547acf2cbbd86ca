package io.spindle.data.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class DocumentSplitTest {
    private static final List<String> DOCUMENTS =
            IntStream.range(0, 20_000).mapToObj(i -> "paragraph number " + i).toList();

    @Test
    void assignsAboutTheRequestedFraction() {
        DocumentSplit split = new DocumentSplit(0.1, 42);
        long validation = DOCUMENTS.stream().filter(split::isValidation).count();
        // Binomial(20000, 0.1): mean 2000, standard deviation about 42.
        assertEquals(2000, validation, 5 * 42);
    }

    @Test
    void dependsOnContentAndSeedOnly() {
        List<Boolean> first = DOCUMENTS.stream().map(new DocumentSplit(0.3, 7)::isValidation).toList();
        List<Boolean> again = DOCUMENTS.stream().map(new DocumentSplit(0.3, 7)::isValidation).toList();
        List<Boolean> otherSeed = DOCUMENTS.stream().map(new DocumentSplit(0.3, 8)::isValidation).toList();
        assertEquals(first, again);
        assertNotEquals(first, otherSeed);
    }

    @Test
    void zeroFractionKeepsEverythingForTraining() {
        DocumentSplit split = new DocumentSplit(0, 1);
        assertFalse(DOCUMENTS.stream().anyMatch(split::isValidation));
        assertThrows(IllegalArgumentException.class, () -> new DocumentSplit(1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> new DocumentSplit(Double.NaN, 1));
    }
}
