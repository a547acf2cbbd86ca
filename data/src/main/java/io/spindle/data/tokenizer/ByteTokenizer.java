package io.spindle.data.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer: every UTF-8 byte is one token (ids 0..255), so any text is representable
 * without a trained vocabulary. Two special ids follow the bytes: {@link #END_OF_TEXT}, appended
 * after every document so the model learns where documents end when they are packed into one
 * stream, and {@link #PAD}, reserved for filling batches.
 *
 * <p>Stateless and thread-safe.
 */
public final class ByteTokenizer {
    /** The name recorded in shards and manifests; change it whenever ids change meaning. */
    public static final String NAME = "byte-v1";
    public static final int END_OF_TEXT = 256;
    public static final int PAD = 257;
    public static final int VOCAB_SIZE = 258;

    public String name() {
        return NAME;
    }

    public int vocabSize() {
        return VOCAB_SIZE;
    }

    /** The UTF-8 bytes of {@code text} as ids 0..255; unpaired surrogates become '?'. */
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    /** {@link #encode} followed by {@link #END_OF_TEXT}: one document as it is stored in a shard. */
    public int[] encodeDocument(String document) {
        byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length + 1];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        ids[bytes.length] = END_OF_TEXT;
        return ids;
    }

    /**
     * Text of the byte ids in {@code ids}. Special and out-of-range ids are skipped; byte
     * sequences that are not valid UTF-8 (a model can emit any byte order) become U+FFFD. Never
     * throws, so it is safe on raw model samples.
     */
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        int n = 0;
        for (int id : ids) {
            if (id >= 0 && id < 256) {
                bytes[n++] = (byte) id;
            }
        }
        // new String(..., UTF_8) replaces malformed input with U+FFFD instead of throwing.
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }
}
