package io.spindle.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class DocumentSourceTest {
    @Test
    void textIsSplitIntoParagraphsAtBlankLines() {
        String file = "\nTitle\n\nFirst line\nsecond line\n\n\n   \n  Indented start\r\n\r\nlast  \n\n";
        assertEquals(List.of("Title", "First line\nsecond line", "  Indented start", "last"),
                DocumentSource.paragraphs(file));
    }

    @Test
    void aFileWithoutTextHasNoParagraphs() {
        assertEquals(List.of(), DocumentSource.paragraphs(""));
        assertEquals(List.of(), DocumentSource.paragraphs("\n \n\t\n"));
    }
}
