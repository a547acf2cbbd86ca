package io.spindle.data.shard;

/**
 * The contents of one token shard: {@code documents} documents, each ending with the
 * tokenizer's end-of-text id, packed into {@code tokens}.
 */
public record TokenShard(String tokenizer, int vocabSize, long documents, int[] tokens) {
    public TokenShard {
        if (documents < 0) {
            throw new IllegalArgumentException("documents=" + documents + " is negative");
        }
    }
}
