package io.spindle.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;

import io.spindle.data.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

/** The bundled Austen corpus is present, intact, and exactly what data/README.md describes. */
class BundledCorpusTest {
    private static final Path CORPUS = Path.of("corpus", "austen.txt.gz");

    @Test
    void matchesTheChecksumsAndCountsInTheReadme() throws IOException, NoSuchAlgorithmException {
        byte[] compressed = Files.readAllBytes(CORPUS);
        byte[] text;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(CORPUS))) {
            text = in.readAllBytes();
        }
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(compressed.length < 2 * 1024 * 1024, "the corpus must stay under 2 MB");
        assertTrue(readme.contains(sha256(compressed)), "compressed sha256 " + sha256(compressed) + " not in README");
        assertTrue(readme.contains(sha256(text)), "uncompressed sha256 " + sha256(text) + " not in README");
        assertTrue(readme.contains(String.format("%,d bytes, %,d lines", text.length, lineCount(text))),
                text.length + " bytes, " + lineCount(text) + " lines not in README");
    }

    @Test
    void holdsTheSixNovelsAsValidUtf8() throws IOException {
        byte[] bytes;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(CORPUS))) {
            bytes = in.readAllBytes();
        }
        String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
        int previous = -1;
        for (String title : new String[] {"SENSE AND SENSIBILITY", "PRIDE AND PREJUDICE", "MANSFIELD PARK",
            "\nEMMA\n", "NORTHANGER ABBEY", "\nPersuasion\n"}) {
            int at = text.indexOf(title);
            assertTrue(at > previous, title + " missing or out of order");
            previous = at;
        }
        assertEquals(text, new ByteTokenizer().decode(new ByteTokenizer().encode(text)));
    }

    private static long lineCount(byte[] text) {
        long lines = 0;
        for (byte b : text) {
            if (b == '\n') {
                lines++;
            }
        }
        return lines;
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
