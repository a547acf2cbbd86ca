package io.spindle.parallel.checkpoint;

import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The CRC32C of each tensor of a shard file, computed while the file streams past a block at a
 * time ({@link CheckpointCatalog}'s verification), so that no tensor has to be held to be checked.
 */
final class TensorChecksums {
    private final List<TensorEntry> byOffset;
    private final CRC32C[] crcs;
    /** Tensors before this index (in offset order) end before the blocks still to come. */
    private int first;

    TensorChecksums(List<TensorEntry> tensors) {
        this.byOffset = tensors.stream().sorted(Comparator.comparingLong(TensorEntry::offset)).toList();
        this.crcs = new CRC32C[byOffset.size()];
        for (int i = 0; i < crcs.length; i++) crcs[i] = new CRC32C();
    }

    /** Feeds bytes {@code [at, at + n)} of the file, held in {@code block[0, n)}, to the tensors they overlap. */
    void update(byte[] block, int n, long at) {
        long end = at + n;
        for (int i = first; i < byOffset.size() && byOffset.get(i).offset() < end; i++) {
            TensorEntry t = byOffset.get(i);
            long from = Math.max(at, t.offset());
            long to = Math.min(end, t.offset() + t.bytes());
            if (from < to) crcs[i].update(block, (int) (from - at), (int) (to - from));
        }
        while (first < byOffset.size() && byOffset.get(first).offset() + byOffset.get(first).bytes() <= end) first++;
    }

    /** The first tensor (in offset order) whose bytes do not match its recorded CRC32C, or null. */
    TensorEntry firstMismatch() {
        for (int i = 0; i < crcs.length; i++) {
            if (crcs[i].getValue() != byOffset.get(i).crc32c()) return byOffset.get(i);
        }
        return null;
    }
}
