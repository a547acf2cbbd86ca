package io.spindle.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
    private final ByteTokenizer tokenizer = new ByteTokenizer();

    @Test
    void idsAreTheUtf8Bytes() {
        // 'é' is C3 A9 in UTF-8 and '€' is E2 82 AC.
        assertArrayEquals(new int[] {'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC}, tokenizer.encode("aé€"));
    }

    @Test
    void documentsEndWithEndOfText() {
        assertArrayEquals(new int[] {'h', 'i', ByteTokenizer.END_OF_TEXT}, tokenizer.encodeDocument("hi"));
        assertArrayEquals(new int[] {ByteTokenizer.END_OF_TEXT}, tokenizer.encodeDocument(""));
    }

    @Test
    void decodeInvertsEncodeForAnyText() {
        String text = "Emma Woodhouse, handsome, clever — and rich. 🙂 Ünïcödé\nnew line";
        assertEquals(text, tokenizer.decode(tokenizer.encode(text)));
    }

    @Test
    void decodeSkipsSpecialsAndOutOfRangeIds() {
        int[] ids = {'a', ByteTokenizer.END_OF_TEXT, 'b', ByteTokenizer.PAD, -1, 999, 'c'};
        assertEquals("abc", tokenizer.decode(ids));
    }

    @Test
    void decodeReplacesMalformedUtf8InsteadOfThrowing() {
        // A lone lead byte and a lone continuation byte, as a model may sample them.
        assertEquals("x\uFFFDy\uFFFD", tokenizer.decode(new int[] {'x', 0xC3, 'y', 0x80}));
    }

    @Test
    void vocabularyIsBytesPlusTwoSpecials() {
        assertEquals(258, ByteTokenizer.VOCAB_SIZE);
        assertEquals(256, ByteTokenizer.END_OF_TEXT);
        assertEquals(257, ByteTokenizer.PAD);
        assertEquals("byte-v1", tokenizer.name());
        assertEquals(258, tokenizer.vocabSize());
    }
}
