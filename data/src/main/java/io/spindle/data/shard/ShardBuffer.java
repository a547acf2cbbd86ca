package io.spindle.data.shard;

import java.util.Arrays;

/**
 * Packs whole documents into one shard's token stream until it reaches a target size. A document
 * is never split across shards, so every shard starts at a document boundary and its document
 * count is exact; a shard therefore ends up to one document over the target.
 */
public final class ShardBuffer {
    private final long targetTokens;
    private int[] tokens = new int[1024];
    private int length;
    private long documents;

    public ShardBuffer(long targetTokens) {
        if (targetTokens < 1) {
            throw new IllegalArgumentException("targetTokens=" + targetTokens + " must be positive");
        }
        this.targetTokens = targetTokens;
    }

    /** Appends one encoded document (its ids including the end-of-text id). */
    public void add(int[] document) {
        long needed = (long) length + document.length;
        if (needed > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("shard would exceed " + (Integer.MAX_VALUE - 8)
                    + " tokens; lower the shard size so documents are flushed sooner");
        }
        if (needed > tokens.length) {
            tokens = Arrays.copyOf(tokens, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, 2L * tokens.length)));
        }
        System.arraycopy(document, 0, tokens, length, document.length);
        length += document.length;
        documents++;
    }

    public boolean isFull() {
        return length >= targetTokens;
    }

    public boolean isEmpty() {
        return length == 0;
    }

    /** The backing array; only {@code tokens()[0..length())} is the shard. */
    public int[] tokens() {
        return tokens;
    }

    public int length() {
        return length;
    }

    public long documents() {
        return documents;
    }

    /** Empties the buffer for the next shard, keeping its capacity. */
    public void clear() {
        length = 0;
        documents = 0;
    }
}
